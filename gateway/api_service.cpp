#include "gateway/api_service.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <nlohmann/json.hpp>

#include "common/ascii.hpp"
#include "gateway/accept.hpp"
#include "gateway/message_id.hpp"
#include "gateway/message_request.hpp"
#include "gateway/number_visibility.hpp"
#include "gateway/store_call.hpp"
#include "gateway/url.hpp"

namespace gateway {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using json = nlohmann::ordered_json;

struct api_service::request_context {
  http_request request;
  std::shared_ptr<const settings> cfg;
  const api_key* key = nullptr;
  split_target target;
  std::string_view route;  // route template for metrics (a literal)
  std::size_t route_index = 0;
};

namespace {

constexpr std::size_t max_batch_items = 1000;

http_response error_response(const api_error& e) { return json_response(static_cast<unsigned>(e.status), to_json(e)); }

http_response unavailable(std::string_view what) {
  return error_response({503, "unavailable", "the message store is unavailable (" + std::string(what) +
                                                 "); nothing was accepted, retry later",
                         ""});
}

http_response method_not_allowed(const char* allow) {
  auto res = error_response({405, "method_not_allowed", "method not allowed on this path", ""});
  res.set(bhttp::field::allow, allow);
  return res;
}

std::string_view header(const http_request& r, bhttp::field f) {
  auto it = r.find(f);
  return it == r.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

std::string header(const http_request& r, std::string_view name) {
  auto it = r.find(boost::beast::string_view(name.data(), name.size()));
  return it == r.end() ? std::string() : std::string(it->value());
}

constexpr const char* idempotency_header = "Idempotency-Key";
constexpr std::size_t max_idempotency_key = 255;

// The Idempotency-Key header of a single send into `out` (empty when absent), or a 400 naming
// it: given twice, longer than 255 characters, or present but empty (or only spaces), which would
// otherwise be taken for no header and silently drop the client's protection against duplicates.
std::optional<api_error> read_idempotency_key(const http_request& r, std::string& out) {
  const std::size_t count = r.count(idempotency_header);
  if (count == 0) return std::nullopt;
  if (count > 1) return bad_request("Idempotency-Key is given twice", idempotency_header);
  out = header(r, idempotency_header);
  if (out.find_first_not_of(" \t") == std::string::npos) {
    out.clear();
    return bad_request("Idempotency-Key must not be empty; leave the header out to send without one",
                       idempotency_header);
  }
  if (out.size() > max_idempotency_key) {
    return bad_request("Idempotency-Key is longer than " + std::to_string(max_idempotency_key) + " characters",
                       idempotency_header);
  }
  return std::nullopt;
}

std::string iso(std::int64_t ms) { return ms > 0 ? format_rfc3339(ms / 1000) : std::string(); }

json message_json(const policy::message_record& m) {
  json j;
  j["id"] = m.id;
  j["status"] = policy::to_string(m.status);
  j["to"] = m.e164;
  j["from"] = m.sender;
  j["segments"] = m.segments;
  j["encoding"] = m.encoding;
  j["category"] = m.category;
  if (!m.campaign.empty()) j["campaign"] = m.campaign;
  if (!m.client_ref.empty()) j["client_ref"] = m.client_ref;
  j["created_at"] = iso(m.created_at_ms);
  j["updated_at"] = iso(m.updated_at_ms);
  if (m.status == policy::message_status::scheduled) j["send_at"] = iso(m.send_at_ms);
  j["carrier"] = m.carrier;
  j["carrier_message_id"] = m.carrier_message_id.empty() ? json(nullptr) : json(m.carrier_message_id);
  j["error"] = m.error.empty() ? json(nullptr) : json(m.error);
  return j;
}

// The 202 body rebuilt from a stored message (idempotent replay when the first response was not
// recorded yet).
std::string replay_body(const policy::message_record& m) {
  json j;
  j["id"] = m.id;
  j["status"] = m.status == policy::message_status::scheduled ? "scheduled" : "queued";
  j["to"] = m.e164;
  j["segments"] = m.segments;
  j["encoding"] = m.encoding;
  if (m.status == policy::message_status::scheduled) j["send_at"] = iso(m.send_at_ms);
  return j.dump();
}

// Parses a JSON object body; an error response otherwise.
std::variant<nlohmann::json, api_error> parse_object(std::string_view body) {
  auto parsed = parse_json_body(body);
  if (std::holds_alternative<api_error>(parsed)) return parsed;
  if (!std::get<nlohmann::json>(parsed).is_object()) return bad_request("the body must be a JSON object");
  return parsed;
}

std::optional<api_error> optional_string(const nlohmann::json& j, const char* name, std::string& out,
                                         bool required = false) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return bad_request(std::string("missing required field '") + name + "'", name);
    return std::nullopt;
  }
  if (!it->is_string()) return bad_request(std::string("'") + name + "' must be a string", name);
  out = it->get<std::string>();
  if (required && out.empty()) return bad_request(std::string("'") + name + "' must not be empty", name);
  if (out.size() > 1024) return bad_request(std::string("'") + name + "' is too long", name);
  return std::nullopt;
}

std::optional<api_error> only_fields(const nlohmann::json& j, std::initializer_list<std::string_view> allowed) {
  for (const auto& item : j.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == item.key();
    if (!known) return bad_request("unknown field '" + item.key() + "'", item.key());
  }
  return std::nullopt;
}

// Query parameters other than `allowed`, or one given twice, are refused (400 naming it): a typo
// such as `sendr=12345` must not turn a per-sender request into a global one.
std::optional<api_error> only_query(const split_target& t, std::initializer_list<std::string_view> allowed) {
  for (std::size_t i = 0; i < t.query.size(); ++i) {
    const std::string& name = t.query[i].first;
    bool known = false;
    for (auto a : allowed) known = known || a == name;
    if (!known) return bad_request("unknown query parameter '" + name + "'", name);
    for (std::size_t j = 0; j < i; ++j) {
      if (t.query[j].first == name) return bad_request("query parameter '" + name + "' is given twice", name);
    }
  }
  return std::nullopt;
}

// A field given but empty ("sender": "" or `?sender=`) is refused: leaving it out is how a
// request means `absent` (every sender, the default region), and an empty variable in a client
// must not mean that.
std::optional<api_error> no_empty(const nlohmann::json& body, const char* name, const char* absent) {
  auto it = body.find(name);
  if (it != body.end() && it->is_string() && it->get_ref<const std::string&>().empty()) {
    return bad_request(std::string("'") + name + "' must not be empty; leave it out (or null) for " + absent, name);
  }
  return std::nullopt;
}

std::optional<api_error> no_empty(const std::string* value, const char* name, const char* absent) {
  if (value != nullptr && value->empty()) {
    return bad_request(std::string("query parameter '") + name + "' must not be empty; leave it out for " + absent,
                       name);
  }
  return std::nullopt;
}

std::optional<api_error> no_empty_sender_or_region(const nlohmann::json& body) {
  if (auto e = no_empty(body, "sender", "every sender")) return e;
  return no_empty(body, "region", "the default region");
}

std::optional<api_error> no_empty_sender_or_region(const std::string* sender, const std::string* region) {
  if (auto e = no_empty(sender, "sender", "every sender")) return e;
  return no_empty(region, "region", "the default region");
}

// A number in a query string: an unencoded '+' arrives as a space ("?number=+4479..."); it is the
// '+' of an E.164 number, not a separator.
std::string query_number(const std::string& value) {
  std::string out = value;
  if (!out.empty() && out.front() == ' ') out.front() = '+';
  return out;
}

}  // namespace

