// The configuration's policy section (config/loader.hpp): number types, quiet hours,
// categories, keywords.

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "common/ascii.hpp"
#include "config/loader.hpp"

namespace config::detail {
namespace {

// An IANA zone name the gateway's time-zone library will find: a file of the system zoneinfo
// ($TZDIR or /usr/share/zoneinfo, as cctz reads it).
bool known_time_zone(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) return false;
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '/';
  });
  if (!plain) return false;
  const char* dir = std::getenv("TZDIR");
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") / name, ec);
}

}  // namespace

void loader::read_policy(const std::optional<field>& f, policy_settings& out) {
  out.allowed_number_types = default_allowed_number_types();
  out.quiet_hours.jurisdictions = default_jurisdictions();
  out.quiet_hours.primary_zones = default_primary_zones();
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

void loader::read_number_types(const field& f, std::vector<number_type>& out) {
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

std::optional<time_window> loader::read_window(const field& f) {
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

void loader::read_quiet_hours(const field& f, quiet_hours_settings& out) {
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
      if (const std::string why = jurisdiction_problem(e.key); !why.empty()) {
        ctx_.error(e.value.key_mark, e.value.path + ": " + why + ": a window for it would never apply");
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
  if (auto z = m.take("primary_zones")) {
    out.primary_zones.clear();
    map_reader zm(ctx_, *z);
    for (auto& e : zm.entries()) {
      e.used = true;
      if (!valid_region(e.key)) {
        ctx_.error(e.value.key_mark, e.value.path + ": a primary zone is keyed by a two-letter ISO 3166 region "
                                                    "code such as US or RU");
        continue;
      }
      auto zone = detail::read_string(ctx_, e.value);
      if (!zone) continue;
      if (!known_time_zone(*zone)) {
        ctx_.error(e.value.mark, e.value.path + ": \"" + *zone + "\" is not a time zone of the system's "
                                                "zoneinfo (an IANA name such as America/New_York)");
        continue;
      }
      out.primary_zones.push_back({e.key, *zone});
    }
  }
  m.finish();
}

void loader::read_categories(const field& f, std::vector<category>& out) {
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
void loader::read_keyword_set(map_reader& m, keyword_settings& out, std::vector<std::pair<std::string, field>>& positions) {
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
                               std::pair{"help_text", &out.replies.help_text},
                               std::pair{"clarification", &out.replies.clarification}}) {
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

void loader::check_keyword_overlap(const field& at, const keyword_settings& k,
                                 const std::vector<std::pair<std::string, field>>& positions) {
  std::vector<std::pair<std::string, std::string>> seen;  // upper-cased word, list
  for (auto [name, list] : {std::pair{"opt_out", &k.opt_out}, std::pair{"opt_in", &k.opt_in},
                            std::pair{"help", &k.help}}) {
    for (const auto& w : *list) {
      std::string u = common::upper_ascii(w);
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

void loader::read_keywords(const field& f, policy_settings& out) {
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

}  // namespace config::detail
