// The Redis store (policy/redis_store.hpp): creation and the connect-time checks, suppressions,
// consents, lookups, message records and status, idempotency records, the webhook outbox and
// health. Admissions, the queue, imports and tooling are in the files listed in
// policy/redis_store_state.hpp.

#include "policy/redis_store.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <tuple>

#include "policy/hex.hpp"
#include "policy/redis_lua_scripts.hpp"  // generated from policy/lua/*.lua
#include "policy/redis_store_state.hpp"
#include "policy/separated_fields.hpp"

namespace policy {

namespace asio = boost::asio;
using namespace redis_detail;

namespace {

std::string sha1_hex(std::string_view s) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return to_hex(d, sizeof d);
}

}  // namespace

std::string redis_store::state::seal_bytes(const std::string& e164) const {
  return e164.empty() ? std::string() : opts.secrets->seal_bytes(pack_e164(e164));
}

std::string redis_store::state::open_bytes(const std::string& b) const {
  return b.empty() ? std::string() : unpack_e164(opts.secrets->open_bytes(b).value_or(std::string()));
}

suppression_record redis_store::state::sup_from(const std::string& nk, const std::string& sender, std::string_view packed) const {
  auto v = unpack_sup_value(packed);
  return {nk, open_bytes(v.sealed_bytes), sender, std::move(v.reason), std::move(v.source), v.at_ms};
}

