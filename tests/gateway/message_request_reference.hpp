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
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return bad_request("the body is not valid JSON");
  return parse_message_request(json);
}

// What the document path gives for a batch body (api_service::send_batch): nullopt when the body
// itself is refused (not JSON, not an object, a member other than "messages", "messages" not an
// array), otherwise each item's result. (The item count is checked by the caller on both paths.)
inline std::optional<std::vector<message_request_result>> reference_batch(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
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
