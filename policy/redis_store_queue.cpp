// The carrier worker's side of the Redis queue (docs/stores.md, "Queue", "Leases"): claim.lua
// plus one HGETALL per claimed entry, complete.lua in calls of up to 64 items, release.lua for
// ack, nack and reschedule.

#include <algorithm>

#include "policy/redis_store_state.hpp"

namespace policy {

namespace asio = boost::asio;
using namespace redis_detail;

void redis_store::claim(claim_request req, store_callback<claim_result> cb) {
  on_strand(s_, [s = s_, req = std::move(req), cb = std::move(cb)]() mutable {
    s->eval(script::claim,
            {s->queue_key(req.carrier, "ready"), s->queue_key(req.carrier, "sched"), s->queue_key(req.carrier, "lease")},
            {num(req.now_ms), num(req.max), num(req.lease_ms), s->msg_prefix(), s->sup_prefix(), s->sup_senders(),
             num(req.now_ms + req.lease_ms)},
            [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              // claim.lua answers per entry the message id and 4 x its delivery count + 2 x the
              // lost flag + the suppressed flag; the lease id is 'd' + that count (docs/stores.md,
              // "Queue").
              // Each leased hash is then read with one HGETALL, all pipelined in this strand turn
              // (read outside the script, its fields are converted once instead of twice). If a
              // read fails, the whole claim fails, as when the script's reply is lost: its leases
              // expire and the entries are claimed again (counted as a redelivery).
              if (!ec && v.is_error()) ec = store_errc::io_error;
              if (ec) return cb(ec, claim_result{});
              if (v.elements.size() < 2) return cb({}, claim_result{});
              struct gather {
                claim_result out;
                std::vector<bool> present;
                std::size_t remaining = 0;
                std::error_code ec;
                store_callback<claim_result> cb;
              };
              auto g = std::make_shared<gather>();
              const std::size_t n = v.elements.size() / 2;
              g->out.entries.resize(n);
              g->present.assign(n, false);
              g->remaining = n;
              g->cb = std::move(cb);
              for (std::size_t i = 0; i < n; ++i) {
                auto& q = g->out.entries[i];
                q.message.id = std::move(v.elements[2 * i].str);
                const long long x = v.elements[2 * i + 1].integer;
                q.deliveries = static_cast<int>(x / 4);
                q.lease_id = "d" + std::to_string(x / 4);
                q.lease_lost = (x & 2) != 0;
                q.suppressed = (x & 1) != 0;
                auto read = [s, g, i](std::error_code e, redis_value h) {
                  if (!e && h.is_error()) e = store_errc::io_error;
                  if (e) {
                    if (!g->ec) g->ec = e;
                  } else if (!h.elements.empty()) {
                    // Empty: the hash was purged since the claim; its lease expires unused.
                    auto f = to_map(h);
                    auto& q = g->out.entries[i];
                    q.message = s->message_from(f);
                    g->present[i] = true;
                  }
                  if (--g->remaining > 0) return;
                  auto cb = std::move(g->cb);
                  if (g->ec) return cb(g->ec, claim_result{});
                  claim_result out;
                  out.entries.reserve(g->out.entries.size());
                  for (std::size_t j = 0; j < g->out.entries.size(); ++j) {
                    if (g->present[j]) out.entries.push_back(std::move(g->out.entries[j]));
                  }
                  cb({}, std::move(out));
                };
                s->conn->command_on_strand({"HGETALL", s->msg_key(q.message.id)}, std::move(read));
              }
            });
  });
}

void redis_store::complete(std::vector<completion> items, store_callback<std::vector<completion_result>> cb) {
  on_strand(s_, [s = s_, items = std::move(items), cb = std::move(cb)]() mutable {
    if (items.empty()) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb({}, {}); });
      return;
    }
    // One EVALSHA of complete.lua per max_completions_per_call items; the results are gathered
    // in order and the callback runs once, after the last reply (an error in any call fails the
    // whole: the caller's leases then expire and the messages are claimed again).
    constexpr std::size_t max_completions_per_call = 64;
    struct gather {
      std::vector<completion_result> results;
      std::size_t remaining = 0;
      std::error_code ec;
      store_callback<std::vector<completion_result>> cb;
    };
    auto g = std::make_shared<gather>();
    g->results.resize(items.size());
    g->remaining = (items.size() + max_completions_per_call - 1) / max_completions_per_call;
    g->cb = std::move(cb);
    for (std::size_t first = 0; first < items.size(); first += max_completions_per_call) {
      const std::size_t n = std::min(max_completions_per_call, items.size() - first);
      std::vector<std::string> keys;
      std::vector<std::string> args;
      // Per item 2 keys and 8 arguments, 1 key and 6 arguments more with an event (complete.lua).
      keys.reserve(1 + 3 * n);
      args.reserve(2 + 14 * n);
      keys.push_back(s->wh_key("pending"));
      args.push_back(num(static_cast<std::int64_t>(n)));
      args.push_back(s->corr_prefix());
      for (std::size_t i = first; i < first + n; ++i) {
        auto& c = items[i];
        const auto& u = c.update;
        const std::int64_t expires = u.correlation_expires_at_ms ? u.correlation_expires_at_ms : u.at_ms + 7LL * 86400 * 1000;
        keys.push_back(s->queue_key(c.carrier, "lease"));
        keys.push_back(s->msg_key(u.message_id));
        if (c.event) keys.push_back(s->wh_event_key(c.event->event_id));
        args.push_back(u.message_id);
        args.push_back(std::move(c.lease_id));
        args.push_back(std::string(to_string(u.status)));
        args.push_back(u.carrier_message_id);
        args.push_back(u.error);
        args.push_back(num(u.at_ms));
        args.push_back(num(expires));
        if (c.event) {
          auto& ev = *c.event;
          args.push_back("1");
          args.push_back(ev.event_id);
          args.push_back(std::move(ev.kind));
          args.push_back(std::move(ev.target));
          args.push_back(std::move(ev.body));
          args.push_back(num(ev.next_attempt_ms));
          args.push_back(num(ev.created_at_ms));
        } else {
          args.push_back("0");
        }
      }
      s->eval(script::complete, std::move(keys), std::move(args), [g, first, n](std::error_code ec, redis_value v) {
        // complete.lua answers one integer per item: found 1 + applied 2 + event stored 4 +
        // released 8 + 16 x (1 + the current status' enumerator; 0: none or unknown).
        if (!ec && (v.is_error() || v.elements.size() != n)) ec = store_errc::io_error;
        if (ec) {
          if (!g->ec) g->ec = ec;
        } else {
          // The codes of complete.lua: the enumerators in this order (queued 1 ... failed 8).
          static_assert(static_cast<int>(message_status::queued) == 0 &&
                        static_cast<int>(message_status::scheduled) == 1 &&
                        static_cast<int>(message_status::submitted) == 2 &&
                        static_cast<int>(message_status::failed) == 7);
          constexpr long long statuses = static_cast<long long>(message_status::failed) + 1;
          for (std::size_t i = 0; i < n; ++i) {
            const long long x = v.elements[i].integer;
            auto& r = g->results[first + i];
            r.found = (x & 1) != 0;
            r.applied = (x & 2) != 0;
            r.event_stored = (x & 4) != 0;
            r.released = (x & 8) != 0;
            const long long status = x >> 4;
            r.current = status >= 1 && status <= statuses ? static_cast<message_status>(status - 1)
                                                          : message_status::queued;
          }
        }
        if (--g->remaining > 0) return;
        auto cb = std::move(g->cb);
        if (g->ec) return cb(g->ec, {});
        cb({}, std::move(g->results));
      });
    }
  });
}