api_service::api_service(std::shared_ptr<const settings> s, dependencies deps)
    : settings_(std::move(s)), deps_(std::move(deps)) {
  if (!deps_.is_bound) deps_.is_bound = [](std::string_view) { return true; };
}

void api_service::update_settings(std::shared_ptr<const settings> s) {
  std::lock_guard lock(settings_mutex_);
  settings_ = std::move(s);
}

std::shared_ptr<const settings> api_service::current_settings() const {
  std::lock_guard lock(settings_mutex_);
  return settings_;
}

std::int64_t api_service::now_ms() const {
  if (deps_.now_ms) return deps_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void api_service::count_request(std::size_t route_index, std::string_view route, unsigned status) {
  if (status < 100 || status >= 600 || route_index >= route_count) {
    deps_.metrics_registry->count_request(route, status);
    return;
  }
  auto& slot = request_counters_[route_index * 500 + (status - 100)];
  prometheus::Counter* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) {
    c = &deps_.metrics_registry->request_counter(route, status);
    slot.store(c, std::memory_order_release);
  }
  c->Increment();
}

void api_service::count_accepted(const std::string& category) {
  prometheus::Counter* c = nullptr;
  {
    std::lock_guard lock(accepted_counters_mutex_);
    auto it = accepted_counters_.find(category);
    if (it == accepted_counters_.end()) {
      it = accepted_counters_.emplace(category, &deps_.metrics_registry->accepted_counter(category)).first;
    }
    c = it->second;
  }
  c->Increment();
}

http_handler api_service::handler() {
  return [this](http_request request) { return handle(std::move(request)); };
}

std::int64_t api_service::rate_limited(const std::string& key_name, double per_second, std::uint32_t burst) {
  if (per_second <= 0) return 0;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(limiter_mutex_);
  auto it = limiters_.find(key_name);
  const double capacity = burst > 0 ? burst : std::max(1.0, std::ceil(per_second));
  if (it == limiters_.end() || it->second.rate() != per_second || it->second.burst() != capacity) {
    it = limiters_.insert_or_assign(key_name, smpp::token_bucket(per_second, capacity, now)).first;
  }
  if (it->second.try_take(1, now)) return 0;
  auto wait = it->second.available_at(1, now) - now;
  return std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(wait).count() + 1);
}

std::variant<std::shared_ptr<const policy::phone_number_info>, api_error> api_service::managed_number(
    const request_context& ctx, const std::string& number, const std::string& sender, const std::string& region) {
  if (!sender.empty() && !ctx.key->may_send_from(sender)) {
    return api_error{403, "sender_not_allowed", "this API key may not manage sender '" + sender + "'", "sender"};
  }
  const std::string hint = common::upper_ascii(region);
  if (!hint.empty()) {
    if (auto e = check_region(hint)) return *e;
  }
  auto n = numbers_.normalize(number, hint.empty() ? ctx.cfg->default_region : hint);
  if (!n->valid) {
    std::string message = "'number' is not a valid phone number";
    if (!n->error_message.empty()) message += ": " + n->error_message;  // why, as for 'to'
    return api_error{422, "invalid_number", std::move(message), "number"};
  }
  return n;
}

