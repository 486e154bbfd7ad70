// Operator tooling on Redis (issue 7): exports of suppressions and consents (SCAN pages),
// erasure of a number, and the retention purge of message records.

#include <algorithm>

#include "policy/hex.hpp"
#include "policy/redis_store_state.hpp"
#include "policy/separated_fields.hpp"

namespace policy {

namespace asio = boost::asio;
using namespace redis_detail;

namespace {

// SCAN MATCH pattern: the prefix taken literally, then `tail` (which may hold glob characters).
std::string glob_literal(std::string_view prefix, std::string_view tail) {
  std::string out;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  out.append(tail);
  return out;
}

// The number key inside "P{nk}:suffix".
std::string number_key_of(std::string_view key, std::size_t prefix_len) {
  if (key.size() <= prefix_len + 1) return {};
  auto close = key.find('}', prefix_len + 1);
  if (close == std::string_view::npos) return {};
  return std::string(key.substr(prefix_len + 1, close - prefix_len - 1));
}

// Iterates SCAN over message hashes and runs purge.lua on every page; on the strand.
struct message_sweep : std::enable_shared_from_this<message_sweep> {
  std::shared_ptr<redis_store::state> s;
  std::vector<std::string> args;  // purge.lua ARGV
  std::int64_t records = 0;
  std::int64_t bodies = 0;
  std::function<void(std::error_code, std::int64_t records, std::int64_t bodies)> done;

