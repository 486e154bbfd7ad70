#include "policy/separated_fields.hpp"

namespace policy {

std::vector<std::string> split_fields(std::string_view s, std::size_t n) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() + 1 < n) {
    auto p = s.find(field_separator, start);
    if (p == std::string_view::npos) break;
    out.emplace_back(s.substr(start, p - start));
    start = p + 1;
  }
  out.emplace_back(s.substr(start));
  out.resize(n);
  return out;
}

std::string join_fields(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (auto p : parts) {
    if (!first) out += field_separator;
    out.append(p);
    first = false;
  }
  return out;
}

}  // namespace policy