namespace {

void release(const std::shared_ptr<redis_store::state>& s, std::string carrier, std::string id, std::string lease,
             const char* mode, std::int64_t at, std::string error, store_callback<done> cb) {
  on_strand(s, [s, carrier = std::move(carrier), id = std::move(id), lease = std::move(lease), mode, at,
                error = std::move(error), cb = std::move(cb)]() mutable {
    s->eval(script::release, {s->queue_key(carrier, "lease"), s->queue_key(carrier, "sched"), s->msg_key(id)},
            {id, lease, mode, num(at), error}, [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.is_error()) ec = store_errc::io_error;
              if (!ec && v.integer != 1) ec = store_errc::lease_lost;
              cb(ec, done{});
            });
  });
}

}  // namespace

void redis_store::ack(std::string carrier, std::string message_id, std::string lease_id, store_callback<done> cb) {
  release(s_, std::move(carrier), std::move(message_id), std::move(lease_id), "ack", 0, {}, std::move(cb));
}

void redis_store::nack(std::string carrier, std::string message_id, std::string lease_id, std::int64_t retry_at_ms,
                       std::string error, store_callback<done> cb) {
  release(s_, std::move(carrier), std::move(message_id), std::move(lease_id), "nack", retry_at_ms, std::move(error),
          std::move(cb));
}

void redis_store::reschedule(std::string carrier, std::string message_id, std::string lease_id, std::int64_t at_ms,
                             store_callback<done> cb) {
  release(s_, std::move(carrier), std::move(message_id), std::move(lease_id), "reschedule", at_ms, {}, std::move(cb));
}

}  // namespace policy