namespace {

enum class endpoint_kind { send, batch, message, consents, number, suppression, none };

struct route_match {
  endpoint_kind endpoint = endpoint_kind::none;
  std::string param;             // the id or number of the path, decoded
  bool bad_path_escape = false;  // the endpoint exists; its parameter is malformed
  std::string_view route = "other";  // route template for metrics (a literal)
  std::size_t route_index = 6;
};

route_match match_route(const std::string& path) {
  route_match m;
  auto tail_of = [&](std::string_view prefix) -> std::optional<std::string> {
    if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    auto rest = std::string_view(path).substr(prefix.size());
    if (rest.find('/') != std::string_view::npos) return std::nullopt;
    auto decoded = url_decode(rest, false);
    if (!decoded) {
      m.bad_path_escape = true;
      return std::string();
    }
    return decoded;
  };
  auto set = [&](endpoint_kind e, std::string_view route, std::size_t index) {
    m.endpoint = e;
    m.route = route;
    m.route_index = index;
  };
  if (path == "/v1/messages") {
    set(endpoint_kind::send, "/v1/messages", 0);
  } else if (path == "/v1/messages/batch") {
    set(endpoint_kind::batch, "/v1/messages/batch", 1);
  } else if (path == "/v1/consents") {
    set(endpoint_kind::consents, "/v1/consents", 2);
  } else if (auto id = tail_of("/v1/messages/")) {
    set(endpoint_kind::message, "/v1/messages/{id}", 3);
    m.param = std::move(*id);
  } else if (auto n = tail_of("/v1/numbers/")) {
    set(endpoint_kind::number, "/v1/numbers/{number}", 4);
    m.param = std::move(*n);
  } else if (auto n2 = tail_of("/v1/suppressions/")) {
    set(endpoint_kind::suppression, "/v1/suppressions/{number}", 5);
    m.param = std::move(*n2);
  }
  return m;
}

// The methods an endpoint answers (its Allow header).
const char* allowed_methods(endpoint_kind e) {
  switch (e) {
    case endpoint_kind::send:
    case endpoint_kind::batch:
      return "POST";
    case endpoint_kind::consents:
    case endpoint_kind::suppression:
      return "PUT, DELETE";
    default:
      return "GET, HEAD";
  }
}

bool method_allowed(endpoint_kind e, bhttp::verb v) {
  switch (e) {
    case endpoint_kind::send:
    case endpoint_kind::batch:
      return v == bhttp::verb::post;
    case endpoint_kind::consents:
    case endpoint_kind::suppression:
      return v == bhttp::verb::put || v == bhttp::verb::delete_;
    default:
      return v == bhttp::verb::get || v == bhttp::verb::head;  // HEAD: GET without the body
  }
}

// The answer the request line and headers decide alone (unknown path, malformed target, missing
// or wrong key, a method the endpoint does not answer), or nullopt. Also what a request with
// "Expect: 100-continue" gets instead of 100.
std::optional<http_response> refusal_before_body(const route_match& m, const split_target& target,
                                                 const api_key* key, bhttp::verb verb) {
  if (m.endpoint == endpoint_kind::none) return error_response({404, "not_found", "no such endpoint", ""});
  if (m.bad_path_escape) return error_response(bad_request("malformed percent-encoding in the path"));
  if (!target.ok) return error_response(bad_request("malformed percent-encoding in the query string"));
  if (key == nullptr) {
    auto response = error_response({401, "unauthorized", "missing or wrong API key (Authorization: Bearer <key>)", ""});
    response.set(bhttp::field::www_authenticate, "Bearer");
    return response;
  }
  if (!method_allowed(m.endpoint, verb)) return method_not_allowed(allowed_methods(m.endpoint));
  return std::nullopt;
}

}  // namespace

std::optional<http_response> api_service::check_headers(const http_request& request) {
  const auto cfg = current_settings();
  const std::string_view raw_target(request.target().data(), request.target().size());
  const split_target target = split_request_target(raw_target);
  const route_match m = match_route(std::string(target.path));
  auto refusal = refusal_before_body(m, target, cfg->api_keys.authenticate(header(request, bhttp::field::authorization)),
                                     request.method());
  if (refusal && deps_.metrics_registry) count_request(m.route_index, m.route, refusal->result_int());
  return refusal;
}

http_header_check api_service::header_check() {
  return [this](const http_request& request) { return check_headers(request); };
}

