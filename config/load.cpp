#include "config/load.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/yaml_reader.hpp"

namespace config {

std::string to_string(const diagnostic& d) {
  return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message;
}

namespace {

using detail::context;
using detail::field;
using detail::map_reader;
using detail::optional_key;

// ---------------------------------------------------------------- value shapes

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// E.164 with '+' (7 to 15 digits), a short code (3 to 8 digits) or an alphanumeric sender id
// (1 to 11 letters, digits, spaces, '-', '.', '&', at least one letter).
bool valid_sender_id(std::string_view s) {
  if (s.starts_with('+')) return is_digits(s.substr(1)) && s.size() >= 8 && s.size() <= 16;
  if (is_digits(s)) return s.size() >= 3 && s.size() <= 8;
  if (s.empty() || s.size() > 11) return false;
  bool letter = false;
  for (char c : s) {
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    letter = letter || alpha;
    if (!alpha && !(c >= '0' && c <= '9') && c != ' ' && c != '-' && c != '.' && c != '&') return false;
  }
  return letter;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool valid_region(std::string_view s) { return s.size() == 2 && is_upper(s[0]) && is_upper(s[1]); }

// "GB", "US-FL", "CA-QC": ISO 3166-1 alpha-2, optionally "-" and an ISO 3166-2 subdivision.
bool valid_jurisdiction(std::string_view s) {
  if (s.size() == 2) return valid_region(s);
  if (s.size() < 4 || s.size() > 6 || s[2] != '-' || !valid_region(s.substr(0, 2))) return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) { return is_upper(c) || (c >= '0' && c <= '9'); });
}

bool valid_prefix(std::string_view s) {
  return s.starts_with('+') && s.size() <= 16 && (s.size() == 1 || is_digits(s.substr(1)));
}

bool valid_http_url(std::string_view s) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (s.starts_with(scheme)) {
      std::string_view rest = s.substr(scheme.size());
      return !rest.empty() && rest.front() != '/' && rest.find(' ') == std::string_view::npos;
    }
  }
  return false;
}

