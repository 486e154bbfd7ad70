// The configuration's service sections (config/loader.hpp): http, admin, store, secrets,
// webhooks, api keys, retention, logging, queue, runtime.

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/bounded_file.hpp"
#include "config/loader.hpp"

namespace config::detail {

void loader::read_http(const field& f, http_settings& out) {
  map_reader m(ctx_, f);
  if (auto l = m.take("listen")) {
    http_listen_ = l;
    if (auto v = detail::read_endpoint(ctx_, *l, true)) out.listen = *v;
  }
  optional_key(m, "max_body_bytes", out.max_body_bytes, [](context& c, const field& x) {
    return detail::read_size(c, x, 1024, 64 * 1024 * 1024);
  });
  optional_key(m, "max_header_bytes", out.max_header_bytes, [](context& c, const field& x) {
    return detail::read_size(c, x, 1024, 1024 * 1024);
  });
  optional_key(m, "read_timeout", out.read_timeout, duration_ms_reader);
  optional_key(m, "idle_timeout", out.idle_timeout, duration_ms_reader);
  optional_key(m, "max_connections", out.max_connections, unsigned_reader<std::uint32_t>(1, 1'000'000));
  if (auto a = m.take("max_send_at_ahead")) {
    if (auto v = detail::read_duration(ctx_, *a)) {
      constexpr std::chrono::seconds most{3650 * 86'400};
      if (*v > most) {
        ctx_.error(a->mark, a->path + ": must be at most 3650d (ten years), got " + describe(a->node));
      } else {
        out.max_send_at_ahead = *v;
      }
    }
  }
  m.finish();
}

void loader::read_admin(const field& f, admin_settings& out) {
  map_reader m(ctx_, f);
  if (auto l = m.take("listen")) {
    admin_listen_ = l;
    if (auto v = detail::read_endpoint(ctx_, *l, true)) out.listen = *v;
  }
  m.finish();
}

void loader::read_store(const std::optional<field>& f, store_settings& out) {
  out.path = ctx_.resolve("var/smsgw.db");
  if (!f) return;
  map_reader m(ctx_, *f);
  optional_key(m, "kind", out.kind, enum_reader(detail::store_kind_names));
  optional_key(m, "path", out.path, path_reader);
  if (auto u = m.take("url")) {
    if (auto s = detail::read_string(ctx_, *u)) read_redis_url(*u, *s, out);
  }
  if (auto p = m.take("password_file")) {
    if (auto s = detail::read_secret_file(ctx_, *p)) out.redis_password = *s;
  }
  optional_key(m, "connections", out.connections, unsigned_reader<std::uint32_t>(1, 256));
  optional_key(m, "pipeline_max", out.pipeline_max, unsigned_reader<std::uint32_t>(1, 65'536));
  optional_key(m, "group_commit_max", out.group_commit_max, unsigned_reader<std::uint32_t>(1, 100'000));
  optional_key(m, "group_commit_delay", out.group_commit_delay, duration_ms_reader);
  optional_key(m, "busy_timeout", out.busy_timeout, duration_ms_reader);
  optional_key(m, "connect_timeout", out.connect_timeout, duration_ms_reader);
  optional_key(m, "command_timeout", out.command_timeout, duration_ms_reader);
  if (auto k = m.take("key_prefix")) {
    if (auto v = detail::read_string(ctx_, *k)) {
      const bool ok = v->size() <= 64 && std::none_of(v->begin(), v->end(), [](char c) {
        return c <= ' ' || c == '*' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}' || c == 0x7f;
      });
      if (ok) {
        out.key_prefix = *v;
      } else {
        ctx_.error(k->mark, k->path + ": must be at most 64 printable characters without spaces, glob "
                                      "characters or braces, got \"" + *v + "\"");
      }
    }
  }
  m.finish();
}

// redis://[[user]:password@]host[:port][/db]
void loader::read_redis_url(const field& f, const std::string& url, store_settings& out) {
  auto fail = [&](const std::string& why) { ctx_.error(f.mark, f.path + ": " + why + ", got \"" + url + "\""); };
  if (url.starts_with("rediss://")) return fail("TLS to Redis (rediss://) is not supported by hiredis 0.14");
  if (!url.starts_with("redis://")) return fail("must be a URL redis://[:PASSWORD@]HOST[:PORT][/DB]");
  std::string_view rest = std::string_view(url).substr(8);
  std::string password;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    auto colon = credentials.find(':');
    password = std::string(colon == std::string_view::npos ? credentials : credentials.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  std::uint32_t db = 0;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db_text = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db_text.empty()) {
      if (!is_digits(db_text) || db_text.size() > 5) return fail("the database must be a number");
      db = static_cast<std::uint32_t>(std::stoul(std::string(db_text)));
    }
  }
  std::uint32_t port = 6379;
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
    std::string_view port_text = rest.substr(colon + 1);
    if (!is_digits(port_text) || port_text.size() > 5) return fail("the port must be a number from 1 to 65535");
    port = static_cast<std::uint32_t>(std::stoul(std::string(port_text)));
    if (port == 0 || port > 65535) return fail("the port must be a number from 1 to 65535");
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return fail("the host is missing");
  out.url = url;
  out.redis_host = std::string(rest);
  out.redis_port = static_cast<std::uint16_t>(port);
  out.redis_db = db;
  if (!password.empty()) out.redis_password = password;
}

void loader::read_secrets(const std::optional<field>& f, secrets_settings& out) {
  out.number_key_file = ctx_.resolve("var/number.key");
  if (!f) return;
  map_reader m(ctx_, *f);
  // The store reads the key at start-up (and may generate it in development); a file named here
  // is checked now, so that --check-config and a reload report it at its line.
  std::optional<field> file = m.take("number_key_file");
  if (file) {
    if (auto p = path_reader(ctx_, *file)) {
      out.number_key_file = *p;
    } else {
      file.reset();
    }
  }
  optional_key(m, "generate_number_key", out.generate_number_key, bool_reader);
  m.finish();
  if (file) check_number_key_file(*file, out);
}

void loader::check_number_key_file(const field& f, const secrets_settings& s) {
  const std::string& path = s.number_key_file;
  std::error_code ec;
  if (s.generate_number_key && !std::filesystem::exists(path, ec) && !ec) return;  // created at start
  // The limits of policy::number_secrets::load: 32 bytes to 4 KiB, surrounding white space aside.
  common::bounded_file key = common::read_bounded_file(path, 4096);
  if (key.error == EISDIR) {
    ctx_.error(f.key_mark, f.path + ": cannot read \"" + path + "\": it is a directory");
  } else if (key.error != 0) {
    ctx_.error(f.key_mark, f.path + ": cannot read \"" + path + "\": " + std::strerror(key.error) +
                           (s.generate_number_key ? "" : " (generate_number_key is false)"));
  } else if (key.too_large) {
    ctx_.error(f.key_mark, f.path + ": the file \"" + path + "\" is larger than 4 KiB; it holds one key");
  } else {
    const auto first = key.content.find_first_not_of(" \t\r\n");
    const auto last = key.content.find_last_not_of(" \t\r\n");
    const std::size_t size = first == std::string::npos ? 0 : last - first + 1;
    if (size < 32) {
      ctx_.error(f.key_mark, f.path + ": the file \"" + path + "\" holds " + std::to_string(size) +
                             " bytes; a number key has at least 32");
    }
  }
  common::wipe(key.content);
}

void loader::read_webhook_targets(map_reader& m, webhook_targets& out, bool inherit_secret) {
  std::vector<field> urls;
  for (auto* which : {"inbound_url", "status_url"}) {
    if (auto u = m.take(which)) {
      auto s = detail::read_string(ctx_, *u);
      if (s && !valid_http_url(*s)) {
        ctx_.error(u->mark, u->path + ": must be an http:// or https:// URL, got \"" + *s + "\"");
      } else if (s) {
        (std::string_view(which) == "inbound_url" ? out.inbound_url : out.status_url) = *s;
        urls.push_back(*u);
      }
    }
  }
  auto plain = m.take("secret");
  auto file = m.take("secret_file");
  if (plain && file) {
    ctx_.error(file->key_mark, file->path + ": give either secret or secret_file, not both");
  } else if (plain) {
    if (auto s = detail::read_string(ctx_, *plain)) out.secret = *s;
  } else if (file) {
    if (auto s = detail::read_secret_file(ctx_, *file)) out.secret = *s;
  }
  if (!plain && !file) {
    for (const auto& u : urls) webhook_urls_without_secret_.emplace_back(inherit_secret ? "key" : "global", u);
  }
}

void loader::read_webhooks(const field& f, webhook_settings& out) {
  map_reader m(ctx_, f);
  read_webhook_targets(m, out.targets, false);
  optional_key(m, "max_attempts", out.max_attempts, unsigned_reader<std::uint32_t>(1, 1000));
  optional_key(m, "backoff_min", out.backoff_min, duration_ms_reader);
  optional_key(m, "backoff_max", out.backoff_max, duration_ms_reader);
  optional_key(m, "timeout", out.timeout, duration_ms_reader);
  optional_key(m, "concurrency", out.concurrency, unsigned_reader<std::uint32_t>(1, 1024));
  if (auto x = m.take("ca_file")) {
    if (auto p = path_reader(ctx_, *x)) {
      out.ca_file = *p;
      std::ifstream in(*p);
      if (!in) ctx_.error(x->key_mark, x->path + ": cannot read \"" + *p + "\": " + std::strerror(errno));
    }
  }
  m.finish();
  if (out.backoff_min > out.backoff_max) {
    ctx_.error(f.mark, f.path + ": backoff_min must not be longer than backoff_max");
  }
}

void loader::read_api_keys(const field& f, gateway_config& cfg) {
  auto items = detail::read_list(ctx_, f);
  if (!items) return;
  unique_names names("api key name");
  std::vector<std::pair<field, std::size_t>> digests_at;  // where each key was given
  for (const auto& item : *items) {
    map_reader m(ctx_, item);
    if (!m.is_map()) continue;
    api_key key;
    if (auto n = m.require("name")) {
      if (auto s = detail::read_string(ctx_, *n)) {
        if (!valid_name(*s)) {
          ctx_.error(n->mark, n->path + ": must be 1 to 64 letters, digits, '_', '-' or '.', got \"" + *s + "\"");
        }
        names.add(ctx_, *n, *s);
        key.name = *s;
      }
    }
    auto plain = m.take("key");
    auto hashed = m.take("key_sha256");
    auto file = m.take("key_file");
    int given = (plain ? 1 : 0) + (hashed ? 1 : 0) + (file ? 1 : 0);
    std::optional<sha256_digest> digest;
    std::optional<field> key_at;
    if (given == 0) {
      ctx_.error(item.mark, item.path + ": missing the key: give key_sha256, key_file or (development) key");
    } else if (given > 1) {
      const field& second = file ? *file : *hashed;
      ctx_.error(second.key_mark, second.path + ": give only one of key, key_sha256 and key_file");
    } else if (plain) {
      key_at = plain;
      if (auto s = detail::read_string(ctx_, *plain)) {
        digest = sha256(*s);
        ctx_.warn(plain->mark, plain->path + ": plain-text API key in the config file; fine for development, "
                                             "use key_sha256 or key_file in production");
      }
    } else if (hashed) {
      key_at = hashed;
      if (auto s = detail::read_string(ctx_, *hashed)) {
        digest = parse_hex_digest(*s);
        if (!digest) {
          ctx_.error(hashed->mark, hashed->path + ": must be 64 hexadecimal digits (the SHA-256 of the key)");
        }
      }
    } else {
      key_at = file;
      if (auto s = detail::read_secret_file(ctx_, *file)) digest = sha256(*s);
    }
    if (digest) {
      key.key_sha256 = *digest;
      for (const auto& [at, index] : digests_at) {
        if (cfg.api_keys[index].key_sha256 == *digest) {
          ctx_.error(key_at->mark, key_at->path + ": the same key as " + at.path + " (\"" +
                                       cfg.api_keys[index].name + "\", line " + line_of(at) + ")");
          break;
        }
      }
      digests_at.emplace_back(*key_at, cfg.api_keys.size());
    }
    if (auto s = m.require("senders")) read_sender_list(*s, key.senders);
    if (auto r = m.take("rate_limit")) read_rate_limit(*r, key.limit);
    if (auto w = m.take("webhooks")) {
      map_reader wm(ctx_, *w);
      if (wm.is_map()) {
        webhook_targets targets;
        read_webhook_targets(wm, targets, true);
        key.webhooks = targets;
      }
      wm.finish();
    }
    m.finish();
    cfg.api_keys.push_back(std::move(key));
  }
}

void loader::read_sender_list(const field& f, std::vector<std::string>& out) {
  auto items = detail::read_list(ctx_, f);
  if (!items) return;
  if (items->empty()) ctx_.error(f.mark, f.path + ": must list at least one sender");
  unique_names seen("sender");
  for (const auto& item : *items) {
    auto s = detail::read_string(ctx_, item);
    if (!s) continue;
    if (!valid_sender_id(*s)) {
      ctx_.error(item.mark, item.path + ": must be an E.164 number (+14155550100), a short code (3 to 8 digits) "
                                        "or an alphanumeric sender id, got \"" + *s + "\"");
      continue;
    }
    if (seen.add(ctx_, item, *s)) out.push_back(*s);
  }
}

void loader::read_rate_limit(const field& f, rate_limit& out) {
  map_reader m(ctx_, f);
  if (auto p = m.require("per_second")) {
    if (auto v = detail::read_number(ctx_, *p, 0.0, 1'000'000.0)) out.per_second = *v;
  }
  optional_key(m, "burst", out.burst, unsigned_reader<std::uint32_t>(1, 1'000'000));
  m.finish();
  if (out.burst == 0 && out.per_second > 0) out.burst = static_cast<std::uint32_t>(std::ceil(out.per_second));
}

void loader::read_retention(const field& f, retention_settings& out) {
  map_reader m(ctx_, f);
  optional_key(m, "message_bodies", out.message_bodies, duration_reader);
  optional_key(m, "message_records", out.message_records, duration_reader);
  optional_key(m, "idempotency", out.idempotency, duration_reader);
  optional_key(m, "receipt_margin", out.receipt_margin, duration_reader);
  optional_key(m, "purge_interval", out.purge_interval, duration_reader);
  m.finish();
  if (out.message_bodies > out.message_records) {
    ctx_.error(f.mark, f.path + ": message_bodies must not be longer than message_records");
  }
}

void loader::read_logging(const field& f, logging_settings& out) {
  map_reader m(ctx_, f);
  optional_key(m, "level", out.level, enum_reader(detail::log_level_names));
  optional_key(m, "format", out.format, enum_reader(detail::log_format_names));
  if (auto b = m.take("log_bodies")) {
    if (auto v = detail::read_bool(ctx_, *b)) {
      out.log_bodies = *v;
      if (*v) ctx_.warn(b->mark, b->path + ": message texts will be written to the logs");
    }
  }
  m.finish();
}

void loader::read_queue(const field& f, queue_settings& out) {
  map_reader m(ctx_, f);
  optional_key(m, "max_depth", out.max_depth, unsigned_reader<std::uint64_t>(1, 1'000'000'000));
  optional_key(m, "validity", out.validity, duration_reader);
  if (auto r = m.take("retry")) {
    map_reader rm(ctx_, *r);
    optional_key(rm, "max_attempts", out.retry.max_attempts, unsigned_reader<std::uint32_t>(0, 100));
    optional_key(rm, "backoff_min", out.retry.backoff_min, duration_ms_reader);
    optional_key(rm, "backoff_max", out.retry.backoff_max, duration_ms_reader);
    rm.finish();
    if (out.retry.backoff_min > out.retry.backoff_max) {
      ctx_.error(r->mark, r->path + ": backoff_min must not be longer than backoff_max");
    }
  }
  m.finish();
}

void loader::read_runtime(const field& f, runtime_settings& out) {
  map_reader m(ctx_, f);
  optional_key(m, "io_threads", out.io_threads, unsigned_reader<std::uint32_t>(0, 256));
  m.finish();
}

}  // namespace config::detail
