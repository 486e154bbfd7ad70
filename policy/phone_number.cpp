#include "policy/phone_number.hpp"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>

#include <array>
#include <atomic>
#include <memory>

#include "policy/fast_number.hpp"
#include "policy/fast_number_geocoder.hpp"
#include "policy/fast_number_zones.hpp"
#include "policy/jurisdiction.hpp"
#include "policy/timezone_table.hpp"

namespace policy {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::array<std::string_view, number_type_count> type_names{
    "mobile", "fixed_line", "fixed_line_or_mobile", "voip", "toll_free", "premium_rate",
    "shared_cost", "personal_number", "pager", "uan", "voicemail", "unknown",
};

number_type from_lib(PhoneNumberUtil::PhoneNumberType t) {
  switch (t) {
    case PhoneNumberUtil::FIXED_LINE: return number_type::fixed_line;
    case PhoneNumberUtil::MOBILE: return number_type::mobile;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return number_type::fixed_line_or_mobile;
    case PhoneNumberUtil::TOLL_FREE: return number_type::toll_free;
    case PhoneNumberUtil::PREMIUM_RATE: return number_type::premium_rate;
    case PhoneNumberUtil::SHARED_COST: return number_type::shared_cost;
    case PhoneNumberUtil::VOIP: return number_type::voip;
    case PhoneNumberUtil::PERSONAL_NUMBER: return number_type::personal_number;
    case PhoneNumberUtil::PAGER: return number_type::pager;
    case PhoneNumberUtil::UAN: return number_type::uan;
    case PhoneNumberUtil::VOICEMAIL: return number_type::voicemail;
    case PhoneNumberUtil::UNKNOWN: return number_type::unknown;
  }
  return number_type::unknown;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n\v\f";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

void fail(phone_number_info& out, number_error e, std::string message) {
  out.valid = false;
  out.error = e;
  out.error_message = std::move(message);
}

const i18n::phonenumbers::PhoneNumberOfflineGeocoder& geocoder() {
  // Loads its data on construction; GetDescription* is safe to call from several threads.
  static const i18n::phonenumbers::PhoneNumberOfflineGeocoder instance;
  return instance;
}

// Jurisdiction codes of the NANP territories that are US jurisdictions (ISO 3166-2:US).
std::string_view us_territory(std::string_view region) {
  constexpr std::array<std::string_view, 5> territories{"PR", "GU", "VI", "AS", "MP"};
  for (std::string_view t : territories) {
    if (t == region) return t;
  }
  return {};
}

PhoneNumberUtil::PhoneNumberType to_lib(number_type t) {
  switch (t) {
    case number_type::fixed_line: return PhoneNumberUtil::FIXED_LINE;
    case number_type::mobile: return PhoneNumberUtil::MOBILE;
    case number_type::fixed_line_or_mobile: return PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
    case number_type::toll_free: return PhoneNumberUtil::TOLL_FREE;
    case number_type::premium_rate: return PhoneNumberUtil::PREMIUM_RATE;
    case number_type::shared_cost: return PhoneNumberUtil::SHARED_COST;
    case number_type::voip: return PhoneNumberUtil::VOIP;
    case number_type::personal_number: return PhoneNumberUtil::PERSONAL_NUMBER;
    case number_type::pager: return PhoneNumberUtil::PAGER;
    case number_type::uan: return PhoneNumberUtil::UAN;
    case number_type::voicemail: return PhoneNumberUtil::VOICEMAIL;
    case number_type::unknown: return PhoneNumberUtil::UNKNOWN;
  }
  return PhoneNumberUtil::UNKNOWN;
}

// The PhoneNumber that Parse would have built (SetItalianLeadingZerosForPhoneNumber), for the
// geocoder.
PhoneNumber to_phone_number(const detail::number_core& core) {
  PhoneNumber n;
  n.set_country_code(core.country_code);
  const std::string& nsn = core.national_number;
  if (nsn.size() > 1 && nsn[0] == '0') {
    n.set_italian_leading_zero(true);
    int zeros = 1;
    while (static_cast<std::size_t>(zeros) < nsn.size() - 1 &&
           nsn[static_cast<std::size_t>(zeros)] == '0') {
      ++zeros;
    }
    if (zeros != 1) n.set_number_of_leading_zeros(zeros);
  }
  n.set_national_number(std::stoull(nsn));
  return n;
}

// subdivisions_from_description of each entry of the geocoder's +1 table, computed once per
// entry and region (US/CA) and kept: at most twice the table's 32,000 entries.
const std::vector<std::string>& nanp_subdivisions(int index, std::string_view region) {
  using slot = std::atomic<const std::vector<std::string>*>;
  static slot* const memo = new slot[2 * static_cast<std::size_t>(detail::nanp_table_size())]();
  slot& s = memo[2 * static_cast<std::size_t>(index) + (region == "CA" ? 1 : 0)];
  const std::vector<std::string>* v = s.load(std::memory_order_acquire);
  if (v != nullptr) return *v;
  auto fresh = std::make_unique<const std::vector<std::string>>(
      subdivisions_from_description(region, detail::nanp_description(index)));
  if (s.compare_exchange_strong(v, fresh.get(), std::memory_order_acq_rel)) return *fresh.release();
  return *v;  // another thread stored the same answer first
}

void describe_valid(const detail::number_core& core, bool use_fast_path, phone_number_info& out) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const bool geographical = util.IsNumberGeographical(to_lib(core.type), core.country_code);
  const std::string_view digits = std::string_view(out.e164).substr(1);

  if ((out.region == "US" || out.region == "CA") && geographical) {
    // The geocoder's own table, searched as the geocoder does (fast_number_geocoder.hpp); the
    // geocoder itself when that has no answer.
    const int area = use_fast_path ? detail::nanp_area_index(core.national_number) : -1;
    if (area >= 0) {
      out.subdivisions = nanp_subdivisions(area, out.region);
    } else {
      const std::string description =
          geocoder().GetDescriptionForValidNumber(to_phone_number(core), icu::Locale::getEnglish());
      out.subdivisions = subdivisions_from_description(out.region, description);
    }
  }
  if (const std::string_view t = us_territory(out.region); !t.empty()) {
    out.jurisdiction = "US-" + std::string(t);
  } else {
    out.jurisdiction = jurisdiction_code(out.region, out.subdivisions);
  }

  // Same rule as phonenumbers.timezone.time_zones_for_number: geographical numbers by their
  // longest prefix, others (toll free, non-geographic mobiles in RU/AU/...) by country code.
  if (use_fast_path) {  // the same table through a hash index (fast_number_zones.hpp)
    if (geographical) detail::append_time_zones(digits, out.timezones);
    if (out.timezones.empty()) {
      detail::append_time_zones(std::to_string(core.country_code), out.timezones);
    }
    return;
  }
  std::vector<std::string_view> zones;
  if (geographical) zones = time_zones_for_digits(digits);
  if (zones.empty()) zones = time_zones_for_digits(std::to_string(core.country_code));
  out.timezones.assign(zones.begin(), zones.end());
}

// E.164, region, type, jurisdiction and zones of a number that parsed. A number is valid exactly
// when its type is known (what IsValidNumber computes).
void finish(const detail::number_core& core, bool use_fast_path, bool describe, phone_number_info& out) {
  // Appended piece by piece: `"+" + std::string` trips GCC 12's -Wrestrict false positive at -O3.
  out.e164.assign(1, '+');
  out.e164 += std::to_string(core.country_code);
  out.e164 += core.national_number;
  out.region = core.region;
  if (core.has_extension) {
    if (out.region == "ZZ") out.region.clear();
    fail(out, number_error::has_extension, "a number with an extension cannot receive SMS");
    return;
  }
  if (core.type != number_type::unknown) {
    out.valid = true;
    out.error = number_error::none;
    out.type = core.type;
    if (describe) describe_valid(core, use_fast_path, out);
    return;
  }
  if (out.region == "ZZ") out.region.clear();  // libphonenumber's "unknown region"
  switch (core.length) {
    case detail::length_result::too_short:
    case detail::length_result::is_possible_local_only:
      fail(out, number_error::too_short, "too short for a number of this country");
      return;
    case detail::length_result::too_long:
      fail(out, number_error::too_long, "too long for a number of this country");
      return;
    case detail::length_result::invalid_length:
      fail(out, number_error::invalid_length, "no number of this country has this length");
      return;
    case detail::length_result::invalid_country_code:
      fail(out, number_error::invalid_country_code, "unknown country calling code");
      return;
    case detail::length_result::is_possible: break;
  }
  fail(out, number_error::not_valid, "not an assigned number range");
}

detail::length_result from_lib(PhoneNumberUtil::ValidationResult r) {
  switch (r) {
    case PhoneNumberUtil::IS_POSSIBLE: return detail::length_result::is_possible;
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return detail::length_result::is_possible_local_only;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return detail::length_result::invalid_country_code;
    case PhoneNumberUtil::TOO_SHORT: return detail::length_result::too_short;
    case PhoneNumberUtil::INVALID_LENGTH: return detail::length_result::invalid_length;
    case PhoneNumberUtil::TOO_LONG: return detail::length_result::too_long;
  }
  return detail::length_result::is_possible;
}

detail::parse_status from_lib(PhoneNumberUtil::ErrorType e) {
  switch (e) {
    case PhoneNumberUtil::NO_PARSING_ERROR: return detail::parse_status::ok;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return detail::parse_status::invalid_country_code;
    case PhoneNumberUtil::NOT_A_NUMBER: return detail::parse_status::not_a_number;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return detail::parse_status::too_short_after_idd;
    case PhoneNumberUtil::TOO_SHORT_NSN: return detail::parse_status::too_short_nsn;
    case PhoneNumberUtil::TOO_LONG_NSN: return detail::parse_status::too_long_nsn;
  }
  return detail::parse_status::not_a_number;
}

// Parses `text` with `region` ("ZZ" = must be international) into `out`: the fast path when it
// takes the input (policy/fast_number.hpp), else libphonenumber.
void parse_into(std::string_view text, std::string_view region, phone_number_info& out,
                bool use_fast_path = true, bool describe = true) {
  if (region.empty()) region = "ZZ";
  std::optional<detail::number_core> fast;
  if (use_fast_path) fast = detail::fast_core(text, region);
  const detail::number_core core = fast ? std::move(*fast) : detail::library_core(text, region);
  switch (core.status) {
    case detail::parse_status::ok: finish(core, use_fast_path, describe, out); return;
    case detail::parse_status::invalid_country_code:
      fail(out, number_error::invalid_country_code,
           region == "ZZ"
               ? "no country code: write the number with '+' and its country code, or give a region"
               : "unknown country calling code");
      return;
    case detail::parse_status::not_a_number:
      fail(out, number_error::not_a_number, "not a phone number");
      return;
    case detail::parse_status::too_short_after_idd:
    case detail::parse_status::too_short_nsn:
      fail(out, number_error::too_short, "too short to be a phone number");
      return;
    case detail::parse_status::too_long_nsn:
      fail(out, number_error::too_long, "too long to be a phone number");
      return;
  }
  fail(out, number_error::not_a_number, "not a phone number");
}

bool precheck(std::string_view trimmed, phone_number_info& out) {
  out.input = std::string(trimmed.substr(0, max_number_input));
  if (trimmed.empty()) {
    fail(out, number_error::empty, "empty number");
    return false;
  }
  if (trimmed.size() > max_number_input) {
    fail(out, number_error::input_too_long, "longer than 64 characters");
    return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(number_type t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < type_names.size() ? type_names[i] : "unknown";
}

std::optional<number_type> number_type_from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < type_names.size(); ++i) {
    if (type_names[i] == s) return static_cast<number_type>(i);
  }
  return std::nullopt;
}

std::string_view to_string(number_error e) noexcept {
  switch (e) {
    case number_error::none: return "none";
    case number_error::empty: return "empty";
    case number_error::input_too_long: return "input_too_long";
    case number_error::not_a_number: return "not_a_number";
    case number_error::invalid_country_code: return "invalid_country_code";
    case number_error::too_short: return "too_short";
    case number_error::too_long: return "too_long";
    case number_error::invalid_length: return "invalid_length";
    case number_error::not_valid: return "not_valid";
    case number_error::has_extension: return "has_extension";
    case number_error::alphanumeric: return "alphanumeric";
  }
  return "unknown";
}

phone_number_info normalize(std::string_view input, std::string_view region_hint) {
  phone_number_info out;
  const std::string_view trimmed = trim(input);
  if (!precheck(trimmed, out)) return out;
  parse_into(trimmed, region_hint, out);
  return out;
}

phone_number_info normalize_e164(std::string_view input, std::string_view region_hint) {
  phone_number_info out;
  const std::string_view trimmed = trim(input);
  if (!precheck(trimmed, out)) return out;
  parse_into(trimmed, region_hint, out, true, false);
  return out;
}

namespace detail {

number_core library_core(std::string_view text, std::string_view region) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  number_core core;
  PhoneNumber n;
  core.status = from_lib(
      util.Parse(std::string(text), region.empty() ? std::string("ZZ") : std::string(region), &n));
  if (core.status != parse_status::ok) return core;
  core.country_code = n.country_code();
  util.GetNationalSignificantNumber(n, &core.national_number);
  if (n.has_extension() && !n.extension().empty()) {
    core.has_extension = true;
    util.GetRegionCodeForNumber(n, &core.region);
    return core;
  }
  // GetNumberType repeats the region search; a known type is what IsValidNumber computes.
  core.type = from_lib(util.GetNumberType(n));
  util.GetRegionCodeForNumber(n, &core.region);
  if (core.type == number_type::unknown) core.length = from_lib(util.IsPossibleNumberWithReason(n));
  return core;
}

phone_number_info normalize_with_library(std::string_view input, std::string_view region_hint) {
  phone_number_info out;
  const std::string_view trimmed = trim(input);
  if (!precheck(trimmed, out)) return out;
  parse_into(trimmed, region_hint, out, false);
  return out;
}

}  // namespace detail

