#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/reason.hpp"

namespace policy {

// libphonenumber's number types, in our spelling (the API's `type` field).
enum class number_type : std::uint8_t {
  mobile,
  fixed_line,
  fixed_line_or_mobile,
  voip,
  toll_free,
  premium_rate,
  shared_cost,
  personal_number,
  pager,
  uan,
  voicemail,
  unknown,
};
inline constexpr std::size_t number_type_count = 12;

std::string_view to_string(number_type t) noexcept;
std::optional<number_type> number_type_from_string(std::string_view s) noexcept;

// A set of number types (which types may receive SMS).
class number_type_set {
 public:
  constexpr number_type_set() = default;
  constexpr number_type_set(std::initializer_list<number_type> types) {
    for (number_type t : types) insert(t);
  }
  constexpr void insert(number_type t) noexcept { bits_ |= bit(t); }
  constexpr void erase(number_type t) noexcept { bits_ &= ~bit(t); }
  constexpr bool contains(number_type t) const noexcept { return (bits_ & bit(t)) != 0; }
  static constexpr number_type_set all() noexcept {
    number_type_set s;
    s.bits_ = (1u << number_type_count) - 1;
    return s;
  }
  // Default: everything but fixed-line-only, premium rate and pager numbers.
  static constexpr number_type_set sms_default() noexcept {
    number_type_set s = all();
    s.erase(number_type::fixed_line);
    s.erase(number_type::premium_rate);
    s.erase(number_type::pager);
    return s;
  }
  constexpr bool operator==(const number_type_set&) const = default;

 private:
  static constexpr std::uint32_t bit(number_type t) noexcept {
    return 1u << static_cast<unsigned>(t);
  }
  std::uint32_t bits_ = 0;
};

// Why a number could not be normalised (values, not exceptions).
enum class number_error : std::uint8_t {
  none,
  empty,                 // nothing but whitespace
  input_too_long,        // more than max_number_input characters
  not_a_number,          // no digits / not a phone number at all
  invalid_country_code,  // no '+' and no region hint, or unknown calling code
  too_short,
  too_long,
  invalid_length,        // a length that no number of that country has
  not_valid,             // right length, but not an assigned range
  has_extension,         // "ext. 12": SMS cannot reach an extension
  alphanumeric,          // a carrier address with TON 5 (alphanumeric sender id)
};
std::string_view to_string(number_error e) noexcept;

inline constexpr std::size_t max_number_input = 64;

// What we know about one number: the fields of GET /v1/numbers/{number}.
struct phone_number_info {
  std::string input;       // as given (trimmed)
  std::string e164;        // "+14155550123"; empty when it could not be parsed at all
  bool valid = false;
  number_error error = number_error::none;
  std::string error_message;  // human-readable, for the API's "message"
  std::string region;         // ISO 3166 region ("US", "GB"); "001" for non-geographic numbers
  number_type type = number_type::unknown;
  std::string jurisdiction;   // "US-CA", "CA-QC", "GB", "US-PR"; "CA" when the province is ambiguous
  std::vector<std::string> subdivisions;  // candidate states/provinces ("NS", "PE")
  std::vector<std::string> timezones;     // candidate IANA zones, never empty for a valid number
  bool operator==(const phone_number_info&) const = default;
};

// Parses a number written in any common form ("+1 (415) 555-0123", "(415) 555-0123" with region
// hint "US", "0044 20 7946 0958", "tel:+1-415-555-0123"). `region_hint` is an ISO region code used
// for national forms; empty means the number must start with '+'. Thread-safe. Answers exactly as
// libphonenumber; digits with separators take a fast path over the library's own metadata (about
// 1-2 µs), anything else (letters, extensions, "tel:") the library (tens of µs): docs/policy.md.
phone_number_info normalize(std::string_view input, std::string_view region_hint);

// normalize() without the description of a valid number: the same parsing, validity verdict,
// errors, E.164, region and type, but no geocoder, jurisdiction, subdivisions or time zones
// (empty). Several times cheaper: for bulk imports (smsgwctl) that only store the number.
phone_number_info normalize_e164(std::string_view input, std::string_view region_hint);

// SMPP type of number (TON) of a carrier address.
enum class type_of_number : std::uint8_t {
  unknown = 0,
  international = 1,
  national = 2,
  network_specific = 3,
  subscriber_number = 4,
  alphanumeric = 5,
  abbreviated = 6,
};

// Normalises an address as a carrier sends it in submit_sm/deliver_sm (source_addr with its TON):
// international (TON 1, "14155550123": the country code without '+'), national (TON 2/3/4/6, in
// the carrier's `default_region`), or unknown (TON 0: a '+' form is international; otherwise the
// national reading in `default_region` if it is valid, else the international reading if that is
// valid, else the national reading's error). NPI is not used: carriers set it inconsistently.
phone_number_info normalize_address(std::string_view address, std::uint8_t ton,
                                    std::string_view default_region);

// invalid_number, not_mobile or none for a normalised number and the allowed types.
reason check_number(const phone_number_info& n, const number_type_set& sms_types) noexcept;

// A bounded, thread-safe LRU cache in front of normalize()/normalize_address(): a hit costs about
// 0.1 µs, a miss the normalisation (1-2 µs on the fast path, tens of µs through libphonenumber)
// plus the insertion. Keys are the exact input + hint (+ TON), so different spellings of one
// number are separate entries.
//
// With `skip_fast_path_inputs`, normalize() answers inputs that the fast path takes (ASCII digits
// with the separators " -.()" and '+') without the cache: with unique numbers (a campaign sends to
// each number once) a miss costs about twice the fast path itself, a hit saves about 1.4 µs. The
// answers are the same; only inputs that need libphonenumber are cached then.
class number_cache {
 public:
  explicit number_cache(std::size_t capacity = 100'000, bool skip_fast_path_inputs = false);

  std::shared_ptr<const phone_number_info> normalize(std::string_view input,
                                                     std::string_view region_hint);
  std::shared_ptr<const phone_number_info> normalize_address(std::string_view address,
                                                             std::uint8_t ton,
                                                             std::string_view default_region);

  struct stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t size = 0;
  };
  stats statistics() const;
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  using value = std::shared_ptr<const phone_number_info>;
  struct entry {
    std::string key;
    value info;
  };
  value lookup(const std::string& key);
  void store(std::string key, value info);

  std::size_t capacity_;
  bool skip_fast_path_inputs_ = false;
  mutable std::mutex mutex_;
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<entry>::iterator> index_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace policy
