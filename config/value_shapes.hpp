#pragma once

// The shapes of configuration values (config/load.cpp and the section readers): sender ids,
// names, regions, jurisdictions, route prefixes, webhook URLs, API key digests. Pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "config/gateway_config.hpp"

namespace config::detail {

bool is_digits(std::string_view s);
bool is_upper(char c);
// E.164 with '+' (7 to 15 digits), a short code (3 to 8 digits) or an alphanumeric sender id
// (1 to 11 letters, digits, spaces, '-', '.', '&', at least one letter).
bool valid_sender_id(std::string_view s);
// 1 to 64 of letters, digits, '_', '-', '.'.
bool valid_name(std::string_view s);
// Two upper-case letters (ISO 3166-1 alpha-2).
bool valid_region(std::string_view s);
// A region of libphonenumber's metadata ("US", "GB"; not "XX").
bool known_region(std::string_view s);
// "GB", "US-FL", "CA-QC": ISO 3166-1 alpha-2, optionally "-" and an ISO 3166-2 subdivision.
bool valid_jurisdiction(std::string_view s);
// For a valid_jurisdiction: "" when smsgw can find numbers in it (a known region; a subdivision
// only of US or CA, one the geocoder names), else why not.
std::string jurisdiction_problem(std::string_view s);
// "+" and up to 15 digits.
bool valid_prefix(std::string_view s);
// http:// or https:// and a host.
bool valid_http_url(std::string_view s);
sha256_digest sha256(std::string_view data);
// 64 hex digits (either case).
std::optional<sha256_digest> parse_hex_digest(std::string_view s);

}  // namespace config::detail
