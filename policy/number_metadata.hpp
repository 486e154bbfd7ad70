#pragma once

// libphonenumber's own metadata, compiled once for the fast number path (policy/fast_number.cpp).
// The tables are read at first use from the metadata compiled into the installed libphonenumber
// (i18n::phonenumbers::metadata_get(): the serialized PhoneMetadataCollection its PhoneNumberUtil
// loads too), so the fast path and the library can never disagree about a pattern or a length.
// Patterns are compiled with RE2 instead of ICU: one RE2::Set per territory classifies a national
// number against all its type patterns in one DFA pass.

#include <re2/re2.h>
#include <re2/set.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace i18n::phonenumbers {
class PhoneMetadata;
class PhoneMetadataCollection;
}  // namespace i18n::phonenumbers

namespace policy::detail {

// The PhoneNumberDesc fields of a territory, in the order GetNumberTypeHelper tests them.
enum class desc_kind : std::uint8_t {
  general,
  premium_rate,
  toll_free,
  shared_cost,
  voip,
  personal_number,
  pager,
  uan,
  voicemail,
  fixed_line,
  mobile,
};
inline constexpr std::size_t desc_kind_count = 11;

struct number_desc {
  bool has_lengths = false;   // possible_length is not empty
  std::uint32_t lengths = 0;  // bit n set: length n is possible (-1, "no number", sets none)
  int pattern = -1;           // index in territory::types; -1: empty pattern, never matches
};

// One PhoneMetadata: a region ("US") or a non-geographic entity ("001", by calling code). The
// patterns are compiled at the territory's first use (number_metadata::prepare), so that a
// process pays only for the countries it sees.
struct territory {
  std::string id;
  int country_code = 0;
  const i18n::phonenumbers::PhoneMetadata* source = nullptr;
  std::once_flag compiled;
  // The fields below are set by prepare().
  bool usable = false;  // every pattern compiled with RE2; the fast path declines otherwise
  bool same_mobile_and_fixed_line = false;
  std::unique_ptr<RE2> leading_digits;        // null: has_leading_digits() is false
  std::unique_ptr<RE2> international_prefix;  // compiled as is, even when empty (as the library)
  std::unique_ptr<RE2> national_prefix_for_parsing;  // null when empty
  int national_prefix_groups = 0;                    // its capturing groups
  std::string national_prefix_transform_rule;        // "$1", "9$1", ...
  std::unique_ptr<RE2> general_pattern;              // general_desc pattern; null when empty
  std::vector<int> possible_lengths;                 // general_desc, in metadata order
  std::uint32_t local_only_lengths = 0;              // general_desc possible_length_local_only
  std::array<number_desc, desc_kind_count> descs{};
  std::unique_ptr<RE2::Set> types;  // every non-empty desc pattern, anchored both ends
};

class number_metadata {
 public:
  // Parsed at first use (254 territories, each compiled at its own first use: prepare());
  // never destroyed. Thread-safe.
  static const number_metadata& instance();

  // Compiles the territory's patterns at its first use; true when all compiled (usable).
  bool prepare(const territory* t) const;

  bool loaded() const noexcept { return loaded_; }

  // A supported region ("US"), as PhoneNumberUtil::GetMetadataForRegion; null for "ZZ", "001",
  // lower case or unknown codes.
  const territory* region(std::string_view code) const noexcept;
  // Regions of a calling code in the library's order (main country first); empty if unknown.
  const std::vector<const territory*>& regions_for_calling_code(int cc) const noexcept;
  // GetMetadataForRegionOrCallingCode(cc, GetRegionCodeForCountryCode(cc)): the main territory.
  const territory* main_territory(int cc) const noexcept;
  // GetMetadataForRegionOrCallingCode(cc, t->id) for a territory of the calling code list.
  const territory* non_geographic(int cc) const noexcept;

  // Which regions of a calling code's list (bit i: regions_for_calling_code(cc)[i]) have leading
  // digits that match the start of `nsn` (RegExp::Consume of each), in one DFA pass. False when
  // the DFA ran out of memory.
  bool leading_digits_matches(int cc, std::string_view nsn, std::uint64_t& mask) const;

  std::size_t territory_count() const noexcept { return territories_.size(); }
  std::size_t unusable_count() const;  // prepares every territory

  number_metadata(const number_metadata&) = delete;
  number_metadata& operator=(const number_metadata&) = delete;

 private:
  number_metadata();

  bool loaded_ = false;
  std::unique_ptr<i18n::phonenumbers::PhoneMetadataCollection> collection_;
  std::vector<std::unique_ptr<territory>> territories_;
  std::array<const territory*, 26 * 26> by_region_{};
  std::vector<std::vector<const territory*>> by_calling_code_;  // index: calling code (< 1000)
  struct leading_set {
    std::once_flag built;
    bool ok = false;
    std::unique_ptr<RE2::Set> set;  // anchored at the start: a prefix match counts
    std::vector<int> region;        // set index -> position in the calling code's list
  };
  std::unique_ptr<leading_set[]> leading_by_calling_code_;  // index: calling code, built at use
  std::vector<const territory*> non_geographic_;      // index: calling code
};

}  // namespace policy::detail
