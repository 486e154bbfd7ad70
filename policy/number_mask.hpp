#pragma once

#include <string>
#include <string_view>

namespace policy {

// Masks a phone number for logs: keeps the first five and the last two characters and
// replaces the rest with '*' ("+14155550123" -> "+1415*****23"). Short inputs are masked
// whole so that nothing identifying leaks from a malformed number.
std::string mask_number(std::string_view number);

}  // namespace policy