sha256_digest sha256(std::string_view data) {
  sha256_digest out{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

std::optional<sha256_digest> parse_hex_digest(std::string_view s) {
  if (s.size() != 64) return std::nullopt;
  sha256_digest out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(s[2 * i]);
    int lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string upper_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

std::string line_of(const field& f) { return std::to_string(f.key_mark.line + 1); }

// Remembers names already seen in a list and reports the second one.
class unique_names {
 public:
  explicit unique_names(std::string what) : what_(std::move(what)) {}
  bool add(context& ctx, const field& f, const std::string& name) {
    for (const auto& [seen, at] : seen_) {
      if (seen == name) {
        ctx.error(f.mark, f.path + ": duplicate " + what_ + " \"" + name + "\" (first at line " + line_of(at) + ")");
        return false;
      }
    }
    seen_.emplace_back(name, f);
    return true;
  }

 private:
  std::string what_;
  std::vector<std::pair<std::string, field>> seen_;
};

// Typed readers bound to a value shape, for optional_key.
auto string_reader(bool allow_empty = false) {
  return [allow_empty](context& ctx, const field& f) { return detail::read_string(ctx, f, allow_empty); };
}
template <typename T>
auto unsigned_reader(T min, T max) {
  return [min, max](context& ctx, const field& f) -> std::optional<T> {
    auto v = detail::read_integer(ctx, f, static_cast<std::int64_t>(min), static_cast<std::int64_t>(max));
    if (!v) return std::nullopt;
    return static_cast<T>(*v);
  };
}
auto number_reader(double max) {
  return [max](context& ctx, const field& f) { return detail::read_number(ctx, f, 0.0, max); };
}
constexpr auto bool_reader = [](context& ctx, const field& f) { return detail::read_bool(ctx, f); };
constexpr auto duration_reader = [](context& ctx, const field& f) { return detail::read_duration(ctx, f); };
constexpr auto duration_ms_reader = [](context& ctx, const field& f) { return detail::read_duration_ms(ctx, f); };
constexpr auto path_reader = [](context& ctx, const field& f) -> std::optional<std::string> {
  auto s = detail::read_string(ctx, f);
  if (!s) return std::nullopt;
  return ctx.resolve(*s);
};
template <typename E, std::size_t N>
auto enum_reader(const detail::name_table<E, N>& table) {
  return [&table](context& ctx, const field& f) { return detail::read_enum(ctx, f, table); };
}

// ---------------------------------------------------------------- the loader

// A reference to a name defined elsewhere in the file, checked once everything is read.
struct reference {
  std::string name;
  field at;
};

class loader {
 public:
  explicit loader(context& ctx) : ctx_(ctx) {}

  void load(const field& root, gateway_config& cfg) {
    map_reader m(ctx_, root);
    if (!m.is_map()) return;
    // Top-level "x-..." keys hold anchors for reuse (x-carrier-defaults: &defaults {...}).
    for (auto& e : m.entries()) {
      if (e.key.starts_with("x-")) e.used = true;
    }
    if (auto f = m.take("http")) read_http(*f, cfg.http);
    if (auto f = m.take("admin")) read_admin(*f, cfg.admin);
    read_store(m.take("store"), cfg.store);
    read_secrets(m.take("secrets"), cfg.secrets);
    if (auto f = m.take("webhooks")) read_webhooks(*f, cfg.webhooks);
    if (auto f = m.take("api_keys")) read_api_keys(*f, cfg);
    if (auto f = m.take("carriers")) read_carriers(*f, cfg.carriers);
    routes_at_ = m.take("routes");
    if (routes_at_) read_routes(*routes_at_, cfg.routes);
    if (auto f = m.take("senders")) read_senders(*f, cfg.senders);
    if (auto f = m.take("sender_classes")) read_sender_classes(*f, cfg.sender_classes);
    read_policy(m.take("policy"), cfg.policy);
    if (auto f = m.take("retention")) read_retention(*f, cfg.retention);
    if (auto f = m.take("logging")) read_logging(*f, cfg.logging);
    if (auto f = m.take("queue")) read_queue(*f, cfg.queue);
    m.finish();
    cross_check(root, cfg);
  }

 private:
  context& ctx_;
  std::vector<reference> carrier_refs_;   // routes -> carriers
  std::vector<reference> profile_refs_;   // categories -> quiet hours profiles
  std::optional<field> default_category_;
  std::optional<field> categories_at_;
  std::vector<std::pair<std::string, field>> webhook_urls_without_secret_;
  std::vector<std::size_t> carriers_without_region_;
  std::optional<field> routes_at_;
  std::optional<field> http_listen_;
  std::optional<field> admin_listen_;

  // ------------------------------------------------------------ http, admin

  void read_http(const field& f, http_settings& out) {
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
    m.finish();
  }

  void read_admin(const field& f, admin_settings& out) {
    map_reader m(ctx_, f);
    if (auto l = m.take("listen")) {
      admin_listen_ = l;
      if (auto v = detail::read_endpoint(ctx_, *l, true)) out.listen = *v;
    }
    m.finish();
  }

  // ------------------------------------------------------------ store, secrets

  void read_store(const std::optional<field>& f, store_settings& out) {
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
  void read_redis_url(const field& f, const std::string& url, store_settings& out) {
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

  void read_secrets(const std::optional<field>& f, secrets_settings& out) {
    out.number_key_file = ctx_.resolve("var/number.key");
    if (!f) return;
    map_reader m(ctx_, *f);
    // Not read here: the store reads it at start-up (and may generate it in development).
    optional_key(m, "number_key_file", out.number_key_file, path_reader);
    optional_key(m, "generate_number_key", out.generate_number_key, bool_reader);
    m.finish();
  }

  // ------------------------------------------------------------ webhooks, api keys

  void read_webhook_targets(map_reader& m, webhook_targets& out, bool inherit_secret) {
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

  void read_webhooks(const field& f, webhook_settings& out) {
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

  void read_api_keys(const field& f, gateway_config& cfg) {
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

  void read_sender_list(const field& f, std::vector<std::string>& out) {
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

  void read_rate_limit(const field& f, rate_limit& out) {
    map_reader m(ctx_, f);
    if (auto p = m.require("per_second")) {
      if (auto v = detail::read_number(ctx_, *p, 0.0, 1'000'000.0)) out.per_second = *v;
    }
    optional_key(m, "burst", out.burst, unsigned_reader<std::uint32_t>(1, 1'000'000));
    m.finish();
    if (out.burst == 0 && out.per_second > 0) out.burst = static_cast<std::uint32_t>(std::ceil(out.per_second));
  }

  // ------------------------------------------------------------ carriers, routes, senders

  void read_carriers(const field& f, std::vector<carrier>& out) {
    auto items = detail::read_list(ctx_, f);
    if (!items) return;
    unique_names names("carrier name");
    for (const auto& item : *items) {
      map_reader m(ctx_, item);
      if (!m.is_map()) continue;
      carrier c;
      if (auto n = m.require("name")) {
        if (auto s = detail::read_string(ctx_, *n)) {
          if (!valid_name(*s)) {
            ctx_.error(n->mark, n->path + ": must be 1 to 64 letters, digits, '_', '-' or '.', got \"" + *s + "\"");
          }
          names.add(ctx_, *n, *s);
          c.name = *s;
        }
      }
      if (auto h = m.require("host")) {
        if (auto s = detail::read_string(ctx_, *h)) c.host = *s;
      }
      optional_key(m, "port", c.port, unsigned_reader<std::uint16_t>(1, 65535));
      if (auto s = m.require("system_id")) read_bounded_string(*s, c.system_id, 15);
      auto plain = m.take("password");
      auto file = m.take("password_file");
      if (plain && file) {
        ctx_.error(file->key_mark, file->path + ": give either password or password_file, not both");
      } else if (plain) {
        read_bounded_string(*plain, c.password, 8);
      } else if (file) {
        if (auto s = detail::read_secret_file(ctx_, *file)) {
          if (s->size() > 8) {
            ctx_.error(file->key_mark, file->path + ": the password in the file is longer than 8 characters "
                                                    "(the SMPP 3.4 limit)");
          } else {
            c.password = *s;
          }
        }
      }
      if (auto t = m.take("system_type")) read_bounded_string(*t, c.system_type, 12, true);
      optional_key(m, "bind", c.bind, enum_reader(detail::bind_mode_names));
      optional_key(m, "sessions", c.sessions, unsigned_reader<std::uint32_t>(1, 64));
      optional_key(m, "window", c.window, unsigned_reader<std::uint32_t>(1, 1000));
      optional_key(m, "tps", c.tps, number_reader(1'000'000.0));
      c.default_region.clear();  // filled from policy.default_region when not given
      if (auto r = m.take("default_region")) read_region(*r, c.default_region);
      if (c.default_region.empty()) carriers_without_region_.push_back(out.size());
      optional_key(m, "data_coding_0", c.data_coding_0, enum_reader(detail::data_coding_zero_names));
      optional_key(m, "concatenation", c.concat, enum_reader(detail::concatenation_names));
      optional_key(m, "max_parts", c.max_parts, unsigned_reader<std::uint32_t>(1, 255));
      optional_key(m, "message_id", c.message_id, enum_reader(detail::message_id_format_names));
      optional_key(m, "enquire_link", c.enquire_link, duration_ms_reader);
      optional_key(m, "response_timeout", c.response_timeout, duration_ms_reader);
      optional_key(m, "connect_timeout", c.connect_timeout, duration_ms_reader);
      optional_key(m, "reconnect_min", c.reconnect_min, duration_ms_reader);
      optional_key(m, "reconnect_max", c.reconnect_max, duration_ms_reader);
      optional_key(m, "throttle_pause", c.throttle_pause, duration_ms_reader);
      if (auto v = m.take("validity")) {
        if (auto d = detail::read_duration(ctx_, *v)) c.validity = *d;
      }
      optional_key(m, "registered_delivery", c.registered_delivery, bool_reader);
      if (auto t = m.take("tls")) read_tls(*t, c.tls);
      m.finish();
      if (c.reconnect_min > c.reconnect_max) {
        ctx_.error(item.mark, item.path + ": reconnect_min must not be longer than reconnect_max");
      }
      out.push_back(std::move(c));
    }
  }

  void read_bounded_string(const field& f, std::string& out, std::size_t max, bool allow_empty = false) {
    auto s = detail::read_string(ctx_, f, allow_empty);
    if (!s) return;
    if (s->size() > max) {
      ctx_.error(f.mark, f.path + ": must be at most " + std::to_string(max) + " characters (SMPP 3.4), got " +
                             std::to_string(s->size()));
      return;
    }
    out = *s;
  }

  void read_region(const field& f, std::string& out) {
    auto s = detail::read_string(ctx_, f);
    if (!s) return;
    if (!valid_region(*s)) {
      ctx_.error(f.mark, f.path + ": must be a two-letter ISO 3166 region code such as US or GB, got \"" + *s + "\"");
      return;
    }
    out = *s;
  }

  void read_tls(const field& f, tls_settings& out) {
    map_reader m(ctx_, f);
    optional_key(m, "enabled", out.enabled, bool_reader);
    std::vector<std::pair<field, std::string*>> files;
    for (auto [key, target] : {std::pair{"ca_file", &out.ca_file}, std::pair{"cert_file", &out.cert_file},
                               std::pair{"key_file", &out.key_file}}) {
      if (auto x = m.take(key)) {
        if (auto p = path_reader(ctx_, *x)) {
          *target = *p;
          files.emplace_back(*x, target);
        }
      }
    }
    optional_key(m, "verify", out.verify, bool_reader);
    optional_key(m, "server_name", out.server_name, string_reader());
    m.finish();
    if (!out.enabled) return;
    for (const auto& [at, path] : files) {
      std::ifstream in(*path);
      if (!in) ctx_.error(at.key_mark, at.path + ": cannot read \"" + *path + "\": " + std::strerror(errno));
    }
    if (out.cert_file.empty() != out.key_file.empty()) {
      ctx_.error(f.mark, f.path + ": cert_file and key_file go together (a client certificate needs its key)");
    }
    if (!out.verify) {
      ctx_.warn(f.mark, f.path + ": certificate verification is off; the link is open to interception");
    }
  }

  void read_routes(const field& f, std::vector<route>& out) {
    auto items = detail::read_list(ctx_, f);
    if (!items) return;
    unique_names prefixes("route prefix");
    for (const auto& item : *items) {
      map_reader m(ctx_, item);
      if (!m.is_map()) continue;
      route r;
      if (auto p = m.require("prefix")) {
        if (auto s = detail::read_string(ctx_, *p)) {
          if (!valid_prefix(*s)) {
            ctx_.error(p->mark, p->path + ": must be \"+\" followed by up to 15 digits, got \"" + *s + "\"");
          } else if (prefixes.add(ctx_, *p, *s)) {
            r.prefix = *s;
          }
        }
      }
      if (auto c = m.require("carrier")) {
        if (auto s = detail::read_string(ctx_, *c)) {
          r.carrier = *s;
          carrier_refs_.push_back({*s, *c});
        }
      }
      if (auto fo = m.take("failover")) {
        if (auto list = detail::read_list(ctx_, *fo)) {
          for (const auto& entry : *list) {
            auto s = detail::read_string(ctx_, entry);
            if (!s) continue;
            if (*s == r.carrier || std::find(r.failover.begin(), r.failover.end(), *s) != r.failover.end()) {
              ctx_.error(entry.mark, entry.path + ": carrier \"" + *s + "\" is already in this route");
              continue;
            }
            r.failover.push_back(*s);
            carrier_refs_.push_back({*s, entry});
          }
        }
      }
      m.finish();
      out.push_back(std::move(r));
    }
  }

  void read_senders(const field& f, std::vector<sender>& out) {
    auto items = detail::read_list(ctx_, f);
    if (!items) return;
    unique_names ids("sender");
    for (const auto& item : *items) {
      map_reader m(ctx_, item);
      if (!m.is_map()) continue;
      sender s;
      if (auto id = m.require("id")) {
        if (auto v = detail::read_string(ctx_, *id)) {
          if (!valid_sender_id(*v)) {
            ctx_.error(id->mark, id->path + ": must be an E.164 number (+14155550100), a short code (3 to 8 "
                                            "digits) or an alphanumeric sender id, got \"" + *v + "\"");
          } else if (ids.add(ctx_, *id, *v)) {
            s.id = *v;
          }
        }
      }
      s.cls = classify_sender(s.id);
      optional_key(m, "class", s.cls, enum_reader(detail::sender_class_names));
      std::optional<double> tps;
      if (auto t = m.take("tps")) tps = detail::read_number(ctx_, *t, 0.0, 1'000'000.0);
      m.finish();
      s.tps = tps.value_or(-1);  // -1: the class default, filled in once sender_classes is read
      out.push_back(std::move(s));
    }
  }

  void read_sender_classes(const field& f, sender_class_settings& out) {
    map_reader m(ctx_, f);
    for (auto [key, target] : {std::pair{"long_code", &out.long_code_tps}, std::pair{"toll_free", &out.toll_free_tps},
                               std::pair{"short_code", &out.short_code_tps},
                               std::pair{"alphanumeric", &out.alphanumeric_tps}}) {
      if (auto c = m.take(key)) {
        map_reader cm(ctx_, *c);
        optional_key(cm, "tps", *target, number_reader(1'000'000.0));
        cm.finish();
      }
    }
    m.finish();
  }

  // ------------------------------------------------------------ policy

  void read_policy(const std::optional<field>& f, policy_settings& out) {
    out.allowed_number_types = default_allowed_number_types();
    out.quiet_hours.jurisdictions = default_jurisdictions();
    out.keywords = default_keywords();
    if (!f) {
      out.categories = default_categories();
      return;
    }
    map_reader m(ctx_, *f);
    if (!m.is_map()) {
      out.categories = default_categories();
      return;
    }
    if (auto r = m.take("default_region")) read_region(*r, out.default_region);
    if (auto d = m.take("default_category")) {
      if (auto s = detail::read_string(ctx_, *d)) {
        out.default_category = *s;
        default_category_ = d;
      }
    }
    optional_key(m, "opt_out_scope", out.scope, enum_reader(detail::opt_out_scope_names));
    if (auto t = m.take("allowed_number_types")) read_number_types(*t, out.allowed_number_types);
    if (auto q = m.take("quiet_hours")) read_quiet_hours(*q, out.quiet_hours);
    if (auto c = m.take("categories")) {
      categories_at_ = c;
      read_categories(*c, out.categories);
    } else {
      out.categories = default_categories();
    }
    if (auto k = m.take("keywords")) read_keywords(*k, out);
    if (auto r = m.take("reply_rate_limit")) {
      map_reader rm(ctx_, *r);
      optional_key(rm, "max", out.replies.max, unsigned_reader<std::uint32_t>(1, 1000));
      optional_key(rm, "window", out.replies.window, duration_reader);
      rm.finish();
    }
    if (auto r = m.take("reassembly")) {
      map_reader rm(ctx_, *r);
      optional_key(rm, "timeout", out.reassembly.timeout, duration_ms_reader);
      optional_key(rm, "incomplete", out.reassembly.incomplete, enum_reader(detail::incomplete_action_names));
      optional_key(rm, "max_pending", out.reassembly.max_pending, unsigned_reader<std::uint32_t>(1, 10'000'000));
      rm.finish();
    }
    m.finish();
  }

  void read_number_types(const field& f, std::vector<number_type>& out) {
    auto items = detail::read_list(ctx_, f);
    if (!items) return;
    if (items->empty()) {
      ctx_.error(f.mark, f.path + ": must list at least one number type");
      return;
    }
    std::vector<number_type> types;
    for (const auto& item : *items) {
      auto t = detail::read_enum(ctx_, item, detail::number_type_names);
      if (!t) continue;
      if (std::find(types.begin(), types.end(), *t) != types.end()) {
        ctx_.error(item.mark, item.path + ": " + std::string(to_string(*t)) + " is listed twice");
        continue;
      }
      types.push_back(*t);
    }
    out = types;
  }

  std::optional<time_window> read_window(const field& f) {
    map_reader m(ctx_, f);
    if (!m.is_map()) return std::nullopt;
    std::optional<int> from;
    std::optional<int> to;
    if (auto x = m.require("from")) from = detail::read_time_of_day(ctx_, *x);
    if (auto x = m.require("to")) to = detail::read_time_of_day(ctx_, *x);
    m.finish();
    if (!from || !to) return std::nullopt;
    if (*from == 24 * 60) {
      ctx_.error(f.mark, f.path + ".from: 24:00 is only allowed as the end of a window");
      return std::nullopt;
    }
    if (*from == *to) {
      ctx_.error(f.mark, f.path + ": from and to are the same time: sending would never be allowed");
      return std::nullopt;
    }
    return time_window{*from, *to};
  }

  void read_quiet_hours(const field& f, quiet_hours_settings& out) {
    map_reader m(ctx_, f);
    if (auto d = m.take("default")) {
      if (auto w = read_window(*d)) out.default_window = *w;
    }
    if (auto j = m.take("jurisdictions")) {
      out.jurisdictions.clear();
      map_reader jm(ctx_, *j);
      for (auto& e : jm.entries()) {
        e.used = true;
        if (!valid_jurisdiction(e.key)) {
          ctx_.error(e.value.key_mark, e.value.path + ": a jurisdiction must be a country (GB) or a country and "
                                                      "subdivision (US-FL), in capitals");
          continue;
        }
        if (auto w = read_window(e.value)) out.jurisdictions.push_back({e.key, *w});
      }
    }
    if (auto p = m.take("profiles")) {
      map_reader pm(ctx_, *p);
      for (auto& e : pm.entries()) {
        e.used = true;
        if (!valid_name(e.key) || e.key == "none" || e.key == "default") {
          ctx_.error(e.value.key_mark, e.value.path + ": a profile name must be letters, digits, '_', '-' or '.', "
                                                      "and not \"none\" or \"default\"");
          continue;
        }
        if (auto w = read_window(e.value)) out.profiles.push_back({e.key, *w});
      }
    }
    optional_key(m, "no_common_window", out.no_common_window, enum_reader(detail::no_common_window_names));
    m.finish();
  }

  void read_categories(const field& f, std::vector<category>& out) {
    map_reader m(ctx_, f);
    if (!m.is_map()) return;
    if (m.entries().empty()) ctx_.error(f.mark, f.path + ": must define at least one category");
    for (auto& e : m.entries()) {
      e.used = true;
      category c;
      c.name = e.key;
      if (!valid_name(e.key)) {
        ctx_.error(e.value.key_mark, e.value.path + ": a category name must be letters, digits, '_', '-' or '.'");
      }
      map_reader cm(ctx_, e.value);
      if (!cm.is_map()) {
        out.push_back(std::move(c));
        continue;
      }
      optional_key(cm, "consent", c.consent, enum_reader(detail::consent_mode_names));
      optional_key(cm, "consent_per_sender", c.consent_per_sender, bool_reader);
      if (auto q = cm.take("quiet_hours")) {
        if (auto s = detail::read_string(ctx_, *q)) {
          c.quiet_hours = *s;
          if (*s != "none" && *s != "default") profile_refs_.push_back({*s, *q});
        }
      }
      optional_key(cm, "action", c.action, enum_reader(detail::quiet_hours_action_names));
      if (auto caps = cm.take("caps")) {
        if (auto items = detail::read_list(ctx_, *caps)) {
          for (const auto& item : *items) {
            map_reader capm(ctx_, item);
            if (!capm.is_map()) continue;
            cap limit;
            bool ok = true;
            if (auto w = capm.require("window")) {
              auto d = detail::read_duration(ctx_, *w);
              ok = ok && d.has_value();
              if (d) limit.window = *d;
            } else {
              ok = false;
            }
            if (auto x = capm.require("max")) {
              auto v = detail::read_integer(ctx_, *x, 1, 1'000'000);
              ok = ok && v.has_value();
              if (v) limit.max = static_cast<std::uint32_t>(*v);
            } else {
              ok = false;
            }
            optional_key(capm, "per_campaign", limit.per_campaign, bool_reader);
            capm.finish();
            if (ok) c.caps.push_back(limit);
          }
        }
      }
      cm.finish();
      out.push_back(std::move(c));
    }
  }

  // Reads a keyword block over `base` (each key given replaces that part of the base).
  // `positions` receives where each word given in this block was written.
  void read_keyword_set(map_reader& m, keyword_settings& out, std::vector<std::pair<std::string, field>>& positions) {
    for (auto [key, target] : {std::pair{"opt_out", &out.opt_out}, std::pair{"opt_in", &out.opt_in},
                               std::pair{"help", &out.help}}) {
      if (auto l = m.take(key)) {
        auto items = detail::read_list(ctx_, *l);
        if (!items) continue;
        if (items->empty()) {
          ctx_.error(l->mark, l->path + ": must list at least one word");
          continue;
        }
        std::vector<std::string> words;
        for (const auto& item : *items) {
          auto s = detail::read_string(ctx_, item);
          if (!s) continue;
          if (s->size() > 160) {
            ctx_.error(item.mark, item.path + ": a keyword is at most 160 characters");
            continue;
          }
          words.push_back(*s);
          positions.emplace_back(*s, item);
        }
        *target = words;
      }
    }
    optional_key(m, "revocation", out.revocation, enum_reader(detail::revocation_action_names));
    if (auto r = m.take("replies")) {
      map_reader rm(ctx_, *r);
      for (auto [key, target] : {std::pair{"opt_out_confirmation", &out.replies.opt_out_confirmation},
                                 std::pair{"opt_in_confirmation", &out.replies.opt_in_confirmation},
                                 std::pair{"help_text", &out.replies.help_text}}) {
        if (auto t = rm.take(key)) {
          auto s = detail::read_string(ctx_, *t);
          if (s && s->size() > 1000) {
            ctx_.error(t->mark, t->path + ": a reply is at most 1000 characters");
          } else if (s) {
            *target = *s;
          }
        }
      }
      rm.finish();
    }
  }

  void check_keyword_overlap(const field& at, const keyword_settings& k,
                             const std::vector<std::pair<std::string, field>>& positions) {
    std::vector<std::pair<std::string, std::string>> seen;  // upper-cased word, list
    for (auto [name, list] : {std::pair{"opt_out", &k.opt_out}, std::pair{"opt_in", &k.opt_in},
                              std::pair{"help", &k.help}}) {
      for (const auto& w : *list) {
        std::string u = upper_ascii(w);
        auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& p) { return p.first == u; });
        if (it != seen.end() && it->second != name) {
          auto given = std::find_if(positions.rbegin(), positions.rend(), [&](const auto& p) { return p.first == w; });
          const field& where = given != positions.rend() ? given->second : at;
          ctx_.error(where.mark,
                     where.path + ": \"" + w + "\" is both an " + it->second + " and an " + name + " keyword");
        } else if (it == seen.end()) {
          seen.emplace_back(u, name);
        }
      }
    }
  }

  void read_keywords(const field& f, policy_settings& out) {
    map_reader m(ctx_, f);
    if (!m.is_map()) return;
    std::vector<std::pair<std::string, field>> positions;
    read_keyword_set(m, out.keywords, positions);
    check_keyword_overlap(f, out.keywords, positions);
    if (auto s = m.take("senders")) {
      map_reader sm(ctx_, *s);
      for (auto& e : sm.entries()) {
        e.used = true;
        if (!valid_sender_id(e.key)) {
          ctx_.error(e.value.key_mark, e.value.path + ": must be an E.164 number, a short code or an "
                                                      "alphanumeric sender id");
          continue;
        }
        map_reader one(ctx_, e.value);
        if (!one.is_map()) continue;
        sender_keywords sk{e.key, out.keywords};
        std::vector<std::pair<std::string, field>> sender_positions;
        read_keyword_set(one, sk.keywords, sender_positions);
        one.finish();
        check_keyword_overlap(e.value, sk.keywords, sender_positions);
        out.sender_overrides.push_back(std::move(sk));
      }
    }
    m.finish();
  }

  // ------------------------------------------------------------ retention, logging, queue

  void read_retention(const field& f, retention_settings& out) {
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

  void read_logging(const field& f, logging_settings& out) {
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

  void read_queue(const field& f, queue_settings& out) {
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

  // ------------------------------------------------------------ checks across sections

  void cross_check(const field& root, gateway_config& cfg) {
    for (const auto& ref : carrier_refs_) {
      if (cfg.find_carrier(ref.name) != nullptr) continue;
      std::vector<std::string> names;
      for (const auto& c : cfg.carriers) names.push_back(c.name);
      std::string message = ref.at.path + ": unknown carrier \"" + ref.name + "\"";
      if (auto s = detail::closest(ref.name, names)) message += " (did you mean \"" + *s + "\"?)";
      ctx_.error(ref.at.mark, message);
    }
    for (const auto& ref : profile_refs_) {
      const auto& profiles = cfg.policy.quiet_hours.profiles;
      if (std::any_of(profiles.begin(), profiles.end(), [&](const auto& p) { return p.name == ref.name; })) continue;
      ctx_.error(ref.at.mark, ref.at.path + ": must be none, default or a profile of policy.quiet_hours.profiles, "
                                            "got \"" + ref.name + "\"");
    }
    if (cfg.policy.find_category(cfg.policy.default_category) == nullptr) {
      std::string names;
      for (const auto& c : cfg.policy.categories) names += (names.empty() ? "" : ", ") + c.name;
      const YAML::Mark at = default_category_ ? default_category_->mark
                            : categories_at_  ? categories_at_->key_mark
                                              : root.mark;
      ctx_.error(at, "policy.default_category: \"" + cfg.policy.default_category +
                         "\" is not a category (categories: " + names + ")");
    }
    for (std::size_t index : carriers_without_region_) cfg.carriers[index].default_region = cfg.policy.default_region;
    for (auto& s : cfg.senders) {
      if (s.tps >= 0) continue;
      switch (s.cls) {
        case sender_class::long_code: s.tps = cfg.sender_classes.long_code_tps; break;
        case sender_class::toll_free: s.tps = cfg.sender_classes.toll_free_tps; break;
        case sender_class::short_code: s.tps = cfg.sender_classes.short_code_tps; break;
        case sender_class::alphanumeric: s.tps = cfg.sender_classes.alphanumeric_tps; break;
      }
    }
    // Keys without their own secret sign with the global one; a URL needs some secret.
    for (auto& key : cfg.api_keys) {
      if (key.webhooks && key.webhooks->secret.empty()) key.webhooks->secret = cfg.webhooks.targets.secret;
    }
    if (cfg.webhooks.targets.secret.empty()) {
      for (const auto& [scope, url] : webhook_urls_without_secret_) {
        ctx_.error(url.mark, url.path + ": a webhook URL needs a signing secret (secret or secret_file" +
                                 std::string(scope == "key" ? " here or in webhooks" : "") + ")");
      }
    }
    if (http_listen_ && admin_listen_ && cfg.http.listen == cfg.admin.listen && cfg.http.listen.port != 0) {
      ctx_.error(admin_listen_->mark, "admin.listen: the same address as http.listen");
    }
    if (cfg.carriers.empty()) {
      ctx_.warn(root.mark, "no carriers are configured: nothing can be sent");
    } else if (std::none_of(cfg.routes.begin(), cfg.routes.end(), [](const route& r) { return r.prefix == "+"; })) {
      ctx_.warn(routes_at_ ? routes_at_->key_mark : root.mark,
                "routes: no default route (prefix \"+\"): numbers matching no prefix get no_route");
    }
  }
};

void sort_by_position(std::vector<diagnostic>& list) {
  std::stable_sort(list.begin(), list.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

}  // namespace

namespace detail {

load_result load_traced(std::string_view text, const std::string& display_name, const std::string& base_dir,
                        std::set<std::string>* asked, std::set<std::string>* present) {
  load_result result;
  context ctx;
  ctx.asked = asked;
  ctx.present = present;
  ctx.file = display_name;
  ctx.base_dir = std::filesystem::absolute(base_dir.empty() ? std::string(".") : base_dir).lexically_normal();
  result.config.source_file = display_name;
  result.config.base_dir = ctx.base_dir.string();

  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& e) {
    ctx.error(e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    ctx.error(e.mark, std::string("YAML error: ") + e.what());
  }
  if (ctx.errors.empty()) {
    if (documents.empty() || documents.front().IsNull()) {
      ctx.error(YAML::Mark(), "the configuration is empty");
    } else {
      if (documents.size() > 1) ctx.error(documents[1].Mark(), "only one YAML document is allowed per file");
      try {
        loader(ctx).load(root_field(documents.front(), ""), result.config);
      } catch (const YAML::Exception& e) {
        // yaml-cpp throws on conversions we do not use; keep a bug here from crashing the caller.
        ctx.error(e.mark, std::string("YAML error: ") + e.what());
      }
    }
  }
  sort_by_position(ctx.errors);
  sort_by_position(ctx.warnings);
  result.errors = std::move(ctx.errors);
  result.warnings = std::move(ctx.warnings);
  return result;
}

}  // namespace detail

load_result load_config_from_string(std::string_view text, const std::string& display_name,
                                    const std::string& base_dir) {
  return detail::load_traced(text, display_name, base_dir, nullptr, nullptr);
}

load_result load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    load_result result;
    int err = in ? EISDIR : errno;
    result.errors.push_back({path, 1, 1, std::string("cannot read the configuration: ") + std::strerror(err)});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return load_config_from_string(text.str(), path, dir.empty() ? "." : dir.string());
}

}  // namespace config
