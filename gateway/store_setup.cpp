#include "gateway/store_setup.hpp"

#include <algorithm>

namespace gateway {

policy::store_settings to_store_settings(const config::store_settings& s) {
  policy::store_settings out;
  out.kind = s.kind == config::store_kind::redis ? "redis" : "sqlite";
  out.path = s.path;
  out.url = s.url;
  out.password = s.redis_password;  // the URL's, or password_file's (which wins)
  out.key_prefix = s.key_prefix;
  return out;
}

configured_store open_configured_store(const config::gateway_config& c, boost::asio::any_io_executor ex) {
  configured_store out;
  auto secrets = policy::number_secrets::load(c.secrets.number_key_file, c.secrets.generate_number_key);
  if (!secrets.secrets) {
    out.failed_part = "secrets";
    out.error = secrets.error;
    return out;
  }
  out.secrets = secrets.secrets;
  out.warning = std::move(secrets.warning);
  auto opened = policy::open_store(to_store_settings(c.store), std::move(ex), out.secrets);
  if (!opened.store) {
    out.failed_part = "store";
    out.error = opened.error;
    return out;
  }
  out.store = std::move(opened.store);
  return out;
}

policy::purge_request make_purge_request(const config::gateway_config& c, std::int64_t now_ms, bool dry_run) {
  policy::purge_request r;
  r.now_ms = now_ms;
  r.bodies_final_before_ms = now_ms - c.retention.message_bodies.count() * 1000;
  r.records_final_before_ms = now_ms - c.retention.message_records.count() * 1000;
  std::int64_t longest_cap_s = 0;
  for (const auto& cat : c.policy.categories) {
    for (const auto& cap : cat.caps) longest_cap_s = std::max<std::int64_t>(longest_cap_s, cap.window.count());
  }
  // Without caps every reservation is useless; keep one day for a config that adds caps back.
  r.cap_events_before_ms = now_ms - std::max<std::int64_t>(longest_cap_s, 86'400) * 1000;
  r.dry_run = dry_run;
  return r;
}

}  // namespace gateway
