#pragma once

// Several values in one string, separated by U+001F (unit separator): the Redis store's consent
// fields and ledger entries, both stores' export cursors. Pure functions.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace policy {

constexpr char field_separator = '\x1f';

// The first n - 1 parts separated by field_separator, then the rest; always n parts (missing
// ones empty).
std::vector<std::string> split_fields(std::string_view s, std::size_t n);
std::string join_fields(std::initializer_list<std::string_view> parts);

}  // namespace policy
