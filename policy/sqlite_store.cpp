// The SQLite store: open(), numbers (suppressions, consents), idempotency keys, the webhook
// outbox and health. Each operation queues a job for the writer thread (sqlite_writer.cpp); the
// other operations are in sqlite_store_admit.cpp, sqlite_store_queue.cpp and
// sqlite_store_tooling.cpp.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/sqlite_store_state.hpp"

namespace policy {

using sqlite_detail::query;

sqlite_store::sqlite_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
sqlite_store::~sqlite_store() = default;

sqlite_store::open_result sqlite_store::open(sqlite_options opts) {
  open_result r;
  if (!opts.secrets) {
    r.ec = store_errc::invalid_argument;
    r.error = "sqlite store: number secrets are required";
    return r;
  }
  auto i = std::make_unique<impl>(std::move(opts));
  std::string err = i->open_db();
  if (!err.empty()) {
    r.ec = err.find("newer than this build") != std::string::npos ? make_error_code(store_errc::corrupt)
                                                                    : make_error_code(store_errc::unavailable);
    r.error = std::move(err);
    return r;
  }
  r.store.reset(new sqlite_store(std::move(i)));
  return r;
}

bool sqlite_store::impl::suppressed(const std::string& number_key, const std::string& sender, opt_out_scope scope) {
  if (scope == opt_out_scope::global) {
    query q = prepare("SELECT 1 FROM suppressions WHERE number_key=? LIMIT 1");
    q.bind(1, number_key);
    return q.step();
  }
  query q = prepare("SELECT 1 FROM suppressions WHERE number_key=? AND sender IN ('', ?) LIMIT 1");
  q.bind(1, number_key).bind(2, sender);
  return q.step();
}

void sqlite_store::suppress(suppression_record rec, store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    (void)ec;
    query q = s.prepare(
        "INSERT OR IGNORE INTO suppressions(number_key, sender, reason, source, at_ms, e164_sealed) "
        "VALUES (?,?,?,?,?,?)");
    q.bind(1, rec.number_key).bind(2, rec.sender).bind(3, rec.reason).bind(4, rec.source).bind(5, rec.at_ms);
    q.bind(6, s.seal(rec.e164));
    q.run();
    return done{};
  });
}

void sqlite_store::unsuppress(std::string number_key, std::string sender, store_callback<bool> cb) {
  SMSGW_SUBMIT(bool, cb, {
    (void)ec;
    query q = s.prepare("DELETE FROM suppressions WHERE number_key=? AND sender=?");
    q.bind(1, number_key).bind(2, sender);
    q.run();
    return s.changes() > 0;
  });
}

void sqlite_store::is_suppressed(std::string number_key, std::string sender, opt_out_scope scope,
                                 store_callback<bool> cb) {
  SMSGW_SUBMIT(bool, cb, {
    (void)ec;
    return s.suppressed(number_key, sender, scope);
  });
}

void sqlite_store::grant_consent(consent_record rec, store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    (void)ec;
    std::string sealed = s.seal(rec.e164);
    {
      query q = s.prepare(
          "INSERT OR REPLACE INTO consents(number_key, category, sender, source, evidence, at_ms, e164_sealed) "
          "VALUES (?,?,?,?,?,?,?)");
      q.bind(1, rec.number_key).bind(2, rec.category).bind(3, rec.sender).bind(4, rec.source);
      q.bind(5, rec.evidence).bind(6, rec.at_ms).bind(7, sealed);
      q.run();
    }
    query q = s.prepare(
        "INSERT INTO consent_ledger(number_key, category, sender, granted, source, evidence, at_ms, e164_sealed) "
        "VALUES (?,?,?,1,?,?,?,?)");
    q.bind(1, rec.number_key).bind(2, rec.category).bind(3, rec.sender).bind(4, rec.source);
    q.bind(5, rec.evidence).bind(6, rec.at_ms).bind(7, sealed);
    q.run();
    return done{};
  });
}

void sqlite_store::revoke_consent(consent_record rec, store_callback<bool> cb) {
  SMSGW_SUBMIT(bool, cb, {
    (void)ec;
    bool removed;
    {
      query q = s.prepare("DELETE FROM consents WHERE number_key=? AND category=? AND sender=?");
      q.bind(1, rec.number_key).bind(2, rec.category).bind(3, rec.sender);
      q.run();
      removed = s.changes() > 0;
    }
    query q = s.prepare(
        "INSERT INTO consent_ledger(number_key, category, sender, granted, source, evidence, at_ms, e164_sealed) "
        "VALUES (?,?,?,0,?,?,?,?)");
    q.bind(1, rec.number_key).bind(2, rec.category).bind(3, rec.sender).bind(4, rec.source);
    q.bind(5, rec.evidence).bind(6, rec.at_ms).bind(7, s.seal(rec.e164));
    q.run();
    return removed;
  });
}

