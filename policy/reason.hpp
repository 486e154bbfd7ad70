#pragma once

#include <string_view>

namespace policy {

// Why a message is refused or deferred. Each value maps 1:1 to an error code of the HTTP
// contract (design.md section 5.2); `none` means allowed.
enum class reason {
  none,
  invalid_number,
  not_mobile,
  recipient_opted_out,
  no_consent,
  frequency_capped,
  quiet_hours,
  unknown_category,
};

// The error code string of the HTTP API ("recipient_opted_out", ...); "" for `none`.
constexpr std::string_view to_string(reason r) noexcept {
  switch (r) {
    case reason::none: return "";
    case reason::invalid_number: return "invalid_number";
    case reason::not_mobile: return "not_mobile";
    case reason::recipient_opted_out: return "recipient_opted_out";
    case reason::no_consent: return "no_consent";
    case reason::frequency_capped: return "frequency_capped";
    case reason::quiet_hours: return "quiet_hours";
    case reason::unknown_category: return "unknown_category";
  }
  return "";
}

}  // namespace policy
