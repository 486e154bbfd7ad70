#include "policy/fast_number_zones.hpp"

#include <cstdint>
#include <memory>

#include "policy/timezone_table.hpp"

namespace policy::detail {
namespace {

std::uint64_t key_of(int length, std::uint32_t prefix) {
  return (static_cast<std::uint64_t>(length) << 32) | prefix;
}

// Open addressing over (length, prefix) -> list offset; the first entry of a key wins, as
// lower_bound finds it.
class zone_index {
 public:
  zone_index() {
    while (mask_ + 1 < 2 * tz_prefix_count) mask_ = mask_ * 2 + 1;
    slots_ = std::make_unique<slot[]>(mask_ + 1);
    for (std::size_t i = 0; i < tz_prefix_count; ++i) {
      const tz_prefix_entry& e = tz_prefixes[i];
      const std::uint64_t key = key_of(e.length, e.prefix);
      for (std::size_t s = hash(key);; s = (s + 1) & mask_) {
        if (slots_[s].key == key) break;  // duplicate: keep the first
        if (slots_[s].key == 0) {
          slots_[s] = slot{key, e.list_offset};
          break;
        }
      }
    }
  }

  const std::uint16_t* find(int length, std::uint32_t prefix) const {
    const std::uint64_t key = key_of(length, prefix);
    for (std::size_t s = hash(key);; s = (s + 1) & mask_) {
      if (slots_[s].key == key) return tz_lists + slots_[s].list_offset;
      if (slots_[s].key == 0) return nullptr;
    }
  }

 private:
  struct slot {
    std::uint64_t key = 0;  // never 0 for an entry: lengths start at 1
    std::uint16_t list_offset = 0;
  };
  std::size_t hash(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 40) & mask_;
  }

  std::size_t mask_ = 1023;
  std::unique_ptr<slot[]> slots_;
};

}  // namespace

bool append_time_zones(std::string_view e164_digits, std::vector<std::string>& out) {
  static const zone_index index;
  // As time_zones_for_digits: prefix values of each length, stopping at the first non-digit.
  const int longest = std::min<int>(tz_longest_prefix, static_cast<int>(e164_digits.size()));
  std::uint32_t values[16] = {};
  int usable = 0;
  std::uint32_t v = 0;
  for (int i = 0; i < longest && i < 15; ++i) {
    const char c = e164_digits[static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
    values[i + 1] = v;
    usable = i + 1;
  }
  for (int len = usable; len >= 1; --len) {
    const std::uint16_t* list = index.find(len, values[len]);
    if (list == nullptr) continue;
    out.reserve(out.size() + list[0]);
    for (std::uint16_t i = 0; i < list[0]; ++i) out.emplace_back(tz_names[list[1 + i]]);
    return true;
  }
  return false;
}

}  // namespace policy::detail
