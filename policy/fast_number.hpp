#pragma once

// The fast number path (docs/policy.md, "Cost: the fast path"). normalize() asks fast_core() first
// and falls back to library_core() (libphonenumber) for every input the fast path declines. Both
// answer the same question: what libphonenumber's Parse, GetNumberType, GetRegionCodeForNumber
// and IsPossibleNumberWithReason say about a number. The differential test
// (tests/policy/phone_number_differential_test.cpp) compares the two over generated numbers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/phone_number.hpp"

namespace policy::detail {

// PhoneNumberUtil::ErrorType.
enum class parse_status : std::uint8_t {
  ok,
  invalid_country_code,
  not_a_number,
  too_short_after_idd,
  too_short_nsn,
  too_long_nsn,
};

// PhoneNumberUtil::ValidationResult.
enum class length_result : std::uint8_t {
  is_possible,
  is_possible_local_only,
  invalid_country_code,
  too_short,
  invalid_length,
  too_long,
};

// What libphonenumber knows about one parsed input. Fields after `status` are set only when
// status is ok; `length` only when the type is unknown (an invalid number).
struct number_core {
  parse_status status = parse_status::ok;
  int country_code = 0;
  std::string national_number;  // the national significant number, leading zeros included
  bool has_extension = false;
  std::string region;  // GetRegionCodeForNumber; "ZZ" when no region claims it
  number_type type = number_type::unknown;
  length_result length = length_result::is_possible;
  bool operator==(const number_core&) const = default;
};

// Inputs the fast path takes: ASCII digits (at least 3), the separators " -.()" and one '+'
// before the first digit; anything else (letters, extensions, "tel:", Unicode digits, ...) and any
// case whose DFA runs out of memory returns nullopt. `text` is trimmed, `region` as for Parse
// ("ZZ" or "" when there is none).
std::optional<number_core> fast_core(std::string_view text, std::string_view region);

// The same answer from libphonenumber (tens of µs).
number_core library_core(std::string_view text, std::string_view region);

// normalize() without the fast path: the reference of the differential test.
phone_number_info normalize_with_library(std::string_view input, std::string_view region_hint);

}  // namespace policy::detail