asio::awaitable<http_response> api_service::handle(http_request request) {
  request_context ctx;
  ctx.cfg = current_settings();
  const std::string_view raw_target(request.target().data(), request.target().size());
  ctx.target = split_request_target(raw_target);
  const auto verb = request.method();
  ctx.request = std::move(request);

  // Route template first (metrics never carry ids or numbers).
  route_match matched = match_route(std::string(ctx.target.path));
  using ep = endpoint_kind;
  const ep endpoint = matched.endpoint;
  std::string& param = matched.param;
  ctx.route = matched.route;
  ctx.route_index = matched.route_index;
  ctx.key = ctx.cfg->api_keys.authenticate(header(ctx.request, bhttp::field::authorization));

  const std::string_view route = ctx.route;  // ctx is moved into the endpoint
  const std::size_t route_index = ctx.route_index;
  http_response response;
  if (auto refusal = refusal_before_body(matched, ctx.target, ctx.key, verb)) {
    response = std::move(*refusal);
  } else {
    const config::api_key* key_cfg = nullptr;
    for (const auto& k : ctx.cfg->source.api_keys) {
      if (k.name == ctx.key->name) key_cfg = &k;
    }
    const std::int64_t retry_after =
        key_cfg ? rate_limited(key_cfg->name, key_cfg->limit.per_second, key_cfg->limit.burst) : 0;
    if (retry_after > 0) {
      response = error_response({429, "rate_limited", "this API key is over its rate limit", ""});
      response.set(bhttp::field::retry_after, std::to_string(retry_after));
    } else {
      // The method is one the endpoint answers (refusal_before_body). GCC 12 miscompiles
      // co_await inside a conditional expression (a temporary is destroyed twice): every
      // co_await below is a statement of its own.
      const bool is_put = verb == bhttp::verb::put;
      if (endpoint == ep::send) {
        response = co_await send_one(std::move(ctx));
      } else if (endpoint == ep::batch) {
        response = co_await send_batch(std::move(ctx));
      } else if (endpoint == ep::message) {
        response = co_await get_message(std::move(ctx), param);
      } else if (endpoint == ep::consents && is_put) {
        response = co_await put_consent(std::move(ctx));
      } else if (endpoint == ep::consents) {
        response = co_await delete_consent(std::move(ctx));
      } else if (endpoint == ep::number) {
        response = co_await get_number(std::move(ctx), param);
      } else if (endpoint == ep::suppression && is_put) {
        response = co_await put_suppression(std::move(ctx), param);
      } else {
        response = co_await delete_suppression(std::move(ctx), param);
      }
    }
  }
  if (deps_.metrics_registry) count_request(route_index, route, response.result_int());
  co_return response;
}

namespace {

// A reserved direct_slot gets its message, or is given back, exactly once: also when the
// request ends early (a store error, a refusal, a duplicate).
class direct_hand_off {
 public:
  direct_hand_off() = default;
  explicit direct_hand_off(direct_slot s) : slot_(std::move(s)) {}
  direct_hand_off(direct_hand_off&& o) noexcept
      : slot_{o.slot_.lease_ms, std::exchange(o.slot_.hand_off, nullptr)} {}
  direct_hand_off& operator=(direct_hand_off&&) = delete;
  ~direct_hand_off() { give(nullptr); }

  std::int64_t lease_ms() const { return slot_.hand_off ? slot_.lease_ms : 0; }

  // The message as admitted (`m`, the record of the admission request), when the store leased
  // it; otherwise the place goes back.
  void give(policy::message_record&& m, const policy::admit_result& r) {
    if (!slot_.hand_off) return;
    if (!r.accepted() || r.lease_id.empty()) return give(nullptr);
    auto e = std::make_unique<policy::queue_entry>();
    e->message = std::move(m);
    e->message.status = policy::message_status::queued;
    e->lease_id = r.lease_id;
    e->deliveries = 1;
    give(std::move(e));
  }

 private:
  void give(std::unique_ptr<policy::queue_entry> e) {
    if (auto f = std::exchange(slot_.hand_off, nullptr)) f(std::move(e));
  }
  direct_slot slot_;
};

// Hands the admission request of a prepared message to the store without copying it: `m.admit`
// is moved into `a` (default-constructed: a batch's vector element, or the request that
// take_admission() returns straight into the store call) and `m` keeps only what the answer
// needs afterwards (the fields read by accepted_body(), the carrier, the category and the
// idempotency TTL). With a reserved direct slot, `for_worker` gets the message record (the
// worker's queue entry).
void take_admission_into(prepared_message& m, std::int64_t lease_ms, policy::message_record& for_worker,
                         policy::admit_request& a) {
  a = std::move(m.admit);
  a.lease_ms = lease_ms;
  if (lease_ms > 0) for_worker = a.message;
  auto& keep = m.admit;
  keep = policy::admit_request{};
  keep.category = a.category;
  keep.quiet = a.quiet;
  keep.idempotency_ttl_ms = a.idempotency_ttl_ms;
  keep.message.id = a.message.id;
  keep.message.e164 = a.message.e164;
  keep.message.carrier = a.message.carrier;
  keep.message.send_at_ms = a.message.send_at_ms;
}

policy::admit_request take_admission(prepared_message& m, std::int64_t lease_ms, policy::message_record& for_worker) {
  policy::admit_request a;
  take_admission_into(m, lease_ms, for_worker, a);
  return a;
}

}  // namespace

