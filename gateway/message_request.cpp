#include "gateway/message_request.hpp"

#include <cctz/time_zone.h>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>

namespace gateway {
namespace {

constexpr std::array known_fields = {"to",         "from",       "text",  "category", "campaign",
                                     "send_at",    "client_ref", "region"};

bool is_known_field(std::string_view name) {
  for (std::string_view known : known_fields) {
    if (known == name) return true;
  }
  return false;
}

// Reads an optional or required string member; returns an error when present but ill-typed,
// missing while required, empty while required, or longer than `max_bytes`.
std::optional<api_error> read_string(const nlohmann::json& object, const char* name, bool required,
                                     std::size_t max_bytes, std::string& out) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (required) return bad_request(std::string("missing required field '") + name + "'", name);
    return std::nullopt;
  }
  if (!it->is_string()) return bad_request(std::string("'") + name + "' must be a string", name);
  out = it->get<std::string>();
  if (required && out.empty()) return bad_request(std::string("'") + name + "' must not be empty", name);
  if (out.size() > max_bytes) {
    return bad_request(std::string("'") + name + "' is longer than " + std::to_string(max_bytes) +
                           " bytes",
                       name);
  }
  return std::nullopt;
}

}  // namespace

message_request_result parse_message_request(const nlohmann::json& object) {
  if (!object.is_object()) return bad_request("the message must be a JSON object");
  for (const auto& item : object.items()) {
    if (!is_known_field(item.key())) {
      return bad_request("unknown field '" + item.key() + "'", item.key());
    }
  }
  message_request request;
  constexpr std::size_t short_max = max_short_field_bytes;
  if (auto e = read_string(object, "to", true, short_max, request.to)) return *e;
  if (auto e = read_string(object, "from", true, short_max, request.from)) return *e;
  if (auto e = read_string(object, "text", true, max_text_bytes, request.text)) return *e;
  if (auto e = read_string(object, "category", false, short_max, request.category)) return *e;
  if (auto e = read_string(object, "campaign", false, short_max, request.campaign)) return *e;
  if (auto e = read_string(object, "client_ref", false, short_max, request.client_ref)) return *e;
  if (auto e = read_string(object, "region", false, 2, request.region)) return *e;
  if (!request.region.empty()) {
    for (char& c : request.region) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c < 'A' || c > 'Z') return bad_request("'region' must be a two-letter country code", "region");
    }
    if (request.region.size() != 2) {
      return bad_request("'region' must be a two-letter country code", "region");
    }
  }
  std::string send_at;
  if (auto e = read_string(object, "send_at", false, short_max, send_at)) return *e;
  if (!send_at.empty()) {
    request.send_at = parse_rfc3339(send_at);
    if (!request.send_at) {
      return bad_request("'send_at' must be an RFC 3339 timestamp such as 2026-12-01T15:00:00Z",
                         "send_at");
    }
  }
  return request;
}

message_request_result parse_message_request_body(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return bad_request("the body is not valid JSON");
  return parse_message_request(json);
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  // Require the date-time form with a 'T' and an explicit offset: no locale-dependent forms.
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't')) return std::nullopt;
  std::string input(text);
  if (input.back() == 'z') input.back() = 'Z';
  std::chrono::system_clock::time_point tp;
  static const cctz::time_zone utc = cctz::utc_time_zone();
  if (!cctz::parse("%Y-%m-%dT%H:%M:%E*S%Ez", input, utc, &tp)) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch()).count();
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  static const cctz::time_zone utc = cctz::utc_time_zone();
  std::chrono::system_clock::time_point tp{std::chrono::seconds{unix_seconds}};
  return cctz::format("%Y-%m-%dT%H:%M:%SZ", tp, utc);
}

}  // namespace gateway