message_record redis_store::state::message_from(const field_map& f) const {
  message_record m;
  auto get = [&](const char* k) -> std::string {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  auto d = unpack(get("d"));
  d.resize(10);
  m.id = d[0];
  m.e164 = unseal(d[1]);
  m.text = d[2];
  m.campaign = d[3];
  m.client_ref = d[4];
  m.segments = static_cast<int>(to_i64(d[5]));
  m.encoding = d[6];
  m.created_at_ms = to_i64(d[7]);
  m.valid_until_ms = to_i64(d[8]);
  m.api_key = d[9];  // absent in records written before it existed: empty
  m.number_key = get("nk");
  m.carrier = get("car");
  m.sender = get("snd");
  m.category = get("cat");
  m.status = parse_message_status(get("st")).value_or(message_status::queued);
  m.carrier_message_id = get("cmid");
  m.error = get("err");
  m.updated_at_ms = to_i64(get("up"));
  m.send_at_ms = to_i64(get("sa"));
  m.attempts = static_cast<int>(to_i64(get("att")));
  m.scope = get("scope") == "global" ? opt_out_scope::global : opt_out_scope::sender;
  return m;
}

webhook_event redis_store::state::event_from(const field_map& f) {
  auto get = [&](const char* k) -> std::string {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  return {get("id"),  get("kind"),  get("tgt"),  get("body"), static_cast<int>(to_i64(get("att"))),
          to_i64(get("next")), to_i64(get("cr")), get("err"), get("lease")};
}

void redis_store::state::eval(script sc, std::vector<std::string> keys, std::vector<std::string> args,
                              redis_connection::reply_handler h) {
  const auto& def = scripts[static_cast<std::size_t>(sc)];
  auto argv = std::make_shared<std::vector<std::string>>();
  argv->reserve(3 + keys.size() + args.size());
  argv->push_back("EVALSHA");
  argv->push_back(def.sha);
  argv->push_back(std::to_string(keys.size()));
  for (auto& k : keys) argv->push_back(std::move(k));
  for (auto& a : args) argv->push_back(std::move(a));
  auto self = shared_from_this();
  conn->command_on_strand(*argv, [self, sc, argv, h = std::move(h)](std::error_code ec, redis_value v) mutable {
    if (!ec && v.is_error() && v.str.rfind("NOSCRIPT", 0) == 0) {
      // Script cache flushed (restart, SCRIPT FLUSH): EVAL sends the body and caches it again.
      (*argv)[0] = "EVAL";
      (*argv)[1] = std::string(self->scripts[static_cast<std::size_t>(sc)].body);
      self->conn->command_on_strand(std::move(*argv), std::move(h));
      return;
    }
    h(ec, std::move(v));
  });
}

void redis_store::state::outbox_write(std::vector<std::string> args,
                                      std::function<void(std::error_code, long long)> cb) {
  std::vector<std::string> keys{wh_key("pending"), wh_key("dead"), wh_event_key(args[1])};
  eval(script::outbox, std::move(keys), std::move(args),
       [cb = std::move(cb)](std::error_code ec, redis_value v) {
         if (!ec && v.is_error()) ec = store_errc::io_error;
         cb(ec, ec ? 0 : v.integer);
       });
}

void redis_store::state::outbox_read(const char* mode, std::int64_t now, int max, std::int64_t lease_ms,
                                     store_callback<std::vector<webhook_event>> cb) {
  eval(script::outbox_read, {wh_key("pending"), wh_key("dead"), wh_key("seq")},
       {mode, num(now), num(std::max(0, max)), num(lease_ms), wh_event_prefix()},
       [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
         if (!ec && v.is_error()) ec = store_errc::io_error;
         if (ec) return cb(ec, {});
         std::vector<webhook_event> out;
         for (const auto& e : v.elements) out.push_back(event_from(to_map(e)));
         cb({}, std::move(out));
       });
}

void redis_store::state::init(std::function<void(std::error_code, std::string)> done) {
  admit_restore = true;  // a new server (or a changed ACL) may accept RESTORE again
  admit_listpack = false;  // until INFO tells the version
  import_restore = true;
  auto self = shared_from_this();
  conn->command_on_strand(
      {"INFO"},
      [self, done](std::error_code ec, redis_value v) {
        if (ec) return done(ec, "INFO failed");
        if (v.is_error()) return done(store_errc::not_ready, "Redis INFO failed: " + v.str);
        auto field = [&](std::string_view name) -> std::string {
          std::string needle = std::string(name) + ":";
          auto p = v.str.find("\n" + needle);
          std::size_t start = p == std::string::npos ? (v.str.rfind(needle, 0) == 0 ? 0 : std::string::npos) : p + 1;
          if (start == std::string::npos) return {};
          start += needle.size();
          auto end = v.str.find_first_of("\r\n", start);
          return v.str.substr(start, end == std::string::npos ? std::string::npos : end - start);
        };
        std::string version = field("redis_version");
        // Redis 7.0 loads listpack payloads (format version 10); older versions refuse them.
        self->admit_listpack = self->opts.listpack_payloads && to_i64(version.substr(0, version.find('.'))) >= 7;
        std::string aof = field("aof_enabled");
        std::string policy_name = field("maxmemory_policy");
        if (self->opts.require_durability) {
          if (aof != "1") {
            return done(store_errc::not_ready,
                        "Redis at " + self->opts.url +
                            " does not persist every write: smsgw requires 'appendonly yes' (STOPs and accepted "
                            "messages must survive a restart); set it with CONFIG SET appendonly yes and in "
                            "redis.conf");
          }
          if (policy_name != "noeviction") {
            return done(store_errc::not_ready,
                        "Redis at " + self->opts.url + " has maxmemory-policy " + policy_name +
                            ": smsgw requires 'maxmemory-policy noeviction' (an evicted suppression would let "
                            "messages reach people who said STOP)");
          }
        }
        self->server_info = "redis " + version + ", appendonly " + (aof == "1" ? "yes" : "no") +
                            ", maxmemory-policy " + policy_name;
        // Suppression buckets stay compact (listpack) only below these limits: check, warn in
        // health() (docs/stores.md, "Suppressions"). Never refuses: the cost is memory only.
        self->conn->command_on_strand(
            {"CONFIG", "GET", "hash-max-*"},
            [self](std::error_code ec2, redis_value r) {
              if (ec2) return;
              if (r.is_error()) {
                self->server_info += "; warning: CONFIG GET refused (" + r.str + "): cannot check hash-max-listpack-*";
                return;
              }
              std::int64_t entries = -1, value = -1;
              for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
                const std::string& name = r.elements[i].str;
                bool listpack = name.find("listpack") != std::string::npos;
                auto take = [&](std::int64_t& slot) {
                  if (listpack || slot < 0) slot = to_i64(r.elements[i + 1].str);
                };
                if (name.ends_with("-entries")) take(entries);
                if (name.ends_with("-value")) take(value);
              }
              self->server_info += ", hash-max-listpack-entries " + num(entries) + ", hash-max-listpack-value " + num(value);
              if (entries < redis_store::min_hash_max_listpack_entries ||
                  value < redis_store::min_hash_max_listpack_value) {
                self->server_info += "; warning: suppression buckets need hash-max-listpack-entries >= " +
                                     num(redis_store::min_hash_max_listpack_entries) +
                                     " and hash-max-listpack-value >= " +
                                     num(redis_store::min_hash_max_listpack_value) +
                                     " to stay compact (about 4x the memory per suppressed number otherwise)";
              }
            },
            true);
        auto remaining = std::make_shared<std::size_t>(self->scripts.size());
        auto failed = std::make_shared<bool>(false);
        for (const auto& def : self->scripts) {
          self->conn->command_on_strand(
              {"SCRIPT", "LOAD", std::string(def.body)},
              [done, remaining, failed, sha = def.sha](std::error_code ec2, redis_value r) {
                if (*failed) return;
                if (ec2 || r.is_error() || r.str != sha) {
                  *failed = true;
                  return done(ec2 ? ec2 : make_error_code(store_errc::not_ready),
                              "SCRIPT LOAD failed: " + (ec2 ? ec2.message() : r.str));
                }
                if (--*remaining == 0) done({}, {});
              },
              true);
        }
      },
      true);
}

redis_store::redis_store(std::shared_ptr<state> s) : s_(std::move(s)) {}

redis_store::~redis_store() { s_->conn->stop(); }

redis_store::create_result redis_store::create(asio::any_io_executor ex, redis_options opts) {
  create_result r;
  if (!opts.secrets) {
    r.ec = store_errc::invalid_argument;
    r.error = "redis store: number secrets are required";
    return r;
  }
  std::string err;
  auto ep = parse_redis_url(opts.url, &err);
  if (!ep) {
    r.ec = store_errc::invalid_argument;
    r.error = err;
    return r;
  }
  if (!opts.password.empty()) ep->password = opts.password;
  auto s = std::make_shared<state>();
  s->opts = std::move(opts);
  const std::string_view bodies[] = {detail::lua_admit,   detail::lua_claim,           detail::lua_release,
                                     detail::lua_set_status, detail::lua_consent, detail::lua_idempotency_put,
                                     detail::lua_stats,   detail::lua_outbox,  detail::lua_outbox_read,
                                     detail::lua_purge,   detail::lua_erase,   detail::lua_import, detail::lua_suppression,
                                     detail::lua_complete, detail::lua_import_swap};
  static_assert(std::size(bodies) == static_cast<std::size_t>(script::count_));
  for (std::size_t i = 0; i < s->scripts.size(); ++i) s->scripts[i] = {bodies[i], sha1_hex(bodies[i])};
  redis_connection_options co;
  co.endpoint = *ep;
  co.connect_timeout = s->opts.connect_timeout;
  co.request_timeout = s->opts.request_timeout;
  co.backoff_min = s->opts.backoff_min;
  co.backoff_max = s->opts.backoff_max;
  s->conn = redis_connection::create(std::move(ex), co);
  std::weak_ptr<state> weak = s;
  s->conn->set_init_hook([weak](std::function<void(std::error_code, std::string)> done) {
    if (auto st = weak.lock()) return st->init(std::move(done));
    done(store_errc::shutting_down, "store destroyed");
  });
  s->conn->start();
  r.store.reset(new redis_store(std::move(s)));
  return r;
}

namespace {

// suppression.lua for one number; invalid_argument when the number key is not an HMAC.
void sup_eval(const std::shared_ptr<redis_store::state>& s, const char* mode, const std::string& nk,
              std::string sender, std::string arg, redis_connection::reply_handler h) {
  auto loc = locate(nk);
  if (!loc) {
    asio::post(s->conn->strand(), [h = std::move(h)] { h(store_errc::invalid_argument, redis_value{}); });
    return;
  }
  s->eval(script::suppression, {s->sup_bucket(*loc), s->sup_senders(), s->sup_ids()},
          {mode, std::move(loc->suffix), std::move(sender), std::move(arg)}, std::move(h));
}

}  // namespace

void redis_store::suppress(suppression_record rec, store_callback<done> cb) {
  // Sealing (AES-GCM) happens on the caller's thread, the strand only writes.
  std::string value = pack_sup_value(rec.reason, rec.source, rec.at_ms, s_->seal_bytes(rec.e164));
  on_strand(s_, [s = s_, rec = std::move(rec), value = std::move(value), cb = std::move(cb)]() mutable {
    auto loc = locate(rec.number_key);
    if (!loc) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb(store_errc::invalid_argument, done{}); });
      return;
    }
    // A new suppression is also appended to the feed (suppression_feed) in the same script.
    s->eval(script::suppression, {s->sup_bucket(*loc), s->sup_senders(), s->sup_ids(), s->sup_feed()},
            {"put", std::move(loc->suffix), rec.sender, std::move(value), rec.number_key, num(rec.at_ms)},
            [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              fail_or<done>(cb, ec, v, [] { return done{}; });
            });
  });
}