asio::awaitable<http_response> api_service::send_one(request_context ctx) {
  if (!accepting_) co_return unavailable("the gateway is shutting down");
  if (!ctx.target.query.empty()) co_return error_response(*only_query(ctx.target, {}));
  auto parsed = parse_message_request_body(ctx.request.body());
  if (auto* e = std::get_if<api_error>(&parsed)) co_return error_response(*e);
  const auto& req = std::get<message_request>(parsed);

  accept_input in;
  in.request = &req;
  in.key = ctx.key;
  in.now_ms = now_ms();
  in.message_id = new_message_id(in.now_ms);
  std::string idem;
  if (auto e = read_idempotency_key(ctx.request, idem)) co_return error_response(*e);
  if (!idem.empty()) {
    in.idempotency_key = ctx.key->name + ":" + idem;
    in.request_hash = body_hash(ctx.request.body());
  }
  prepared_message message;
  if (auto e = prepare_message_into(in, *ctx.cfg, numbers_, *deps_.secrets, deps_.is_bound, message)) {
    if (deps_.metrics_registry && e->status == 422) deps_.metrics_registry->count_rejected(e->code);
    co_return error_response(*e);
  }
  direct_hand_off direct(deps_.reserve_direct ? deps_.reserve_direct(message.admit.message.carrier) : direct_slot{});
  policy::message_record for_worker;
  const std::int64_t lease_ms = direct.lease_ms();
  // The admission request is built in the store call's parameter (one move of its strings, not
  // one into a local and another into the parameter).
  auto reply = co_await call_store<policy::admit_result>([this, &message, &for_worker, lease_ms](auto done) {
    deps_.store->admit(take_admission(message, lease_ms, for_worker), std::move(done));
  });
  if (reply.ec) co_return unavailable(reply.ec.message());
  const auto& result = reply.value;
  direct.give(std::move(for_worker), result);

  if (result.duplicate) {
    if (result.existing_request_hash != in.request_hash) {
      co_return error_response({422, "idempotency_mismatch",
                                "this Idempotency-Key was used with a different request body", "Idempotency-Key"});
    }
    auto record = co_await call_store<std::optional<policy::idempotency_record>>(
        [this, &in](auto done) { deps_.store->idempotency_get(in.idempotency_key, in.now_ms, std::move(done)); });
    if (record.ec) co_return unavailable(record.ec.message());
    if (record.value && !record.value->response.empty()) co_return json_response(202, record.value->response);
    auto stored = co_await call_store<std::optional<policy::message_record>>(
        [this, &result](auto done) { deps_.store->get_message(result.existing_message_id, std::move(done)); });
    if (stored.ec) co_return unavailable(stored.ec.message());
    if (!stored.value) co_return unavailable("the first request with this Idempotency-Key is not visible yet");
    co_return json_response(202, replay_body(*stored.value));
  }
  if (!result.accepted()) {
    if (deps_.metrics_registry) deps_.metrics_registry->count_rejected(policy::to_string(result.refused));
    co_return error_response(refusal_error(result, message));
  }
  std::string body = accepted_body(message, result);
  if (deps_.on_enqueued && result.status == policy::message_status::queued && result.lease_id.empty()) {
    deps_.on_enqueued(message.admit.message.carrier);
  }
  if (deps_.metrics_registry) {
    count_accepted(message.admit.category);
    if (result.status == policy::message_status::scheduled) deps_.metrics_registry->count_deferred("scheduled");
  }
  if (!in.idempotency_key.empty()) {
    policy::idempotency_record rec;
    rec.key = in.idempotency_key;
    rec.request_hash = in.request_hash;
    rec.message_id = message.admit.message.id;
    rec.response = body;
    rec.created_at_ms = in.now_ms;
    rec.expires_at_ms = in.now_ms + message.admit.idempotency_ttl_ms;
    // The message is accepted whatever happens here; a lost response is rebuilt on replay.
    co_await call_store<policy::idempotency_record>(
        [this, &rec, &in](auto done) { deps_.store->idempotency_put(rec, in.now_ms, std::move(done)); });
  }
  co_return json_response(202, std::move(body));
}

