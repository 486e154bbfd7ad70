// The configuration's carrier sections (config/loader.hpp): carriers (with TLS), routes, senders,
// sender classes.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "config/loader.hpp"

namespace config::detail {

void loader::read_carriers(const field& f, std::vector<carrier>& out) {
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

void loader::read_bounded_string(const field& f, std::string& out, std::size_t max, bool allow_empty) {
  auto s = detail::read_string(ctx_, f, allow_empty);
  if (!s) return;
  if (s->size() > max) {
    ctx_.error(f.mark, f.path + ": must be at most " + std::to_string(max) + " characters (SMPP 3.4), got " +
                           std::to_string(s->size()));
    return;
  }
  out = *s;
}

void loader::read_region(const field& f, std::string& out) {
  auto s = detail::read_string(ctx_, f);
  if (!s) return;
  if (!valid_region(*s)) {
    ctx_.error(f.mark, f.path + ": must be a two-letter ISO 3166 region code such as US or GB, got \"" + *s + "\"");
    return;
  }
  if (!known_region(*s)) {
    ctx_.error(f.mark, f.path + ": \"" + *s + "\" is not a region the number library knows (ISO 3166, such as US or GB)");
    return;
  }
  out = *s;
}

void loader::read_tls(const field& f, tls_settings& out) {
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

void loader::read_routes(const field& f, std::vector<route>& out) {
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

void loader::read_senders(const field& f, std::vector<sender>& out) {
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

void loader::read_sender_classes(const field& f, sender_class_settings& out) {
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

}  // namespace config::detail