void sqlite_store::lookup_number(std::string number_key, store_callback<number_facts> cb) {
  SMSGW_SUBMIT(number_facts, cb, {
    (void)ec;
    number_facts f;
    {
      query q = s.prepare(
          "SELECT sender, reason, source, at_ms, e164_sealed FROM suppressions WHERE number_key=? ORDER BY sender");
      q.bind(1, number_key);
      while (q.step()) {
        f.suppressions.push_back({number_key, s.unseal(q.str(4)), q.str(0), q.str(1), q.str(2), q.i64(3)});
      }
    }
    {
      query q = s.prepare(
          "SELECT category, sender, source, evidence, at_ms, e164_sealed FROM consents WHERE number_key=? "
          "ORDER BY category, sender");
      q.bind(1, number_key);
      while (q.step()) {
        f.consents.push_back({number_key, s.unseal(q.str(5)), q.str(0), q.str(1), q.str(2), q.str(3), q.i64(4)});
      }
    }
    query q = s.prepare(
        "SELECT granted, category, sender, source, evidence, at_ms, e164_sealed FROM consent_ledger "
        "WHERE number_key=? ORDER BY seq");
    q.bind(1, number_key);
    while (q.step()) {
      f.ledger.push_back(
          {q.i64(0) != 0, {number_key, s.unseal(q.str(6)), q.str(1), q.str(2), q.str(3), q.str(4), q.i64(5)}});
    }
    return f;
  });
}

void sqlite_store::idempotency_get(std::string key, std::int64_t now_ms,
                                   store_callback<std::optional<idempotency_record>> cb) {
  SMSGW_SUBMIT(std::optional<idempotency_record>, cb, {
    (void)ec;
    query q = s.prepare(
        "SELECT request_hash, message_id, response, created_ms, expires_ms FROM idempotency WHERE key=? AND expires_ms>?");
    q.bind(1, key).bind(2, now_ms);
    if (!q.step()) return std::optional<idempotency_record>();
    return std::optional<idempotency_record>(idempotency_record{key, q.str(0), q.str(1), q.str(2), q.i64(3), q.i64(4)});
  });
}

void sqlite_store::idempotency_put(idempotency_record rec, std::int64_t now_ms, store_callback<idempotency_record> cb) {
  SMSGW_SUBMIT(idempotency_record, cb, {
    (void)ec;
    std::optional<idempotency_record> cur;
    {
      query q = s.prepare(
          "SELECT request_hash, message_id, response, created_ms, expires_ms FROM idempotency WHERE key=? AND expires_ms>?");
      q.bind(1, rec.key).bind(2, now_ms);
      if (q.step()) cur = idempotency_record{rec.key, q.str(0), q.str(1), q.str(2), q.i64(3), q.i64(4)};
    }
    if (cur) {
      if (cur->request_hash != rec.request_hash || !cur->response.empty() || rec.response.empty()) return *cur;
      cur->response = rec.response;
      if (cur->message_id.empty()) cur->message_id = rec.message_id;
      query q = s.prepare("UPDATE idempotency SET response=?, message_id=? WHERE key=?");
      q.bind(1, cur->response).bind(2, cur->message_id).bind(3, rec.key);
      q.run();
      return *cur;
    }
    if (rec.created_at_ms == 0) rec.created_at_ms = now_ms;
    if (rec.expires_at_ms == 0) rec.expires_at_ms = now_ms + 24LL * 3600 * 1000;
    query q = s.prepare(
        "INSERT OR REPLACE INTO idempotency(key, request_hash, message_id, response, created_ms, expires_ms) "
        "VALUES (?,?,?,?,?,?)");
    q.bind(1, rec.key).bind(2, rec.request_hash).bind(3, rec.message_id).bind(4, rec.response);
    q.bind(5, rec.created_at_ms).bind(6, rec.expires_at_ms);
    q.run();
    return rec;
  });
}