phone_number_info normalize_address(std::string_view address, std::uint8_t ton,
                                    std::string_view default_region) {
  phone_number_info out;
  const std::string_view trimmed = trim(address);
  if (!precheck(trimmed, out)) return out;
  const auto t = static_cast<type_of_number>(ton);
  if (t == type_of_number::alphanumeric) {
    fail(out, number_error::alphanumeric, "an alphanumeric sender id is not a phone number");
    return out;
  }
  if (trimmed.front() == '+') {
    parse_into(trimmed, "ZZ", out);
    return out;
  }
  std::string international(1, '+');  // (not "+" + std::string: see finish())
  international += trimmed;
  if (t == type_of_number::international) {
    parse_into(international, "ZZ", out);
    return out;
  }
  parse_into(trimmed, default_region, out);
  if (t != type_of_number::unknown || out.valid) return out;
  // TON 0: the national reading failed; an international reading may still be valid
  // ("447911123456" from a US carrier).
  phone_number_info as_international;
  as_international.input = out.input;
  parse_into(international, "ZZ", as_international);
  if (as_international.valid) return as_international;
  return out;
}

reason check_number(const phone_number_info& n, const number_type_set& sms_types) noexcept {
  if (!n.valid) return reason::invalid_number;
  if (!sms_types.contains(n.type)) return reason::not_mobile;
  return reason::none;
}

