#include "gateway/accept.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <set>
#include <string>
#include <utility>

#include "policy/decision.hpp"

namespace gateway {
namespace {

api_error unprocessable(std::string code, std::string message, std::string field = {}) {
  return {422, std::move(code), std::move(message), std::move(field)};
}

std::int64_t to_ms(policy::sys_seconds t) { return static_cast<std::int64_t>(t.time_since_epoch().count()) * 1000; }

// "35 days", "24 hours", "90 minutes", "1 second": the largest unit that divides it (days from
// two days on: a day reads better as 24 hours).
std::string describe_duration(std::chrono::seconds d) {
  const std::int64_t s = d.count();
  for (auto [unit, name] : {std::pair<std::int64_t, const char*>{86'400, "day"}, {3'600, "hour"}, {60, "minute"}}) {
    if (s >= (unit == 86'400 ? 2 * unit : unit) && s % unit == 0) {
      return std::to_string(s / unit) + " " + name + (s == unit ? "" : "s");
    }
  }
  return std::to_string(s) + (s == 1 ? " second" : " seconds");
}

}  // namespace

std::optional<api_error> check_send_at_horizon(std::optional<std::int64_t> send_at, std::int64_t now_s,
                                               std::chrono::seconds horizon) {
  if (!send_at || horizon.count() == 0 || *send_at - now_s <= horizon.count()) return std::nullopt;
  return bad_request("'send_at' is more than " + describe_duration(horizon) +
                         " ahead (http.max_send_at_ahead): at most " + format_rfc3339(now_s + horizon.count()) +
                         " now",
                     "send_at");
}

api_error refusal_error(policy::reason r) {
  switch (r) {
    case policy::reason::invalid_number:
      return unprocessable("invalid_number", "'to' is not a valid phone number", "to");
    case policy::reason::not_mobile:
      return unprocessable("not_mobile", "'to' is a number type that cannot receive SMS", "to");
    case policy::reason::recipient_opted_out:
      return unprocessable("recipient_opted_out",
                           "the recipient opted out of messages from this sender or from every sender", "to");
    case policy::reason::no_consent:
      return unprocessable("no_consent", "the category requires consent and none is on record for this number",
                           "to");
    case policy::reason::frequency_capped:
      return unprocessable("frequency_capped", "a frequency cap for this number is reached", "to");
    case policy::reason::quiet_hours:
      return unprocessable("quiet_hours", "it is quiet hours at the recipient's location", "to");
    case policy::reason::unknown_category:
      return unprocessable("unknown_category", "no such category in the configuration", "category");
    case policy::reason::none: break;
  }
  return unprocessable("rejected", "refused by policy");
}

api_error refusal_error(policy::reason r, const prepared_message& m) {
  if (r == policy::reason::quiet_hours && m.no_common_window) {
    return unprocessable("quiet_hours",
                         "the number's possible time zones share no allowed sending time, or none is known "
                         "(policy.quiet_hours.no_common_window)",
                         "to");
  }
  return refusal_error(r);
}

api_error refusal_error(const policy::admit_result& res, const prepared_message& m) {
  if (res.refused != policy::reason::frequency_capped || !res.cap) return refusal_error(res.refused, m);
  const auto& [rule, free_at_ms] = *res.cap;
  std::string message = "the number reached its frequency cap of " + std::to_string(rule.max) + " message" +
                        (rule.max == 1 ? "" : "s") + " per " +
                        describe_duration(std::chrono::seconds{rule.window_seconds}) + " in this " +
                        (rule.per_campaign ? "campaign" : "category");
  if (free_at_ms == 0) {
    message += ", which allows none";
  } else {
    // Rounded up to the second: the cap allows the next message from that instant on.
    message += "; the next message is allowed from " + format_rfc3339((free_at_ms + 999) / 1000);
  }
  return unprocessable("frequency_capped", std::move(message), "to");
}

std::optional<api_error> check_region(std::string_view region, const char* field) {
  static const std::set<std::string, std::less<>> known = [] {
    std::set<std::string> regions;
    i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
    return std::set<std::string, std::less<>>(regions.begin(), regions.end());
  }();
  if (known.contains(region)) return std::nullopt;
  return bad_request("'" + std::string(field) + "' \"" + std::string(region) + "\" is not a country code (ISO 3166, such as US or GB)",
                     field);
}

prepare_result prepare_message(const accept_input& in, const settings& s, policy::number_cache& numbers,
                               const policy::number_secrets& secrets,
                               const std::function<bool(std::string_view)>& is_bound) {
  prepare_result result{std::in_place_type<prepared_message>};
  if (auto e = prepare_message_into(in, s, numbers, secrets, is_bound, std::get<prepared_message>(result))) {
    result = std::move(*e);
  }
  return result;
}

std::optional<api_error> prepare_message_into(const accept_input& in, const settings& s,
                                              policy::number_cache& numbers, const policy::number_secrets& secrets,
                                              const std::function<bool(std::string_view)>& is_bound,
                                              prepared_message& out) {
  const message_request& req = *in.request;
  if (auto e = check_send_at_horizon(req.send_at, in.now_ms / 1000, s.source.http.max_send_at_ahead)) return e;
  if (!in.key->may_send_from(req.from)) {
    return api_error{403, "sender_not_allowed", "this API key may not send from '" + req.from + "'", "from"};
  }
  const std::string_view category_name =
      req.category.empty() ? std::string_view(s.policy.default_category) : std::string_view(req.category);
  auto category = s.policy.categories.find(category_name);
  if (category == s.policy.categories.end()) return refusal_error(policy::reason::unknown_category);

  if (!req.region.empty()) {
    if (auto e = check_region(req.region)) return e;
  }
  auto number = numbers.normalize(req.to, req.region.empty() ? s.default_region : req.region);
  if (auto why = policy::check_number(*number, s.policy.sms_types); why != policy::reason::none) {
    auto error = refusal_error(why);
    if (why == policy::reason::not_mobile) {  // which type, and where the allowed ones are set
      error.message = "'to' is a " + std::string(policy::to_string(number->type)) +
                      " number, a type that cannot receive SMS (policy.allowed_number_types)";
    } else if (!number->error_message.empty()) {
      error.message += ": " + number->error_message;
    }
    return error;
  }

  const std::string carrier = s.routes.choose(number->e164, is_bound);
  if (carrier.empty()) return unprocessable("no_route", "no route to " + number->region + " numbers", "to");
  const carrier_profile* profile = s.carrier(carrier);
  if (profile == nullptr) return unprocessable("no_route", "the route names an unknown carrier", "to");

  const auto count = smpp::count_segments(req.text, profile->segmentation);
  if (count.error == smpp::text_errc::message_too_long) {
    return unprocessable("message_too_long",
                         "the text needs " + std::to_string(count.segments) + " parts; at most " +
                             std::to_string(profile->segmentation.max_parts) + " are allowed",
                         "text");
  }
  if (count.error) return bad_request("'text' cannot be encoded: " + count.error.message(), "text");

  const policy::sys_seconds now{std::chrono::seconds{in.now_ms / 1000}};
  policy::message_request pr;
  pr.recipient = number.get();
  pr.sender = req.from;
  pr.category = category_name;
  pr.campaign = req.campaign;
  if (req.send_at) pr.send_at = policy::sys_seconds{std::chrono::seconds{*req.send_at}};
  const policy::store_plan plan = policy::plan(pr, now, s.policy);
  if (plan.precheck != policy::reason::none) return refusal_error(plan.precheck);

  out.segments = count.segments;
  out.encoding = std::string(smpp::to_string(count.encoding));
  auto& a = out.admit;
  a.sender = req.from;
  a.category = plan.category;
  a.campaign = req.campaign;
  a.scope = plan.scope;
  a.consent_required = plan.consent_required;
  a.consent_per_sender = plan.consent_per_sender;
  a.caps = category->second.caps;
  switch (plan.quiet.outcome) {
    case policy::quiet_hours_outcome::kind::allowed: a.quiet.k = policy::quiet_outcome::kind::allowed; break;
    case policy::quiet_hours_outcome::kind::defer_until:
      a.quiet.k = policy::quiet_outcome::kind::defer;
      a.quiet.defer_until_ms = plan.quiet.defer_until_unix * 1000;
      break;
    case policy::quiet_hours_outcome::kind::reject: a.quiet.k = policy::quiet_outcome::kind::reject; break;
  }
  out.no_common_window = plan.quiet.no_common_window;
  a.idempotency_key = in.idempotency_key;
  a.request_hash = in.request_hash;
  a.idempotency_ttl_ms = s.source.retention.idempotency.count() * 1000;
  a.now_ms = in.now_ms;

  auto& m = a.message;
  m.id = in.message_id;
  m.number_key = secrets.key(number->e164);
  m.e164 = number->e164;
  m.carrier = carrier;
  m.sender = req.from;
  m.text = req.text;
  m.category = plan.category;
  m.campaign = req.campaign;
  m.client_ref = req.client_ref;
  m.segments = static_cast<int>(count.segments);
  m.encoding = out.encoding;
  m.created_at_ms = in.now_ms;
  m.updated_at_ms = in.now_ms;
  m.send_at_ms = std::max(to_ms(plan.send_at), in.now_ms);
  m.valid_until_ms = m.send_at_ms + s.source.queue.validity.count() * 1000;
  if (a.quiet.k == policy::quiet_outcome::kind::defer) {
    m.valid_until_ms = std::max(m.valid_until_ms, a.quiet.defer_until_ms + s.source.queue.validity.count() * 1000);
  }
  m.scope = plan.scope;
  m.api_key = in.key ? in.key->name : std::string();
  return std::nullopt;
}

namespace {

// Appends `v` as a JSON string, escaped as nlohmann::json::dump() does (UTF-8 passes through).
void append_json_string(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace

// Written by hand (no JSON document): this body is built for every accepted message.
std::string accepted_body(const prepared_message& m, const policy::admit_result& r) {
  const bool scheduled = r.status == policy::message_status::scheduled;
  std::string out;
  out.reserve(160);
  out += "{\"id\":";
  append_json_string(out, m.admit.message.id);
  out += scheduled ? ",\"status\":\"scheduled\",\"to\":" : ",\"status\":\"queued\",\"to\":";
  append_json_string(out, m.admit.message.e164);
  out += ",\"segments\":";
  out += std::to_string(m.segments);
  out += ",\"encoding\":";
  append_json_string(out, m.encoding);
  if (scheduled) {
    out += ",\"send_at\":";
    append_json_string(out, format_rfc3339(r.send_at_ms / 1000));
    const bool quiet = m.admit.quiet.k == policy::quiet_outcome::kind::defer &&
                       r.send_at_ms == std::max(m.admit.quiet.defer_until_ms, m.admit.message.send_at_ms) &&
                       m.admit.quiet.defer_until_ms >= m.admit.message.send_at_ms;
    out += quiet ? ",\"reason\":\"quiet_hours\"" : ",\"reason\":\"send_at\"";
  }
  out += '}';
  return out;
}

std::string body_hash(std::string_view body) {
  const auto digest = sha256(body);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace gateway