// Outbox put, idempotent on event_id.
void sqlite_store::impl::put_event(const webhook_event& ev) {
  query q = prepare(
      "INSERT OR IGNORE INTO webhook_outbox(event_id, kind, target, body, attempts, next_attempt_ms, created_ms) "
      "VALUES (?,?,?,?,0,?,?)");
  q.bind(1, ev.event_id).bind(2, ev.kind).bind(3, ev.target).bind(4, ev.body).bind(5, ev.next_attempt_ms);
  q.bind(6, ev.created_at_ms);
  q.run();
}

namespace {

#define SMSGW_WH_COLS "event_id, kind, target, body, attempts, next_attempt_ms, created_ms, last_error, lease_id"

webhook_event read_event(const query& q) {
  return {q.str(0), q.str(1), q.str(2), q.str(3), static_cast<int>(q.i64(4)), q.i64(5), q.i64(6), q.str(7), q.str(8)};
}

}  // namespace

void sqlite_store::outbox_put(webhook_event ev, store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    (void)ec;
    s.put_event(ev);
    return done{};
  });
}

void sqlite_store::outbox_claim(int max, std::int64_t lease_ms, std::int64_t now_ms,
                                store_callback<std::vector<webhook_event>> cb) {
  SMSGW_SUBMIT(std::vector<webhook_event>, cb, {
    (void)ec;
    std::vector<webhook_event> out;
    {
      query q = s.prepare("SELECT " SMSGW_WH_COLS
                          " FROM webhook_outbox WHERE dead=0 AND next_attempt_ms<=? ORDER BY next_attempt_ms, "
                          "created_ms LIMIT ?");
      q.bind(1, now_ms).bind(2, std::max(0, max));
      while (q.step()) out.push_back(read_event(q));
    }
    for (auto& e : out) {
      e.lease_id = s.new_lease_id();
      query q = s.prepare("UPDATE webhook_outbox SET next_attempt_ms=?, lease_id=? WHERE event_id=?");
      q.bind(1, now_ms + lease_ms).bind(2, e.lease_id).bind(3, e.event_id);
      q.run();
    }
    return out;
  });
}

void sqlite_store::outbox_ack(std::string event_id, std::string lease_id, store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    query q = s.prepare("DELETE FROM webhook_outbox WHERE event_id=? AND lease_id=? AND dead=0");
    q.bind(1, event_id).bind(2, lease_id);
    q.run();
    if (s.changes() == 0) ec = store_errc::lease_lost;
    return done{};
  });
}

void sqlite_store::outbox_retry(std::string event_id, std::string lease_id, std::int64_t next_attempt_ms,
                                std::string error, bool dead, store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    query q = s.prepare(
        "UPDATE webhook_outbox SET attempts=attempts+1, last_error=?, next_attempt_ms=?, lease_id='', dead=?, "
        "dead_ms=? WHERE event_id=? AND lease_id=? AND dead=0");
    q.bind(1, error).bind(2, next_attempt_ms).bind(3, dead ? 1 : 0).bind(4, dead ? next_attempt_ms : 0);
    q.bind(5, event_id).bind(6, lease_id);
    q.run();
    if (s.changes() == 0) ec = store_errc::lease_lost;
    return done{};
  });
}

void sqlite_store::dead_letters(int max, store_callback<std::vector<webhook_event>> cb) {
  SMSGW_SUBMIT(std::vector<webhook_event>, cb, {
    (void)ec;
    std::vector<webhook_event> out;
    query q = s.prepare("SELECT " SMSGW_WH_COLS " FROM webhook_outbox WHERE dead=1 ORDER BY dead_ms, created_ms LIMIT ?");
    q.bind(1, std::max(0, max));
    while (q.step()) out.push_back(read_event(q));
    return out;
  });
}

void sqlite_store::replay_dead_letter(std::string event_id, std::int64_t now_ms, store_callback<bool> cb) {
  SMSGW_SUBMIT(bool, cb, {
    (void)ec;
    query q = s.prepare(
        "UPDATE webhook_outbox SET dead=0, dead_ms=0, attempts=0, next_attempt_ms=?, lease_id='' "
        "WHERE event_id=? AND dead=1");
    q.bind(1, now_ms).bind(2, event_id);
    q.run();
    return s.changes() > 0;
  });
}

void sqlite_store::health(store_callback<health_info> cb) {
  SMSGW_SUBMIT(health_info, cb, {
    int v = s.user_version();
    if (v != sqlite_store::schema_version) {
      ec = store_errc::corrupt;
      return health_info{};
    }
    return health_info{true, s.health_detail()};
  });
}

}  // namespace policy