asio::awaitable<http_response> api_service::send_batch(request_context ctx) {
  if (!accepting_) co_return unavailable("the gateway is shutting down");
  if (!ctx.target.query.empty()) co_return error_response(*only_query(ctx.target, {}));
  // Refused whatever its value (also empty): a client that sends one expects protection a batch
  // does not give.
  if (ctx.request.count(idempotency_header) > 0) {
    co_return error_response(bad_request(
        "Idempotency-Key is not supported on batches; send items one by one or use client_ref", "Idempotency-Key"));
  }
  // The items, each validated on its own: read directly when the body is a plain array of flat
  // objects (parse_batch_items_flat), through a JSON document otherwise. Both validate each
  // item with the same code, so every answer is the same.
  std::vector<message_request_result> items;
  if (auto flat = parse_batch_items_flat(ctx.request.body())) {
    items = std::move(*flat);
  } else {
    auto parsed = parse_object(ctx.request.body());
    if (auto* e = std::get_if<api_error>(&parsed)) co_return error_response(*e);
    const auto& body = std::get<nlohmann::json>(parsed);
    if (auto e = only_fields(body, {"messages"})) co_return error_response(*e);
    auto list = body.find("messages");
    if (list == body.end() || list->is_null()) {
      co_return error_response(bad_request("missing required field 'messages'", "messages"));
    }
    if (!list->is_array()) {
      co_return error_response(bad_request("'messages' must be an array", "messages"));
    }
    items.reserve(list->size());
    for (const auto& item : *list) items.push_back(parse_message_request(item));
  }
  if (items.empty() || items.size() > max_batch_items) {
    co_return error_response(bad_request("'messages' must hold 1 to 1000 items", "messages"));
  }

  const std::int64_t now = now_ms();
  // Each item's answer is kept as its JSON text and the array is joined at the end (parsing our
  // own output back into a document per item cost more than building it).
  std::vector<std::string> results(items.size());
  std::vector<prepared_message> prepared;
  std::vector<std::size_t> positions;  // index in results of each prepared message
  prepared.reserve(items.size());
  positions.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (auto* e = std::get_if<api_error>(&items[i])) {
      results[i] = to_json(*e);
      continue;
    }
    accept_input in;
    in.request = &std::get<message_request>(items[i]);
    in.key = ctx.key;
    in.now_ms = now;
    in.message_id = new_message_id(now);
    prepared.emplace_back();  // built in place (reserved: no reallocation moves the others)
    if (auto e = prepare_message_into(in, *ctx.cfg, numbers_, *deps_.secrets, deps_.is_bound, prepared.back())) {
      prepared.pop_back();
      results[i] = to_json(*e);
      if (deps_.metrics_registry && e->status == 422) deps_.metrics_registry->count_rejected(e->code);
      continue;
    }
    positions.push_back(i);
  }
  if (!prepared.empty()) {
    std::vector<policy::admit_request> admits;
    std::vector<direct_hand_off> direct;
    std::vector<policy::message_record> for_worker(prepared.size());
    admits.reserve(prepared.size());
    direct.reserve(prepared.size());
    for (std::size_t k = 0; k < prepared.size(); ++k) {
      auto& p = prepared[k];
      if (deps_.reserve_direct) direct.emplace_back(deps_.reserve_direct(p.admit.message.carrier));
      else direct.emplace_back();
      take_admission_into(p, direct.back().lease_ms(), for_worker[k], admits.emplace_back());
    }
    auto reply = co_await call_store<std::vector<policy::admit_result>>(
        [this, &admits](auto done) { deps_.store->admit_batch(std::move(admits), std::move(done)); });
    if (reply.ec) co_return unavailable(reply.ec.message());
    for (std::size_t k = 0; k < prepared.size() && k < reply.value.size(); ++k) {
      const auto& r = reply.value[k];
      direct[k].give(std::move(for_worker[k]), r);
      if (r.accepted()) {
        results[positions[k]] = accepted_body(prepared[k], r);
        if (deps_.on_enqueued && r.lease_id.empty()) deps_.on_enqueued(prepared[k].admit.message.carrier);
        if (deps_.metrics_registry) count_accepted(prepared[k].admit.category);
      } else {
        results[positions[k]] = to_json(refusal_error(r, prepared[k]));
        if (deps_.metrics_registry) deps_.metrics_registry->count_rejected(policy::to_string(r.refused));
      }
    }
  }
  std::size_t size = 16;
  for (const auto& r : results) size += r.size() + 1;
  std::string out;
  out.reserve(size);
  out += "{\"results\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i > 0) out += ',';
    out += results[i];
  }
  out += "]}";
  co_return json_response(200, std::move(out));
}

// A key sees only the messages it sent: another key's message answers 404 like an unknown id, so
// ids cannot be probed across keys. A record without a key (written before keys were recorded)
// is visible to the keys that may send from its sender (may_read_message).
asio::awaitable<http_response> api_service::get_message(request_context ctx, std::string id) {
  if (auto e = only_query(ctx.target, {})) co_return error_response(*e);
  if (!looks_like_message_id(id)) co_return error_response({404, "not_found", "no such message", "id"});
  auto reply = co_await call_store<std::optional<policy::message_record>>(
      [this, &id](auto done) { deps_.store->get_message(id, std::move(done)); });
  if (reply.ec) co_return unavailable(reply.ec.message());
  const bool visible = reply.value && may_read_message(*ctx.key, *reply.value);
  if (!visible) co_return error_response({404, "not_found", "no such message", "id"});
  co_return json_response(200, message_json(*reply.value).dump());
}

asio::awaitable<http_response> api_service::put_consent(request_context ctx) {
  if (auto e = only_query(ctx.target, {})) co_return error_response(*e);
  auto parsed = parse_object(ctx.request.body());
  if (auto* e = std::get_if<api_error>(&parsed)) co_return error_response(*e);
  const auto& body = std::get<nlohmann::json>(parsed);
  if (auto e = only_fields(body, {"number", "category", "sender", "source", "evidence", "region"})) {
    co_return error_response(*e);
  }
  std::string number, category, sender, source, evidence, region;
  if (auto e = optional_string(body, "number", number, true)) co_return error_response(*e);
  if (auto e = optional_string(body, "category", category, true)) co_return error_response(*e);
  if (auto e = optional_string(body, "sender", sender)) co_return error_response(*e);
  if (auto e = no_empty_sender_or_region(body)) co_return error_response(*e);
  if (auto e = optional_string(body, "source", source, true)) co_return error_response(*e);
  if (auto e = optional_string(body, "evidence", evidence)) co_return error_response(*e);
  if (auto e = optional_string(body, "region", region)) co_return error_response(*e);
  if (!ctx.cfg->policy.categories.contains(category)) co_return error_response(refusal_error(policy::reason::unknown_category));
  auto managed = managed_number(ctx, number, sender, region);
  if (auto* e = std::get_if<api_error>(&managed)) co_return error_response(*e);
  const auto& n = std::get<0>(managed);
  policy::consent_record rec;
  rec.number_key = deps_.secrets->key(n->e164);
  rec.e164 = n->e164;
  rec.category = category;
  rec.sender = sender;
  rec.source = source;
  rec.evidence = evidence;
  rec.at_ms = now_ms();
  auto reply = co_await call_store<policy::done>(
      [this, &rec](auto done) { deps_.store->grant_consent(rec, std::move(done)); });
  if (reply.ec) co_return unavailable(reply.ec.message());
  json out{{"number", n->e164}, {"category", category}, {"sender", sender.empty() ? json(nullptr) : json(sender)},
           {"source", source}, {"status", "granted"}, {"at", iso(rec.at_ms)}};
  co_return json_response(200, out.dump());
}

