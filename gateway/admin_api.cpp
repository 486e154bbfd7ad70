#include "gateway/admin_api.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "gateway/api_error.hpp"
#include "gateway/store_call.hpp"
#include "gateway/url.hpp"
#include "gateway/webhook_event.hpp"
#include "policy/store.hpp"

namespace gateway {
namespace {

namespace bhttp = boost::beast::http;

http_response method_not_allowed(const char* allow) {
  auto res = json_response(405, to_json({405, "method_not_allowed", "method not allowed", ""}));
  res.set(bhttp::field::allow, allow);
  return res;
}

http_response answer(const admin_hooks& hooks, const http_request& request) {
  const std::string_view target = origin_form(std::string_view(request.target().data(), request.target().size()));
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = request.method() == bhttp::verb::get || request.method() == bhttp::verb::head;
  if (path == "/livez") {
    if (!get) return method_not_allowed("GET, HEAD");
    return json_response(200, R"({"status":"ok"})");
  }
  if (path == "/readyz") {
    if (!get) return method_not_allowed("GET, HEAD");
    std::string reason = hooks.not_ready_reason ? hooks.not_ready_reason() : std::string();
    if (reason.empty()) return json_response(200, R"({"status":"ready"})");
    return json_response(503, nlohmann::json{{"status", "not_ready"}, {"reason", reason}}.dump());
  }
  if (path == "/metrics") {
    if (!get) return method_not_allowed("GET, HEAD");
    http_response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.body() = hooks.metrics_registry ? hooks.metrics_registry->serialize() : std::string();
    return res;
  }
  if (path == "/admin/reload") {
    if (request.method() != bhttp::verb::post) return method_not_allowed("POST");
    std::string errors = hooks.reload ? hooks.reload() : std::string("reload is not available");
    if (errors.empty()) return json_response(200, R"({"status":"reloaded"})");
    // One FILE:LINE:COL line per error: in `message` as --check-config prints them, and as a list.
    nlohmann::json lines = nlohmann::json::array();
    for (std::size_t from = 0; from < errors.size();) {
      const std::size_t end = std::min(errors.find('\n', from), errors.size());
      if (end > from) lines.push_back(errors.substr(from, end - from));
      from = end + 1;
    }
    while (!errors.empty() && errors.back() == '\n') errors.pop_back();
    return json_response(
        422, nlohmann::json{{"error", {{"code", "invalid_config"}, {"message", errors}, {"errors", lines}}}}.dump());
  }
  return json_response(404, to_json({404, "not_found", "no such endpoint", ""}));
}

constexpr std::string_view dead_letters_path = "/admin/dead-letters";

http_response store_unavailable(const std::error_code& ec) {
  return json_response(503, to_json({503, "unavailable", "store unavailable: " + ec.message(), ""}));
}

nlohmann::json dead_letter_json(const policy::webhook_event& ev) {
  nlohmann::json body = nlohmann::json::parse(ev.body, nullptr, false);
  if (body.is_discarded()) body = ev.body;
  return {{"event_id", ev.event_id}, {"type", ev.kind},     {"target", ev.target},
          {"attempts", ev.attempts}, {"last_error", ev.last_error},
          {"created_at", format_utc_ms(ev.created_at_ms)}, {"body", std::move(body)}};
}

// GET /admin/dead-letters?limit=N (oldest first, default 100, at most 1000).
boost::asio::awaitable<http_response> list_dead_letters(std::shared_ptr<admin_hooks> hooks, http_request request) {
  const std::string_view target = origin_form(std::string_view(request.target().data(), request.target().size()));
  auto split = split_request_target(target);
  int limit = 100;
  if (const std::string* l = split.find("limit")) {
    auto r = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (r.ec != std::errc() || r.ptr != l->data() + l->size() || limit < 1 || limit > 1000) {
      co_return json_response(400, to_json({400, "bad_request", "limit must be 1..1000", "limit"}));
    }
  }
  auto got = co_await call_store<std::vector<policy::webhook_event>>(
      [&](auto done) { hooks->store->dead_letters(limit, std::move(done)); });
  if (got.ec) co_return store_unavailable(got.ec);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& ev : got.value) list.push_back(dead_letter_json(ev));
  const auto count = list.size();
  co_return json_response(200, nlohmann::json{{"dead_letters", std::move(list)}, {"count", count}}.dump());
}

// POST /admin/dead-letters/{event_id}/replay: back to the outbox, due now, attempts reset.
boost::asio::awaitable<http_response> replay_dead_letter(std::shared_ptr<admin_hooks> hooks, std::string event_id) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  auto got = co_await call_store<bool>(
      [&](auto done) { hooks->store->replay_dead_letter(event_id, now, std::move(done)); });
  if (got.ec) co_return store_unavailable(got.ec);
  if (!got.value) co_return json_response(404, to_json({404, "not_found", "no dead letter with this event_id", ""}));
  if (hooks->on_replayed) hooks->on_replayed();
  co_return json_response(200, nlohmann::json{{"event_id", event_id}, {"status", "replayed"}}.dump());
}

// A coroutine taking its arguments by value (GCC 12: no capturing coroutine lambdas).
boost::asio::awaitable<http_response> handle_admin(std::shared_ptr<admin_hooks> hooks, http_request request) {
  const std::string_view target = origin_form(std::string_view(request.target().data(), request.target().size()));
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == dead_letters_path) {
    if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
      co_return method_not_allowed("GET, HEAD");
    }
    if (!hooks->store) co_return json_response(503, to_json({503, "unavailable", "no store", ""}));
    co_return co_await list_dead_letters(hooks, std::move(request));
  }
  if (path.starts_with(dead_letters_path) && path.ends_with("/replay")) {
    std::string_view id = path.substr(dead_letters_path.size());
    id.remove_suffix(std::string_view("/replay").size());
    if (id.size() < 2 || id.front() != '/' || id.substr(1).find('/') != std::string_view::npos) {
      co_return json_response(404, to_json({404, "not_found", "no such endpoint", ""}));
    }
    if (request.method() != bhttp::verb::post) co_return method_not_allowed("POST");
    if (!hooks->store) co_return json_response(503, to_json({503, "unavailable", "no store", ""}));
    auto decoded = url_decode(id.substr(1), false);
    if (!decoded || decoded->empty()) {
      co_return json_response(400, to_json({400, "bad_request", "malformed event id", "event_id"}));
    }
    co_return co_await replay_dead_letter(hooks, std::move(*decoded));
  }
  co_return answer(*hooks, request);
}

}  // namespace

http_handler make_admin_handler(admin_hooks hooks) {
  auto shared = std::make_shared<admin_hooks>(std::move(hooks));
  return [shared](http_request request) { return handle_admin(shared, std::move(request)); };
}

}  // namespace gateway
