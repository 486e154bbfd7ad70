#include "gateway/api_error.hpp"

#include <nlohmann/json.hpp>

namespace gateway {

nlohmann::json to_json_value(const api_error& error) {
  nlohmann::json body = {{"code", error.code}, {"message", error.message}};
  if (!error.field.empty()) body["field"] = error.field;
  return {{"error", std::move(body)}};
}

// Messages and fields can quote what the client sent (a query parameter, a sender) after
// percent-decoding, which need not be UTF-8: such bytes become U+FFFD instead of making dump()
// throw (a 500 for a malformed request).
std::string to_json(const api_error& error) {
  return to_json_value(error).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

api_error bad_request(std::string message, std::string field) {
  return {400, "bad_request", std::move(message), std::move(field)};
}

}  // namespace gateway
