#include "policy/fast_number_geocoder.hpp"

#include <cstdint>
#include <cstring>

// Exported by libgeocoding; declared in its phonenumbers/geocoding/geocoding_data.h, which Debian
// does not install. The struct is that header's layout (unchanged since 2012).
namespace i18n::phonenumbers {
struct PrefixDescriptions {
  const std::int32_t* prefixes;
  const int prefixes_size;
  const char** descriptions;
  const std::int32_t* possible_lengths;
  const int possible_lengths_size;
};
const char** get_prefix_language_code_pairs();
int get_prefix_language_code_pairs_size();
const PrefixDescriptions* get_prefix_descriptions(int index);
}  // namespace i18n::phonenumbers

namespace policy::detail {
namespace {

namespace pn = i18n::phonenumbers;

// The "1_en" table (the file PhoneNumberOfflineGeocoder picks for +1 in English), or null.
const pn::PrefixDescriptions* nanp_english_table() {
  static const pn::PrefixDescriptions* const table = []() -> const pn::PrefixDescriptions* {
    const char** pairs = pn::get_prefix_language_code_pairs();
    const int n = pn::get_prefix_language_code_pairs_size();
    for (int i = 0; i < n; ++i) {
      if (std::strcmp(pairs[i], "1_en") != 0) continue;
      const pn::PrefixDescriptions* t = pn::get_prefix_descriptions(i);
      // Sanity of the declared layout: sorted lengths of a 32-bit prefix.
      if (t == nullptr || t->prefixes_size <= 0 || t->possible_lengths_size <= 0) return nullptr;
      for (int j = 0; j < t->possible_lengths_size; ++j) {
        if (t->possible_lengths[j] < 1 || t->possible_lengths[j] > 9) return nullptr;
        if (j > 0 && t->possible_lengths[j] <= t->possible_lengths[j - 1]) return nullptr;
      }
      return t;
    }
    return nullptr;
  }();
  return table;
}

// AreaCodeMap::BinarySearch: the index of `value`, or of the last prefix below it (-1 if none).
int binary_search(const pn::PrefixDescriptions& t, int start, int end, std::int64_t value) {
  int current = 0;
  while (start <= end) {
    current = (start + end) / 2;
    const std::int32_t v = t.prefixes[current];
    if (v == value) return current;
    if (v > value) {
      --current;
      end = current;
    } else {
      start = current + 1;
    }
  }
  return current;
}

}  // namespace

std::optional<std::string_view> nanp_area_description(std::string_view national_number) {
  const int index = nanp_area_index(national_number);
  if (index < 0) return std::nullopt;
  return nanp_description(index);
}

int nanp_table_size() {
  const pn::PrefixDescriptions* t = nanp_english_table();
  return t == nullptr ? 0 : t->prefixes_size;
}

std::string_view nanp_description(int index) { return nanp_english_table()->descriptions[index]; }

int nanp_area_index(std::string_view national_number) {
  const pn::PrefixDescriptions* t = nanp_english_table();
  // "1" + NSN as a 64-bit integer (AreaCodeMap::Lookup); no leading zeros, at most 18 digits.
  if (t == nullptr || national_number.empty() || national_number.size() > 17 ||
      national_number[0] == '0') {
    return -1;
  }
  // "1" + NSN as an integer; truncating it to a prefix length is a division by a power of ten.
  std::int64_t number = 1;
  for (const char c : national_number) {
    if (c < '0' || c > '9') return -1;
    number = number * 10 + (c - '0');
  }
  const auto digits = static_cast<int>(national_number.size()) + 1;
  // AreaCodeMap::Lookup: from the longest prefix length down, truncate and search below the
  // previous position.
  int current = t->prefixes_size - 1;
  for (int li = t->possible_lengths_size - 1; li >= 0; --li) {
    std::int64_t prefix = number;
    for (int d = digits; d > t->possible_lengths[li]; --d) prefix /= 10;
    current = binary_search(*t, 0, current, prefix);
    if (current < 0) return -1;
    if (t->prefixes[current] == prefix) {
      const char* d = t->descriptions[current];
      if (d == nullptr || *d == '\0') return -1;
      return current;
    }
  }
  return -1;
}

}  // namespace policy::detail
