#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace policy {

// Candidate IANA time zones for an E.164 number given as its digits without '+'
// ("14155550123"): the zone list of the longest known prefix (up to 8 digits), or empty when no
// prefix is known. The data is python3-phonenumbers' tzdata, turned into a C++ table at build
// time by policy/gen_timezone_table.py. The views point to static storage.
std::vector<std::string_view> time_zones_for_digits(std::string_view e164_digits);

namespace detail {

// Generated arrays (see gen_timezone_table.py). Entries are sorted by (length, prefix).
struct tz_prefix_entry {
  std::uint8_t length;
  std::uint32_t prefix;
  std::uint16_t list_offset;  // into tz_lists: [count, name index...]
};
extern const int tz_longest_prefix;
extern const std::size_t tz_name_count;
extern const char* const tz_names[];
extern const std::size_t tz_list_size;
extern const std::uint16_t tz_lists[];
extern const std::size_t tz_prefix_count;
extern const tz_prefix_entry tz_prefixes[];

}  // namespace detail
}  // namespace policy