// The feed is a stream (XADD in suppression.lua, trimmed to about 10,000 entries): entries
// after the cursor with XRANGE's exclusive start; cursor "" asks for the newest id.
void redis_store::suppression_feed(std::string cursor, std::size_t max, store_callback<suppression_feed_page> cb) {
  on_strand(s_, [s = s_, cursor = std::move(cursor), max, cb = std::move(cb)]() mutable {
    const bool start = cursor.empty();
    std::vector<std::string> args =
        start ? std::vector<std::string>{"XREVRANGE", s->sup_feed(), "+", "-", "COUNT", "1"}
              : std::vector<std::string>{"XRANGE", s->sup_feed(), "(" + cursor, "+", "COUNT", num(std::max<std::size_t>(max, 1))};
    s->conn->command_on_strand(args, [start, cursor, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
      fail_or<suppression_feed_page>(cb, ec, v, [&] {
        suppression_feed_page page;
        page.cursor = start ? "0-0" : cursor;
        for (const auto& entry : v.elements) {
          if (entry.elements.size() < 2) continue;
          page.cursor = entry.elements[0].str;
          if (start) continue;
          const auto f = to_map(entry.elements[1]);
          suppression_notice n;
          if (auto it = f.find("k"); it != f.end()) n.number_key = it->second;
          if (auto it = f.find("s"); it != f.end()) n.sender = it->second;
          if (auto it = f.find("t"); it != f.end()) n.at_ms = to_i64(it->second);
          if (!n.number_key.empty()) page.items.push_back(std::move(n));
        }
        return page;
      });
    });
  });
}

