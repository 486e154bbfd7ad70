#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway {

// Percent-decoding of one path segment or query value ('+' is a space only in queries);
// std::nullopt for a malformed escape.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space);

struct split_target {
  std::string_view path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  bool ok = true;                                          // false: a malformed escape
  const std::string* find(std::string_view name) const;
};

split_target split_request_target(std::string_view target);

}  // namespace gateway