asio::awaitable<http_response> api_service::delete_consent(request_context ctx) {
  if (auto e = only_query(ctx.target, {"number", "category", "sender", "source", "region"})) co_return error_response(*e);
  const std::string* number = ctx.target.find("number");
  const std::string* category = ctx.target.find("category");
  const std::string* sender = ctx.target.find("sender");
  const std::string* source = ctx.target.find("source");
  const std::string* region = ctx.target.find("region");
  if (number == nullptr || number->empty()) co_return error_response(bad_request("missing query parameter 'number'", "number"));
  if (category == nullptr || category->empty()) {
    co_return error_response(bad_request("missing query parameter 'category'", "category"));
  }
  if (!ctx.cfg->policy.categories.contains(*category)) co_return error_response(refusal_error(policy::reason::unknown_category));
  if (auto e = no_empty_sender_or_region(sender, region)) co_return error_response(*e);
  auto managed =
      managed_number(ctx, query_number(*number), sender ? *sender : std::string(), region ? *region : std::string());
  if (auto* e = std::get_if<api_error>(&managed)) co_return error_response(*e);
  const auto& n = std::get<0>(managed);
  policy::consent_record rec;
  rec.number_key = deps_.secrets->key(n->e164);
  rec.e164 = n->e164;
  rec.category = *category;
  rec.sender = sender ? *sender : std::string();
  rec.source = source && !source->empty() ? *source : std::string("api");
  rec.at_ms = now_ms();
  // Which stored consents to revoke. Per sender: the one of the request's sender (or the one
  // without a sender). Otherwise consent is per number x category and any stored one lets every
  // sender send, so the sender of the request does not decide: all of them are revoked (else a
  // consent given through sender 12345 survived a revocation without a sender and marketing kept
  // going out).
  std::vector<std::string> senders{rec.sender};
  const auto policy_of = ctx.cfg->policy.categories.find(*category);
  if (policy_of->second.consent != policy::consent_mode::required_per_sender) {
    auto facts = co_await call_store<policy::number_facts>(
        [this, &rec](auto done) { deps_.store->lookup_number(rec.number_key, std::move(done)); });
    if (facts.ec) co_return unavailable(facts.ec.message());
    for (const auto& c : facts.value.consents) {
      if (c.category == *category && c.sender != rec.sender) senders.push_back(c.sender);
    }
  }
  bool revoked = false;
  for (const std::string& one : senders) {
    rec.sender = one;
    auto reply =
        co_await call_store<bool>([this, &rec](auto done) { deps_.store->revoke_consent(rec, std::move(done)); });
    if (reply.ec) co_return unavailable(reply.ec.message());
    revoked = revoked || reply.value;
  }
  json out{{"number", n->e164}, {"category", *category}, {"revoked", revoked}};
  co_return json_response(200, out.dump());
}

asio::awaitable<http_response> api_service::get_number(request_context ctx, std::string number) {
  if (auto e = only_query(ctx.target, {"region"})) co_return error_response(*e);
  const std::string* region = ctx.target.find("region");
  const std::string hint = region ? common::upper_ascii(*region) : std::string();
  if (region != nullptr) {
    if (auto e = check_region(hint)) co_return error_response(*e);
  }
  auto n = numbers_.normalize(number, region ? hint : ctx.cfg->default_region);
  json out;
  // An invalid number has no E.164 form: the library's best guess ("+1123" for "123") is not one
  // and must not be taken for it.
  out["e164"] = n->valid && !n->e164.empty() ? json(n->e164) : json(nullptr);
  out["valid"] = n->valid;
  if (!n->valid) {
    out["error"] = n->error_message;
    co_return json_response(200, out.dump());
  }
  out["region"] = n->region;
  out["type"] = policy::to_string(n->type);
  out["timezones"] = n->timezones;
  out["jurisdiction"] = n->jurisdiction;
  out["can_receive_sms"] = policy::check_number(*n, ctx.cfg->policy.sms_types) == policy::reason::none;
  auto reply = co_await call_store<policy::number_facts>(
      [this, &n](auto done) { deps_.store->lookup_number(deps_.secrets->key(n->e164), std::move(done)); });
  if (reply.ec) co_return unavailable(reply.ec.message());
  // Only global entries and those of the key's own senders are shown (other keys' senders are
  // other tenants); `suppressed` says whether a send from one of the key's senders is refused.
  const policy::number_facts facts = visible_facts(reply.value, *ctx.key);
  json suppressions = json::array();
  for (const auto& s : facts.suppressions) {
    suppressions.push_back({{"sender", s.sender.empty() ? json(nullptr) : json(s.sender)},
                            {"reason", s.reason},
                            {"source", s.source},
                            {"at", iso(s.at_ms)}});
  }
  json consents = json::array();
  for (const auto& c : facts.consents) {
    consents.push_back({{"category", c.category},
                        {"sender", c.sender.empty() ? json(nullptr) : json(c.sender)},
                        {"source", c.source},
                        {"at", iso(c.at_ms)}});
  }
  out["suppressed"] = refuses_some_sender(reply.value.suppressions, *ctx.key, ctx.cfg->policy.scope);
  out["suppressions"] = std::move(suppressions);
  out["consents"] = std::move(consents);
  co_return json_response(200, out.dump());
}

