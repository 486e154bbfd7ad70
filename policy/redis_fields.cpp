#include "policy/redis_fields.hpp"

namespace policy::redis_detail {

void pack_into(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out.append(v);
}

std::vector<std::string> unpack(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto colon = s.find(':');
    if (colon == std::string_view::npos) break;
    std::size_t len = static_cast<std::size_t>(to_i64(s.substr(0, colon)));
    if (colon + 1 + len > s.size()) break;
    out.emplace_back(s.substr(colon + 1, len));
    s.remove_prefix(colon + 1 + len);
  }
  return out;
}

field_map to_map(const redis_value& v, std::size_t from) {
  field_map m;
  for (std::size_t i = from; i + 1 < v.elements.size(); i += 2) m[v.elements[i].str] = v.elements[i + 1].str;
  return m;
}

}  // namespace policy::redis_detail
