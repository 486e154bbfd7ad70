#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gateway/api_error.hpp"

namespace gateway {

// The body of POST /v1/messages (and one item of a batch), validated for shape only:
// number validity, sender permission and policy are decided later.
struct message_request {
  std::string to;
  std::string from;
  std::string text;
  std::string category;  // empty: the configured default
  std::string campaign;
  std::optional<std::int64_t> send_at;  // unix seconds, from RFC 3339
  std::string client_ref;
  std::string region;  // ISO 3166 alpha-2 hint for national-format numbers, upper case

  bool operator==(const message_request&) const = default;
};

// Limits on the shape of a request; the number of segments is checked later.
inline constexpr std::size_t max_text_bytes = 8 * 1024;
inline constexpr std::size_t max_short_field_bytes = 128;

using message_request_result = std::variant<message_request, api_error>;

// Validates one JSON object. Unknown fields are refused (a typo such as "txt" must not send a
// message without text). Errors are 400 bad_request naming the field.
message_request_result parse_message_request(const nlohmann::json& object);

// Parses a request body; malformed JSON is 400 bad_request without a field.
message_request_result parse_message_request_body(std::string_view body);

// A JSON body as a document: malformed JSON is 400 bad_request without a field; a key given twice
// in one object is 400 naming it (parsers disagree on which one counts, and a second "to" must
// not silently replace the first).
std::variant<nlohmann::json, api_error> parse_json_body(std::string_view body);

// The items of a POST /v1/messages/batch body, each validated as parse_message_request() does,
// when the body is exactly `{"messages":[...]}` and every item is a flat object of known fields
// with plain string or null values (what parse_message_request_body() reads without a JSON
// document). nullopt for any other body, valid or not: the caller then parses it as a JSON
// document, which answers every other shape and every error. The item count is not checked.
std::optional<std::vector<message_request_result>> parse_batch_items_flat(std::string_view body);

// Parses an RFC 3339 timestamp ("2026-12-01T15:00:00Z", "2026-12-01T10:00:00-05:00", optional
// fractional seconds) to unix seconds; std::nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// Formats unix seconds as RFC 3339 in UTC ("2026-12-01T15:00:00Z").
std::string format_rfc3339(std::int64_t unix_seconds);

}  // namespace gateway
