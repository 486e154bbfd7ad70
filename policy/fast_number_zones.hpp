#pragma once

// time_zones_for_digits (policy/timezone_table.hpp) for the fast number path: the same generated
// table and the same rule (the zone list of the longest known prefix, up to 8 digits), looked up
// through a hash index built at first use (one probe per prefix length) instead of a binary
// search per length. normalize_with_library keeps using time_zones_for_digits; the differential
// test compares both.

#include <string>
#include <string_view>
#include <vector>

namespace policy::detail {

// Appends the zones of `e164_digits` ("14155550123") to `out`; false when no prefix is known.
bool append_time_zones(std::string_view e164_digits, std::vector<std::string>& out);

}  // namespace policy::detail