number_cache::number_cache(std::size_t capacity, bool skip_fast_path_inputs)
    : capacity_(capacity == 0 ? 1 : capacity), skip_fast_path_inputs_(skip_fast_path_inputs) {}

number_cache::value number_cache::lookup(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto it = index_.find(std::string_view(key));
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->info;
}

void number_cache::store(std::string key, value info) {
  const std::lock_guard lock(mutex_);
  if (index_.find(std::string_view(key)) != index_.end()) return;  // another thread was faster
  lru_.push_front(entry{std::move(key), std::move(info)});
  index_.emplace(std::string_view(lru_.front().key), lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(std::string_view(lru_.back().key));
    lru_.pop_back();
  }
}

namespace {

// Whether normalize() answers `input` on the fast path (fast_number.hpp: ASCII digits, at least 3,
// the separators " -.()" and '+'): about 1.5 µs, less than a cache miss (the key, the lock, the
// list node and the eviction: about 3.3 µs together) and not much more than a hit. Such inputs
// skip the cache when it was built with skip_fast_path_inputs; the answer is the same either way.
// (A rare input that the fast path declines after all, e.g. a second '+', then goes through the
// library without the cache.)
bool fast_path_input(std::string_view input) {
  if (input.size() > max_number_input) return false;
  std::size_t digits = 0;
  for (const char c : input) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c != '+' && c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return false;
    }
  }
  return digits >= 3;
}

}  // namespace

