#include "gateway/admin_api.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "gateway/api_error.hpp"

namespace gateway {
namespace {

namespace bhttp = boost::beast::http;

http_response method_not_allowed(const char* allow) {
  auto res = json_response(405, to_json({405, "method_not_allowed", "method not allowed", ""}));
  res.set(bhttp::field::allow, allow);
  return res;
}

http_response answer(const admin_hooks& hooks, const http_request& request) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = request.method() == bhttp::verb::get;
  if (path == "/livez") {
    if (!get) return method_not_allowed("GET");
    return json_response(200, R"({"status":"ok"})");
  }
  if (path == "/readyz") {
    if (!get) return method_not_allowed("GET");
    std::string reason = hooks.not_ready_reason ? hooks.not_ready_reason() : std::string();
    if (reason.empty()) return json_response(200, R"({"status":"ready"})");
    return json_response(503, nlohmann::json{{"status", "not_ready"}, {"reason", reason}}.dump());
  }
  if (path == "/metrics") {
    if (!get) return method_not_allowed("GET");
    http_response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.body() = hooks.metrics_registry ? hooks.metrics_registry->serialize() : std::string();
    return res;
  }
  if (path == "/admin/reload") {
    if (request.method() != bhttp::verb::post) return method_not_allowed("POST");
    std::string errors = hooks.reload ? hooks.reload() : std::string("reload is not available");
    if (errors.empty()) return json_response(200, R"({"status":"reloaded"})");
    return json_response(
        422, nlohmann::json{{"error", {{"code", "invalid_config"}, {"message", errors}}}}.dump());
  }
  return json_response(404, to_json({404, "not_found", "no such endpoint", ""}));
}

// A coroutine taking its arguments by value (GCC 12: no capturing coroutine lambdas).
boost::asio::awaitable<http_response> handle_admin(std::shared_ptr<admin_hooks> hooks, http_request request) {
  co_return answer(*hooks, request);
}

}  // namespace

http_handler make_admin_handler(admin_hooks hooks) {
  auto shared = std::make_shared<admin_hooks>(std::move(hooks));
  return [shared](http_request request) { return handle_admin(shared, std::move(request)); };
}

}  // namespace gateway