  void next(std::string cursor);
};

void message_sweep::next(std::string cursor) {
  auto self = shared_from_this();
  s->conn->command_on_strand(
      {"SCAN", cursor, "MATCH", glob_literal(s->msg_prefix(), "*"), "COUNT", "1000"},
      [self](std::error_code ec, redis_value v) {
        if (!ec && (v.is_error() || v.elements.size() != 2)) ec = store_errc::io_error;
        if (ec) return self->done(ec, 0, 0);
        std::string cursor = v.elements[0].str;
        std::vector<std::string> keys;
        for (auto& e : v.elements[1].elements) keys.push_back(std::move(e.str));
        auto after = [self, cursor](std::error_code ec2) {
          if (ec2) return self->done(ec2, 0, 0);
          if (cursor == "0") return self->done({}, self->records, self->bodies);
          self->next(cursor);
        };
        if (keys.empty()) return after({});
        self->s->eval(script::purge, std::move(keys), self->args, [self, after](std::error_code ec2, redis_value r) {
          if (!ec2 && (r.is_error() || r.elements.size() < 2)) ec2 = store_errc::io_error;
          if (!ec2) {
            self->records += r.elements[0].integer;
            self->bodies += r.elements[1].integer;
          }
          after(ec2);
        });
      });
}

}  // namespace

namespace {

// SCAN one page of "P{*}:<suffix>" keys, then HGETALL each (pipelined); `add` turns one hash into
// items.
template <class T>
void export_hashes(const std::shared_ptr<redis_store::state>& s, std::string cursor, int limit, const char* suffix,
                   std::function<void(const std::string& nk, const field_map&, std::vector<T>&)> add,
                   store_callback<export_page<T>> cb) {
  on_strand(s, [s, cursor = std::move(cursor), limit, suffix, add = std::move(add), cb = std::move(cb)]() mutable {
    s->conn->command_on_strand(
        {"SCAN", cursor.empty() ? "0" : cursor, "MATCH", glob_literal(s->opts.key_prefix, std::string("{*}:") + suffix),
         "COUNT", num(std::max(1, limit))},
        [s, add = std::move(add), cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
          if (!ec && (v.is_error() || v.elements.size() != 2)) ec = store_errc::io_error;
          if (ec) return cb(ec, {});
          struct agg {
            export_page<T> page;
            std::vector<std::pair<std::string, redis_value>> hashes;
            std::size_t remaining = 0;
            std::error_code ec;
          };
          auto a = std::make_shared<agg>();
          a->page.cursor = v.elements[0].str == "0" ? std::string() : v.elements[0].str;
          auto keys = std::move(v.elements[1].elements);
          if (keys.empty()) {
            asio::post(s->conn->strand(), [a, cb = std::move(cb)] { cb({}, std::move(a->page)); });
            return;
          }
          a->remaining = keys.size();
          a->hashes.resize(keys.size());
          auto shared_cb = std::make_shared<store_callback<export_page<T>>>(std::move(cb));
          auto shared_add = std::make_shared<decltype(add)>(std::move(add));
          for (std::size_t i = 0; i < keys.size(); ++i) {
            a->hashes[i].first = number_key_of(keys[i].str, s->opts.key_prefix.size());
            s->conn->command_on_strand({"HGETALL", keys[i].str}, [a, i, shared_cb, shared_add](std::error_code e,
                                                                                                redis_value h) {
              if (!e && h.is_error()) e = store_errc::io_error;
              if (e && !a->ec) a->ec = e;
              a->hashes[i].second = std::move(h);
              if (--a->remaining > 0) return;
              if (a->ec) return (*shared_cb)(a->ec, {});
              for (const auto& [nk, hv] : a->hashes) (*shared_add)(nk, to_map(hv), a->page.items);
              (*shared_cb)({}, std::move(a->page));
            });
          }
        });
  });
}

}  // namespace

void redis_store::export_suppressions(std::string cursor, int limit,
                                      store_callback<export_page<suppression_record>> cb) {
  // SCAN over the buckets (a page holds every number of the buckets it visits), HGETALL of each
  // bucket and of the sender ids, pipelined.
  on_strand(s_, [s = s_, cursor = std::move(cursor), limit, cb = std::move(cb)]() mutable {
    s->conn->command_on_strand(
        {"SCAN", cursor.empty() ? "0" : cursor, "MATCH",
         glob_literal(s->sup_prefix(), "[0-9a-f][0-9a-f][0-9a-f][0-9a-f]"), "COUNT", num(std::max(1, limit))},
        [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
          if (!ec && (v.is_error() || v.elements.size() != 2)) ec = store_errc::io_error;
          if (ec) return cb(ec, {});
          struct agg {
            export_page<suppression_record> page;
            std::vector<std::string> buckets;
            std::vector<redis_value> contents;
            redis_value ids;
            std::size_t remaining = 0;
            std::error_code ec;
            store_callback<export_page<suppression_record>> cb;
          };
          auto a = std::make_shared<agg>();
          a->cb = std::move(cb);
          a->page.cursor = v.elements[0].str == "0" ? std::string() : v.elements[0].str;
          for (auto& k : v.elements[1].elements) a->buckets.push_back(std::move(k.str));
          if (a->buckets.empty()) {
            asio::post(s->conn->strand(), [a] { a->cb({}, std::move(a->page)); });
            return;
          }
          a->contents.resize(a->buckets.size());
          a->remaining = a->buckets.size() + 1;
          auto finish = [s, a] {
            if (a->ec) return a->cb(a->ec, {});
            std::unordered_map<std::string, std::string> names;
            for (std::size_t i = 0; i + 1 < a->ids.elements.size(); i += 2)
              names[a->ids.elements[i].str] = a->ids.elements[i + 1].str;
            const std::size_t tail_at = s->sup_prefix().size();
            for (std::size_t b = 0; b < a->buckets.size(); ++b) {
              const std::string head = a->buckets[b].substr(tail_at);
              const auto& els = a->contents[b].elements;
              for (std::size_t i = 0; i + 1 < els.size(); i += 2) {
                const std::string& field = els[i].str;
                if (field.size() < suffix_bytes) continue;
                std::string sender;
                if (field.size() > suffix_bytes) {
                  auto it = names.find(field.substr(suffix_bytes));
                  sender = it == names.end() ? "?" + to_hex(field.substr(suffix_bytes)) : it->second;
                }
                a->page.items.push_back(
                    s->sup_from(head + to_hex(std::string_view(field).substr(0, suffix_bytes)), sender, els[i + 1].str));
              }
            }
            a->cb({}, std::move(a->page));
          };
          auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
          auto part = [a, shared_finish](redis_value* slot) {
            return [a, shared_finish, slot](std::error_code e, redis_value h) {
              if (!e && h.is_error()) e = store_errc::io_error;
              if (e && !a->ec) a->ec = e;
              *slot = std::move(h);
              if (--a->remaining == 0) (*shared_finish)();
            };
          };
          s->conn->command_on_strand({"HGETALL", s->sup_ids()}, part(&a->ids));
          for (std::size_t i = 0; i < a->buckets.size(); ++i)
            s->conn->command_on_strand({"HGETALL", a->buckets[i]}, part(&a->contents[i]));
        });
  });
}

void redis_store::export_consents(std::string cursor, int limit, store_callback<export_page<consent_record>> cb) {
  auto s = s_;
  export_hashes<consent_record>(
      s_, std::move(cursor), limit, "con",
      [s](const std::string& nk, const field_map& m, std::vector<consent_record>& out) {
        std::vector<consent_record> recs;
        for (const auto& [field, val] : m) {
          auto k = split_fields(field, 2);
          auto p = split_fields(val, 4);
          recs.push_back({nk, s->unseal(p[3]), k[0], k[1], p[0], p[1], to_i64(p[2])});
        }
        std::sort(recs.begin(), recs.end(), [](const auto& x, const auto& y) {
          return std::tie(x.category, x.sender) < std::tie(y.category, y.sender);
        });
        for (auto& r : recs) out.push_back(std::move(r));
      },
      std::move(cb));
}

void redis_store::erase_number(std::string number_key, std::string source, std::int64_t at_ms,
                               store_callback<erase_result> cb) {
  on_strand(s_, [s = s_, nk = std::move(number_key), source = std::move(source), at_ms, cb = std::move(cb)]() mutable {
    auto loc = locate(nk);
    if (!loc) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb(store_errc::invalid_argument, erase_result{}); });
      return;
    }
    s->eval(script::erase, {s->sup_bucket(*loc), s->num_key(nk, "con"), s->num_key(nk, "ledger")},
            {loc->suffix, pack_sup_value("erased", source, at_ms, "")},
            [s, nk, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && (v.is_error() || v.elements.size() < 3)) ec = store_errc::io_error;
              if (ec) return cb(ec, {});
              erase_result r;
              r.consents = v.elements[0].integer;
              r.ledger_entries = v.elements[1].integer;
              r.suppressions = v.elements[2].integer;
              // Message records: no index by number, so every message hash is scanned (docs/stores.md).
              auto sweep = std::make_shared<message_sweep>();
              sweep->s = s;
              sweep->args = {"erase", nk, "0", "0", "0"};
              sweep->done = [r, cb = std::move(cb)](std::error_code e, std::int64_t records, std::int64_t) mutable {
                if (e) return cb(e, {});
                r.messages = records;
                cb({}, r);
              };
              sweep->next("0");
            });
  });
}

void redis_store::purge(purge_request req, store_callback<purge_result> cb) {
  on_strand(s_, [s = s_, req, cb = std::move(cb)]() mutable {
    // Idempotency keys, receipt correlations and cap sets carry their own expiry in Redis.
    auto sweep = std::make_shared<message_sweep>();
    sweep->s = s;
    sweep->args = {"purge", "", num(req.bodies_final_before_ms), num(req.records_final_before_ms),
                   req.dry_run ? "1" : "0"};
    sweep->done = [cb = std::move(cb)](std::error_code e, std::int64_t records, std::int64_t bodies) mutable {
      if (e) return cb(e, {});
      purge_result r;
      r.records = records;
      r.bodies = bodies;
      cb({}, r);
    };
    sweep->next("0");
  });
}

}  // namespace policy