void redis_store::unsuppress(std::string number_key, std::string sender, store_callback<bool> cb) {
  on_strand(s_, [s = s_, number_key = std::move(number_key), sender = std::move(sender), cb = std::move(cb)]() mutable {
    sup_eval(s, "del", number_key, std::move(sender), "", [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
      fail_or<bool>(cb, ec, v, [&] { return v.integer > 0; });
    });
  });
}

void redis_store::is_suppressed(std::string number_key, std::string sender, opt_out_scope scope,
                                store_callback<bool> cb) {
  on_strand(s_, [s = s_, number_key = std::move(number_key), sender = std::move(sender), scope,
                 cb = std::move(cb)]() mutable {
    sup_eval(s, "check", number_key, std::move(sender), scope == opt_out_scope::global ? "global" : "sender",
             [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
               fail_or<bool>(cb, ec, v, [&] { return v.integer > 0; });
             });
  });
}

namespace {

void consent_op(const std::shared_ptr<redis_store::state>& s, bool grant, consent_record rec,
                std::function<void(std::error_code, bool)> cb) {
  std::string sealed = s->seal(rec.e164);
  std::string field = join_fields({rec.category, rec.sender});
  std::string value = join_fields({rec.source, rec.evidence, num(rec.at_ms), sealed});
  std::string ledger = join_fields({grant ? "1" : "0", rec.category, rec.sender, rec.source, rec.evidence, num(rec.at_ms), sealed});
  s->eval(script::consent, {s->num_key(rec.number_key, "con"), s->num_key(rec.number_key, "ledger")},
          {grant ? "grant" : "revoke", field, value, ledger}, [cb = std::move(cb)](std::error_code ec, redis_value v) {
            if (!ec && v.is_error()) ec = store_errc::io_error;
            cb(ec, !ec && v.integer > 0);
          });
}

}  // namespace

