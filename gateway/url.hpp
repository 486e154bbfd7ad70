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

// The path-and-query of a request target: an absolute-form target ("http://host:8080/v1/...",
// which RFC 9112 3.2.2 requires a server to accept) loses its scheme and authority; any other
// target is returned as is.
std::string_view origin_form(std::string_view target);

// Splits a request target (origin_form() applied) into its path and decoded query parameters.
split_target split_request_target(std::string_view target);

}  // namespace gateway
