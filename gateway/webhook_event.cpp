#include "gateway/webhook_event.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "policy/hex.hpp"

namespace gateway {
namespace {

using policy::to_hex;

// "evt_" + the first 128 bits of SHA-256 over the fields, each followed by a NUL (unambiguous).
std::string event_id_of(std::initializer_list<std::string_view> fields) {
  std::string input;
  for (auto f : fields) {
    input.append(f);
    input.push_back('\0');
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return "evt_" + to_hex(digest, 16);
}

nlohmann::ordered_json nullable(std::string_view s) {
  if (s.empty()) return nullptr;
  return std::string(s);
}

const config::api_key* find_key(const config::gateway_config& cfg, std::string_view name) {
  for (const auto& k : cfg.api_keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace

std::string status_event_id(std::string_view message_id, policy::message_status status) {
  return event_id_of({"status", message_id, policy::to_string(status)});
}

std::string inbound_event_id(const inbound_event_fields& f, unsigned occurrence, std::string_view target) {
  const std::string minute = std::to_string(f.received_at_ms / 60'000);
  const std::string nth = std::to_string(occurrence);
  return event_id_of({"inbound", f.carrier, f.from, f.to, f.text, minute, nth, target});
}

std::string format_utc_ms(std::int64_t unix_ms) {
  std::int64_t seconds = unix_ms / 1000;
  std::int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string status_event_body(std::string_view event_id, const policy::message_record& m,
                              policy::message_status status, std::string_view error, std::int64_t at_ms) {
  nlohmann::ordered_json data;
  data["message_id"] = m.id;
  data["status"] = std::string(policy::to_string(status));
  data["error"] = nullable(error);
  data["to"] = m.e164;
  data["from"] = m.sender;
  data["carrier"] = nullable(m.carrier);
  data["carrier_message_id"] = nullable(m.carrier_message_id);
  data["segments"] = m.segments;
  data["category"] = nullable(m.category);
  data["campaign"] = nullable(m.campaign);
  data["client_ref"] = nullable(m.client_ref);
  nlohmann::ordered_json j;
  j["event_id"] = std::string(event_id);
  j["type"] = "status";
  j["created_at"] = format_utc_ms(at_ms);
  j["data"] = std::move(data);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string inbound_event_body(std::string_view event_id, const inbound_event_fields& f) {
  nlohmann::ordered_json data;
  data["from"] = f.from;
  data["to"] = f.to;
  data["text"] = f.text;
  data["keyword"] = nullable(f.keyword);
  data["carrier"] = f.carrier;
  if (f.incomplete) data["incomplete"] = true;
  nlohmann::ordered_json j;
  j["event_id"] = std::string(event_id);
  j["type"] = "inbound";
  j["created_at"] = format_utc_ms(f.received_at_ms);
  j["data"] = std::move(data);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return to_hex(mac, len);
}

std::string signature_header(std::string_view secret, std::string_view body, std::int64_t unix_seconds) {
  const std::string t = std::to_string(unix_seconds);
  std::string signed_payload;
  signed_payload.reserve(t.size() + 1 + body.size());
  signed_payload.append(t).append(".").append(body);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_payload);
}

std::optional<webhook_url> parse_webhook_url(std::string_view url) {
  webhook_url out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    out.port = 80;
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    out.tls = true;
    out.port = 443;
  } else {
    return std::nullopt;
  }
  const auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (const auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials in URLs
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      authority = after;
    } else {
      authority = {};
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    authority = authority.substr(colon);
  } else {
    authority = {};
  }
  if (!authority.empty()) {  // ":port"
    std::string_view digits = authority.substr(1);
    unsigned value = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || r.ec != std::errc() || r.ptr != digits.data() + digits.size() || value == 0 ||
        value > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  if (host.empty()) return std::nullopt;
  out.host = std::string(host);
  out.target = path.empty() ? std::string("/") : (path.front() == '?' ? "/" + std::string(path) : std::string(path));
  return out;
}

resolved_receiver resolve_receiver(const config::gateway_config& cfg, std::string_view target, std::string_view kind) {
  const bool inbound = kind == "inbound";
  if (target.starts_with("key:")) {
    if (const auto* k = find_key(cfg, target.substr(4)); k != nullptr && k->webhooks) {
      const std::string& url = inbound ? k->webhooks->inbound_url : k->webhooks->status_url;
      if (!url.empty()) return {url, k->webhooks->secret.empty() ? cfg.webhooks.targets.secret : k->webhooks->secret};
    }
  }
  const auto& g = cfg.webhooks.targets;
  return {inbound ? g.inbound_url : g.status_url, g.secret};
}

std::string status_target(std::string_view api_key_name) {
  return api_key_name.empty() ? std::string("global") : "key:" + std::string(api_key_name);
}

std::vector<std::string> inbound_targets(const config::gateway_config& cfg, std::string_view sender) {
  std::vector<std::string> targets;
  std::vector<std::string> urls;
  bool any_key = false;
  auto add = [&](std::string target) {
    auto r = resolve_receiver(cfg, target, "inbound");
    if (r.url.empty() || std::find(urls.begin(), urls.end(), r.url) != urls.end()) return;
    urls.push_back(r.url);
    targets.push_back(std::move(target));
  };
  for (const auto& k : cfg.api_keys) {
    if (std::find(k.senders.begin(), k.senders.end(), sender) == k.senders.end()) continue;
    any_key = true;
    add(k.webhooks && !k.webhooks->inbound_url.empty() ? "key:" + k.name : std::string("global"));
  }
  if (!any_key) add("global");
  return targets;
}

std::optional<policy::webhook_event> make_status_event(const config::gateway_config& cfg, const policy::message_record& m,
                                                       policy::message_status status, std::string_view error,
                                                       std::int64_t at_ms) {
  policy::webhook_event ev;
  ev.target = status_target(m.api_key);
  if (resolve_receiver(cfg, ev.target, "status").url.empty()) return std::nullopt;
  ev.kind = "status";
  ev.event_id = status_event_id(m.id, status);
  ev.body = status_event_body(ev.event_id, m, status, error, at_ms);
  ev.created_at_ms = at_ms;
  ev.next_attempt_ms = at_ms;
  return ev;
}

std::vector<policy::webhook_event> make_inbound_events(const config::gateway_config& cfg, const inbound_event_fields& f,
                                                       unsigned occurrence) {
  std::vector<policy::webhook_event> out;
  for (auto& target : inbound_targets(cfg, f.to)) {
    policy::webhook_event ev;
    ev.kind = "inbound";
    ev.event_id = inbound_event_id(f, occurrence, target);
    ev.body = inbound_event_body(ev.event_id, f);
    ev.target = std::move(target);
    ev.created_at_ms = f.received_at_ms;
    ev.next_attempt_ms = f.received_at_ms;
    out.push_back(std::move(ev));
  }
  return out;
}

bool status_webhooks_configured(const config::gateway_config& cfg) {
  if (!cfg.webhooks.targets.status_url.empty()) return true;
  return std::any_of(cfg.api_keys.begin(), cfg.api_keys.end(),
                     [](const config::api_key& k) { return k.webhooks && !k.webhooks->status_url.empty(); });
}

std::int64_t webhook_backoff_ms(const config::webhook_settings& s, int attempts, double unit) {
  const std::int64_t lo = std::max<std::int64_t>(1, s.backoff_min.count());
  const std::int64_t hi = std::max<std::int64_t>(lo, s.backoff_max.count());
  std::int64_t delay = lo;
  for (int i = 1; i < attempts && delay < hi; ++i) delay *= 2;
  delay = std::min(delay, hi);
  unit = std::clamp(unit, 0.0, 1.0);
  const std::int64_t jittered = delay / 2 + static_cast<std::int64_t>(unit * static_cast<double>(delay - delay / 2));
  return std::clamp(jittered, lo, hi);
}

}  // namespace gateway