void redis_store::grant_consent(consent_record rec, store_callback<done> cb) {
  on_strand(s_, [s = s_, rec = std::move(rec), cb = std::move(cb)]() mutable {
    consent_op(s, true, std::move(rec), [cb = std::move(cb)](std::error_code ec, bool) { cb(ec, done{}); });
  });
}

void redis_store::revoke_consent(consent_record rec, store_callback<bool> cb) {
  on_strand(s_, [s = s_, rec = std::move(rec), cb = std::move(cb)]() mutable {
    consent_op(s, false, std::move(rec), std::move(cb));
  });
}

void redis_store::lookup_number(std::string number_key, store_callback<number_facts> cb) {
  on_strand(s_, [s = s_, nk = std::move(number_key), cb = std::move(cb)]() mutable {
    struct agg {
      redis_value sup, con, ledger;
      int remaining = 3;
      std::error_code ec;
    };
    auto a = std::make_shared<agg>();
    auto finish = [s, nk, a, cb = std::move(cb)]() mutable {
      if (a->ec) return cb(a->ec, number_facts{});
      number_facts f;
      for (std::size_t i = 0; i + 1 < a->sup.elements.size(); i += 2)
        f.suppressions.push_back(s->sup_from(nk, a->sup.elements[i].str, a->sup.elements[i + 1].str));
      std::sort(f.suppressions.begin(), f.suppressions.end(),
                [](const auto& x, const auto& y) { return x.sender < y.sender; });
      for (const auto& [field, val] : to_map(a->con)) {
        auto k = split_fields(field, 2);
        auto p = split_fields(val, 4);
        f.consents.push_back({nk, s->unseal(p[3]), k[0], k[1], p[0], p[1], to_i64(p[2])});
      }
      std::sort(f.consents.begin(), f.consents.end(), [](const auto& x, const auto& y) {
        return std::tie(x.category, x.sender) < std::tie(y.category, y.sender);
      });
      for (const auto& e : a->ledger.elements) {
        auto p = split_fields(e.str, 7);
        f.ledger.push_back({p[0] == "1", {nk, s->unseal(p[6]), p[1], p[2], p[3], p[4], to_i64(p[5])}});
      }
      cb({}, std::move(f));
    };
    auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
    auto part = [a, shared_finish](redis_value agg::*slot) {
      return [a, shared_finish, slot](std::error_code ec, redis_value v) {
        if (!ec && v.is_error()) ec = store_errc::io_error;
        if (ec && !a->ec) a->ec = ec;
        (*a).*slot = std::move(v);
        if (--a->remaining == 0) (*shared_finish)();
      };
    };
    sup_eval(s, "read", nk, "", "", part(&agg::sup));
    s->conn->command_on_strand({"HGETALL", s->num_key(nk, "con")}, part(&agg::con));
    s->conn->command_on_strand({"LRANGE", s->num_key(nk, "ledger"), "0", "-1"}, part(&agg::ledger));
  });
}

void redis_store::get_message(std::string id, store_callback<std::optional<message_record>> cb) {
  on_strand(s_, [s = s_, id = std::move(id), cb = std::move(cb)]() mutable {
    s->conn->command_on_strand({"HGETALL", s->msg_key(id)}, [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
      fail_or<std::optional<message_record>>(cb, ec, v, [&]() -> std::optional<message_record> {
        if (v.elements.empty()) return std::nullopt;
        return s->message_from(to_map(v));
      });
    });
  });
}