asio::awaitable<http_response> api_service::put_suppression(request_context ctx, std::string number) {
  if (auto e = only_query(ctx.target, {})) co_return error_response(*e);
  std::string sender, reason_text, region;
  if (!ctx.request.body().empty()) {
    auto parsed = parse_object(ctx.request.body());
    if (auto* e = std::get_if<api_error>(&parsed)) co_return error_response(*e);
    const auto& body = std::get<nlohmann::json>(parsed);
    if (auto e = only_fields(body, {"sender", "reason", "region"})) co_return error_response(*e);
    if (auto e = optional_string(body, "sender", sender)) co_return error_response(*e);
    if (auto e = no_empty_sender_or_region(body)) co_return error_response(*e);
    if (auto e = optional_string(body, "reason", reason_text)) co_return error_response(*e);
    if (auto e = optional_string(body, "region", region)) co_return error_response(*e);
  }
  auto managed = managed_number(ctx, number, sender, region);
  if (auto* e = std::get_if<api_error>(&managed)) co_return error_response(*e);
  const auto& n = std::get<0>(managed);
  policy::suppression_record rec;
  rec.number_key = deps_.secrets->key(n->e164);
  rec.e164 = n->e164;
  rec.sender = sender;
  rec.reason = reason_text.empty() ? "api" : reason_text;
  rec.source = "api";
  rec.at_ms = now_ms();
  auto reply = co_await call_store<policy::done>([this, &rec](auto done) { deps_.store->suppress(rec, std::move(done)); });
  if (reply.ec) co_return unavailable(reply.ec.message());
  if (deps_.on_suppressed) deps_.on_suppressed(rec.number_key, rec.sender, rec.at_ms);
  json out{{"number", n->e164}, {"sender", sender.empty() ? json(nullptr) : json(sender)}, {"suppressed", true}};
  co_return json_response(200, out.dump());
}

// Removes one suppression. A key removes those of its own senders, and global ones that were
// created through the API; a global suppression from elsewhere (a STOPALL or STOP ALL from the
// phone, a DNC or list import, smsgwctl, an erasure) is the operator's: 403, smsgwctl unsuppress
// removes it. The answer says whether sends from `sender` are still refused afterwards.
asio::awaitable<http_response> api_service::delete_suppression(request_context ctx, std::string number) {
  if (auto e = only_query(ctx.target, {"sender", "region"})) co_return error_response(*e);
  const std::string* sender = ctx.target.find("sender");
  const std::string* region = ctx.target.find("region");
  if (auto e = no_empty_sender_or_region(sender, region)) co_return error_response(*e);
  const std::string sender_id = sender ? *sender : std::string();
  auto managed = managed_number(ctx, number, sender_id, region ? *region : std::string());
  if (auto* e = std::get_if<api_error>(&managed)) co_return error_response(*e);
  const auto& n = std::get<0>(managed);
  auto key = deps_.secrets->key(n->e164);
  auto facts = co_await call_store<policy::number_facts>(
      [this, &key](auto done) { deps_.store->lookup_number(key, std::move(done)); });
  if (facts.ec) co_return unavailable(facts.ec.message());
  const auto& stored = facts.value.suppressions;
  auto target = std::find_if(stored.begin(), stored.end(),
                             [&](const policy::suppression_record& s) { return s.sender == sender_id; });
  if (target == stored.end()) {
    co_return error_response({404, "not_found", "no such suppression for this number and sender", "number"});
  }
  if (sender_id.empty() && target->source != "api") {
    co_return error_response({403, "sender_not_allowed",
                              "this global suppression (reason '" + target->reason + "', source '" + target->source +
                                  "') was not created through the API; an operator removes it with smsgwctl unsuppress",
                              "sender"});
  }
  auto reply = co_await call_store<bool>(
      [this, &key, &sender_id](auto done) { deps_.store->unsuppress(key, sender_id, std::move(done)); });
  if (reply.ec) co_return unavailable(reply.ec.message());
  if (!reply.value) co_return error_response({404, "not_found", "no such suppression for this number and sender", "number"});
  // Still refused from `sender` (a global suppression remains, or another one under global
  // scope); for a global removal, from one of the key's senders (other keys' entries do not
  // count unless the scope is global: the key does not see them).
  std::vector<policy::suppression_record> remaining;
  for (auto it = stored.begin(); it != stored.end(); ++it) {
    if (it != target) remaining.push_back(*it);
  }
  const bool still = sender_id.empty() ? refuses_some_sender(remaining, *ctx.key, ctx.cfg->policy.scope)
                                       : refuses_sender(remaining, sender_id, ctx.cfg->policy.scope);
  json out{{"number", n->e164},
           {"sender", sender_id.empty() ? json(nullptr) : json(sender_id)},
           {"removed", true},
           {"suppressed", still}};
  co_return json_response(200, out.dump());
}

}  // namespace gateway