std::shared_ptr<const phone_number_info> number_cache::normalize(std::string_view input,
                                                                 std::string_view region_hint) {
  if (skip_fast_path_inputs_ && fast_path_input(input)) return std::make_shared<const phone_number_info>(policy::normalize(input, region_hint));
  std::string key;
  key.reserve(input.size() + region_hint.size() + 2);
  key.append(region_hint).push_back('\x1f');
  key.append(input);
  if (auto hit = lookup(key)) return hit;
  auto info = std::make_shared<const phone_number_info>(policy::normalize(input, region_hint));
  store(std::move(key), info);
  return info;
}

std::shared_ptr<const phone_number_info> number_cache::normalize_address(
    std::string_view address, std::uint8_t ton, std::string_view default_region) {
  std::string key;
  key.reserve(address.size() + default_region.size() + 4);
  key.append(default_region).push_back('\x1e');
  key.append(std::to_string(ton));
  key.push_back('\x1f');
  key.append(address);
  if (auto hit = lookup(key)) return hit;
  auto info = std::make_shared<const phone_number_info>(
      policy::normalize_address(address, ton, default_region));
  store(std::move(key), info);
  return info;
}

number_cache::stats number_cache::statistics() const {
  const std::lock_guard lock(mutex_);
  return stats{hits_, misses_, lru_.size()};
}

}  // namespace policy
