#include "policy/timezone_table.hpp"

#include <algorithm>

namespace policy {

std::vector<std::string_view> time_zones_for_digits(std::string_view e164_digits) {
  using detail::tz_prefix_entry;
  const tz_prefix_entry* begin = detail::tz_prefixes;
  const tz_prefix_entry* end = detail::tz_prefixes + detail::tz_prefix_count;
  const int longest = std::min<int>(detail::tz_longest_prefix, static_cast<int>(e164_digits.size()));
  // Prefix value of each length, built once left to right; stop at the first non-digit.
  std::uint32_t values[10] = {};
  int usable = 0;
  std::uint32_t v = 0;
  for (int i = 0; i < longest; ++i) {
    const char c = e164_digits[static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
    values[i + 1] = v;
    usable = i + 1;
  }
  for (int len = usable; len >= 1; --len) {
    const tz_prefix_entry key{static_cast<std::uint8_t>(len), values[len], 0};
    const auto less = [](const tz_prefix_entry& a, const tz_prefix_entry& b) {
      return a.length != b.length ? a.length < b.length : a.prefix < b.prefix;
    };
    const tz_prefix_entry* it = std::lower_bound(begin, end, key, less);
    if (it != end && it->length == key.length && it->prefix == key.prefix) {
      const std::uint16_t* list = detail::tz_lists + it->list_offset;
      std::vector<std::string_view> zones;
      zones.reserve(list[0]);
      for (std::uint16_t i = 0; i < list[0]; ++i) zones.emplace_back(detail::tz_names[list[1 + i]]);
      return zones;
    }
  }
  return {};
}

}  // namespace policy
