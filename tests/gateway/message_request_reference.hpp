#pragma once

// The JSON-document path of the request bodies, as the reference the flat-body reader of
// gateway/message_request.cpp must equal (tests/gateway/message_request_fast_test.cpp and the
// fuzz target tests/fuzz/message_request_fuzz.cpp).

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/message_request.hpp"

namespace gateway::testing {

// POST /v1/messages through a JSON document.
inline message_request_result reference_single(std::string_view body) {
  auto json = parse_json_body(body);
  if (auto* e = std::get_if<api_error>(&json)) return *e;
  return parse_message_request(std::get<nlohmann::json>(json));
}

// What the document path gives for a batch body (api_service::send_batch): nullopt when the body
// itself is refused (not JSON, not an object, a member other than "messages", "messages" not an
// array), otherwise each item's result. (The item count is checked by the caller on both paths.)
inline std::optional<std::vector<message_request_result>> reference_batch(std::string_view body) {
  auto parsed = parse_json_body(body);
  if (std::holds_alternative<api_error>(parsed)) return std::nullopt;
  const auto& json = std::get<nlohmann::json>(parsed);
  if (!json.is_object()) return std::nullopt;
  for (const auto& item : json.items()) {
    if (item.key() != "messages") return std::nullopt;
  }
  auto list = json.find("messages");
  if (list == json.end() || !list->is_array()) return std::nullopt;
  std::vector<message_request_result> out;
  for (const auto& item : *list) out.push_back(parse_message_request(item));
  return out;
}

// One line per answer: the fields, or the error's status, code, field and message.
inline std::string describe(const message_request_result& r) {
  if (const auto* e = std::get_if<api_error>(&r)) {
    return "error " + std::to_string(static_cast<int>(e->status)) + " " + e->code + " [" + e->field + "] " +
           e->message;
  }
  const auto& m = std::get<message_request>(r);
  return "ok to=" + m.to + " from=" + m.from + " text=" + m.text + " category=" + m.category +
         " campaign=" + m.campaign + " client_ref=" + m.client_ref + " region=" + m.region +
         " send_at=" + (m.send_at ? std::to_string(*m.send_at) : "-");
}

}  // namespace gateway::testing
