#pragma once

// How the Redis store writes values into strings and hash fields, and reads them back: numbers as
// decimal strings, the message's immutable fields packed as "<len>:<bytes>" (any byte may
// appear), replies of HGETALL as maps (multi-part fields: policy/separated_fields.hpp). Pure
// functions, no I/O.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/redis_connection.hpp"

namespace policy::redis_detail {

inline std::string num(std::int64_t v) { return std::to_string(v); }

// 0 when `s` does not start with a number.
inline std::int64_t to_i64(std::string_view s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Immutable message fields in one hash field: "<len>:<bytes>" repeated.
void pack_into(std::string& out, std::string_view v);
std::vector<std::string> unpack(std::string_view s);

using field_map = std::unordered_map<std::string, std::string>;

// Field/value pairs of an array reply (HGETALL), from element `from` on.
field_map to_map(const redis_value& v, std::size_t from = 0);

}  // namespace policy::redis_detail