void redis_store::set_status(status_update u, store_callback<status_result> cb) {
  on_strand(s_, [s = s_, u = std::move(u), cb = std::move(cb)]() mutable {
    std::int64_t expires = u.correlation_expires_at_ms ? u.correlation_expires_at_ms : u.at_ms + 7LL * 86400 * 1000;
    s->eval(script::set_status, {s->msg_key(u.message_id)},
            {std::string(to_string(u.status)), u.carrier_message_id, u.error, num(u.at_ms), s->corr_prefix(), num(expires),
             u.message_id},
            [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.elements.size() < 3) ec = store_errc::io_error;
              fail_or<status_result>(cb, ec, v, [&] {
                status_result r;
                r.found = v.elements[0].integer == 1;
                r.applied = v.elements[1].integer == 1;
                r.current = parse_message_status(v.elements[2].str).value_or(message_status::queued);
                return r;
              });
            });
  });
}

void redis_store::correlate(std::string carrier, std::string carrier_message_id, std::int64_t,
                            store_callback<std::optional<std::string>> cb) {
  on_strand(s_, [s = s_, carrier = std::move(carrier), cmid = std::move(carrier_message_id), cb = std::move(cb)]() mutable {
    s->conn->command_on_strand({"GET", s->corr_prefix() + "{" + carrier + "}:" + cmid},
                               [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
                                 fail_or<std::optional<std::string>>(cb, ec, v, [&]() -> std::optional<std::string> {
                                   if (v.is_nil()) return std::nullopt;
                                   return v.str;
                                 });
                               });
  });
}

void redis_store::idempotency_get(std::string key, std::int64_t now_ms,
                                  store_callback<std::optional<idempotency_record>> cb) {
  on_strand(s_, [s = s_, key = std::move(key), now_ms, cb = std::move(cb)]() mutable {
    s->conn->command_on_strand(
        {"HMGET", s->idem_key(key), "hash", "mid", "resp", "cr", "exp"},
        [key, now_ms, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
          fail_or<std::optional<idempotency_record>>(cb, ec, v, [&]() -> std::optional<idempotency_record> {
            if (v.elements.size() < 5 || v.elements[0].is_nil()) return std::nullopt;
            idempotency_record r{key, v.elements[0].str, v.elements[1].str, v.elements[2].str,
                                 to_i64(v.elements[3].str), to_i64(v.elements[4].str)};
            if (r.expires_at_ms <= now_ms) return std::nullopt;
            return r;
          });
        });
  });
}

void redis_store::idempotency_put(idempotency_record rec, std::int64_t now_ms, store_callback<idempotency_record> cb) {
  on_strand(s_, [s = s_, rec = std::move(rec), now_ms, cb = std::move(cb)]() mutable {
    if (rec.created_at_ms == 0) rec.created_at_ms = now_ms;
    if (rec.expires_at_ms == 0) rec.expires_at_ms = now_ms + 24LL * 3600 * 1000;
    s->eval(script::idempotency_put, {s->idem_key(rec.key)},
            {rec.request_hash, rec.message_id, rec.response, num(rec.created_at_ms), num(rec.expires_at_ms)},
            [key = rec.key, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.elements.size() < 5) ec = store_errc::io_error;
              fail_or<idempotency_record>(cb, ec, v, [&] {
                return idempotency_record{key, v.elements[0].str, v.elements[1].str, v.elements[2].str,
                                          to_i64(v.elements[3].str), to_i64(v.elements[4].str)};
              });
            });
  });
}

void redis_store::stats(std::string carrier, std::int64_t now_ms, store_callback<queue_stats> cb) {
  on_strand(s_, [s = s_, carrier = std::move(carrier), now_ms, cb = std::move(cb)]() mutable {
    s->eval(script::stats,
            {s->queue_key(carrier, "ready"), s->queue_key(carrier, "sched"), s->queue_key(carrier, "lease")},
            {num(now_ms), s->msg_prefix()}, [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.elements.size() < 4) ec = store_errc::io_error;
              fail_or<queue_stats>(cb, ec, v, [&] {
                return queue_stats{v.elements[0].integer, v.elements[1].integer, v.elements[2].integer,
                                   v.elements[3].integer};
              });
            });
  });
}

void redis_store::outbox_put(webhook_event ev, store_callback<done> cb) {
  on_strand(s_, [s = s_, ev = std::move(ev), cb = std::move(cb)]() mutable {
    s->outbox_write({"put", ev.event_id, ev.kind, ev.target, ev.body, num(ev.next_attempt_ms), num(ev.created_at_ms)},
                    [cb = std::move(cb)](std::error_code ec, long long) { cb(ec, done{}); });
  });
}

void redis_store::outbox_claim(int max, std::int64_t lease_ms, std::int64_t now_ms,
                               store_callback<std::vector<webhook_event>> cb) {
  on_strand(s_, [s = s_, max, lease_ms, now_ms, cb = std::move(cb)]() mutable {
    s->outbox_read("claim", now_ms, max, lease_ms, std::move(cb));
  });
}

void redis_store::outbox_ack(std::string event_id, std::string lease_id, store_callback<done> cb) {
  on_strand(s_, [s = s_, id = std::move(event_id), lease = std::move(lease_id), cb = std::move(cb)]() mutable {
    s->outbox_write({"ack", id, lease}, [cb = std::move(cb)](std::error_code ec, long long r) {
      if (!ec && r != 1) ec = store_errc::lease_lost;
      cb(ec, done{});
    });
  });
}

void redis_store::outbox_retry(std::string event_id, std::string lease_id, std::int64_t next_attempt_ms,
                               std::string error, bool dead, store_callback<done> cb) {
  on_strand(s_, [s = s_, id = std::move(event_id), lease = std::move(lease_id), next_attempt_ms,
                 error = std::move(error), dead, cb = std::move(cb)]() mutable {
    s->outbox_write({"retry", id, lease, num(next_attempt_ms), error, dead ? "1" : "0"},
                    [cb = std::move(cb)](std::error_code ec, long long r) {
                      if (!ec && r != 1) ec = store_errc::lease_lost;
                      cb(ec, done{});
                    });
  });
}

void redis_store::dead_letters(int max, store_callback<std::vector<webhook_event>> cb) {
  on_strand(s_, [s = s_, max, cb = std::move(cb)]() mutable { s->outbox_read("dead", 0, max, 0, std::move(cb)); });
}

void redis_store::replay_dead_letter(std::string event_id, std::int64_t now_ms, store_callback<bool> cb) {
  on_strand(s_, [s = s_, id = std::move(event_id), now_ms, cb = std::move(cb)]() mutable {
    s->outbox_write({"replay", id, num(now_ms)},
                    [cb = std::move(cb)](std::error_code ec, long long r) { cb(ec, !ec && r == 1); });
  });
}

void redis_store::health(store_callback<health_info> cb) {
  on_strand(s_, [s = s_, cb = std::move(cb)]() mutable {
    if (s->conn->current_state() != redis_connection::state::ready) {
      std::string why = s->conn->last_error().empty() ? "connecting to Redis" : s->conn->last_error();
      std::error_code ec = s->conn->current_state() == redis_connection::state::refused
                               ? make_error_code(store_errc::not_ready)
                               : make_error_code(store_errc::unavailable);
      asio::post(s->conn->strand(), [cb = std::move(cb), ec, why] { cb(ec, health_info{false, why}); });
      return;
    }
    s->conn->command_on_strand({"PING"}, [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
      if (!ec && (v.is_error() || v.str != "PONG")) ec = store_errc::io_error;
      if (ec) return cb(ec, health_info{false, "PING failed: " + ec.message()});
      cb({}, health_info{true, s->server_info});
    });
  });
}

}  // namespace policy
