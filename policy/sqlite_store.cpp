// The SQLite store's operations: each queues a job for the writer thread (sqlite_writer.cpp).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/separated_fields.hpp"
#include "policy/sqlite_store_state.hpp"

namespace policy {

using sqlite_detail::query;
using sqlite_detail::sql_failure;
using sqlite_detail::typed_job;

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

namespace {

std::string_view scope_name(opt_out_scope s) { return s == opt_out_scope::global ? "global" : "sender"; }

}  // namespace

// One admission. `r.message.e164` is already sealed (admit() seals on the caller's thread).
// Statements: one lookup (idempotency key, suppressions, consents and the cap events of the
// number and category, decided here in rule order), then the inserts of an accepted message
// (cap event, message, queue entry, idempotency key); expired cap events are deleted only when
// the lookup saw some.
admit_result sqlite_store::impl::admit_one(const admit_request& r) {
  admit_result res;
  const auto& m = r.message;
  std::int64_t longest = 0;  // the longest window of the rules that apply (0: no cap applies)
  for (const auto& c : r.caps) {
    if (c.per_campaign && r.campaign.empty()) continue;
    longest = std::max(longest, c.window_seconds * 1000);
  }
  const bool caps_apply = longest > 0;  // the cap events are read, and one is recorded
  // Cap events in the window of each applicable rule, counted from the rows of the lookup.
  std::int64_t few[8] = {};
  std::vector<std::int64_t> many;
  if (r.caps.size() > std::size(few)) many.resize(r.caps.size());
  std::int64_t* counts = many.empty() ? few : many.data();
  bool duplicate = false, opted_out = false, consent_found = false, expired = false;
  const bool per_campaign = !r.campaign.empty() && std::any_of(r.caps.begin(), r.caps.end(), [](const cap_rule& c) {
    return c.per_campaign;
  });
#define SMSGW_ADMIT_LOOKUP(CAMPAIGN)                                                                     \
  "SELECT 0, request_hash, message_id FROM idempotency WHERE ?1 AND key=?2 AND expires_ms>?3 "            \
  "UNION ALL SELECT 1, NULL, NULL FROM suppressions WHERE number_key=?4 AND (?5 OR sender IN ('', ?6)) " \
  "UNION ALL SELECT 2, NULL, NULL FROM consents WHERE ?7 AND number_key=?4 AND category=?8 "             \
  "AND (?9=0 OR sender IN ('', ?6)) "                                                                     \
  "UNION ALL SELECT 3, at_ms, " CAMPAIGN " FROM cap_events WHERE ?10 AND number_key=?4 AND category=?8"
  {
    // Without a per-campaign rule the cap events come from the index alone (no table row).
    query q = prepare(per_campaign ? SMSGW_ADMIT_LOOKUP("campaign") : SMSGW_ADMIT_LOOKUP("NULL"));
#undef SMSGW_ADMIT_LOOKUP
    q.bind(1, r.idempotency_key.empty() ? 0 : 1).bind_static(2, r.idempotency_key).bind(3, r.now_ms);
    q.bind_static(4, m.number_key).bind(5, r.scope == opt_out_scope::global ? 1 : 0).bind_static(6, r.sender);
    q.bind(7, r.consent_required ? 1 : 0).bind_static(8, r.category).bind(9, r.consent_per_sender ? 1 : 0);
    q.bind(10, caps_apply ? 1 : 0);
    while (q.step()) {
      switch (q.i64(0)) {
        case 0:
          duplicate = true;
          res.existing_request_hash = q.str(1);
          res.existing_message_id = q.str(2);
          break;
        case 1:
          opted_out = true;
          break;
        case 2:
          consent_found = true;
          break;
        default: {
          const std::int64_t at = q.i64(1);
          if (at <= r.now_ms - longest) expired = true;
          std::string_view campaign;
          bool campaign_read = false;
          for (std::size_t i = 0; i < r.caps.size(); ++i) {
            const auto& c = r.caps[i];
            if (at <= r.now_ms - c.window_seconds * 1000) continue;
            if (c.per_campaign) {
              if (r.campaign.empty()) continue;
              if (!campaign_read) {
                campaign = q.view(2);
                campaign_read = true;
              }
              if (campaign != r.campaign) continue;
            }
            ++counts[i];
          }
        }
      }
    }
  }
  // Idempotency first: a replay must not be decided again.
  if (duplicate) {
    res.duplicate = true;
    return res;
  }
  if (opted_out) {
    res.refused = reason::recipient_opted_out;
    return res;
  }
  if (r.consent_required && !consent_found) {
    res.refused = reason::no_consent;
    return res;
  }
  for (std::size_t i = 0; i < r.caps.size(); ++i) {
    const auto& c = r.caps[i];
    if (c.per_campaign && r.campaign.empty()) continue;
    if (counts[i] >= c.max) {
      res.refused = reason::frequency_capped;
      return res;
    }
  }
  if (r.quiet.k == quiet_outcome::kind::reject) {
    res.refused = reason::quiet_hours;
    return res;
  }
  std::int64_t send_at = r.now_ms;
  if (m.send_at_ms > send_at) send_at = m.send_at_ms;
  if (r.quiet.k == quiet_outcome::kind::defer && r.quiet.defer_until_ms > send_at) send_at = r.quiet.defer_until_ms;
  res.status = send_at > r.now_ms ? message_status::scheduled : message_status::queued;
  res.send_at_ms = send_at;
  res.admitted = true;

  if (caps_apply) {
    if (expired) {
      query q = prepare("DELETE FROM cap_events WHERE number_key=? AND category=? AND at_ms<=?");
      q.bind_static(1, m.number_key).bind_static(2, r.category).bind(3, r.now_ms - longest);
      q.run();
    }
    query q = prepare("INSERT INTO cap_events(number_key, category, campaign, at_ms, message_id) VALUES (?,?,?,?,?)");
    q.bind_static(1, m.number_key).bind_static(2, r.category).bind_static(3, r.campaign).bind(4, r.now_ms);
    q.bind_static(5, m.id);
    q.run();
  }
  {
    query q = prepare("INSERT INTO messages(" SMSGW_MSG_COLS
                      ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'','',?,?,?,?,0,?,?)");
    q.bind_static(1, m.id).bind_static(2, m.number_key).bind_static(3, m.e164).bind_static(4, m.carrier);
    q.bind_static(5, m.sender).bind_static(6, m.text).bind_static(7, r.category).bind_static(8, r.campaign);
    q.bind_static(9, m.client_ref).bind(10, m.segments).bind_static(11, m.encoding);
    q.bind_static(12, to_string(res.status));
    q.bind(13, m.created_at_ms ? m.created_at_ms : r.now_ms).bind(14, r.now_ms).bind(15, send_at);
    q.bind(16, m.valid_until_ms).bind_static(17, scope_name(r.scope)).bind_static(18, m.api_key);
    q.run();
  }
  if (res.status == message_status::queued && r.lease_ms > 0) {
    // Direct hand-off: leased to the caller at once, as a claim leaves an entry.
    res.lease_id = new_lease_id();
    query q = prepare("INSERT INTO queue(message_id, carrier, due_ms, lease_id, deliveries) VALUES (?,?,?,?,1)");
    q.bind_static(1, m.id).bind_static(2, m.carrier).bind(3, r.now_ms + r.lease_ms).bind_static(4, res.lease_id);
    q.run();
  } else {
    query q = prepare("INSERT INTO queue(message_id, carrier, due_ms) VALUES (?,?,?)");
    q.bind_static(1, m.id).bind_static(2, m.carrier).bind(3, send_at);
    q.run();
  }
  if (!r.idempotency_key.empty()) {
    query q = prepare(
        "INSERT OR REPLACE INTO idempotency(key, request_hash, message_id, response, created_ms, expires_ms) "
        "VALUES (?,?,?,'',?,?)");
    q.bind_static(1, r.idempotency_key).bind_static(2, r.request_hash).bind_static(3, m.id).bind(4, r.now_ms);
    q.bind(5, r.now_ms + r.idempotency_ttl_ms);
    q.run();
  }
  return res;
}

void sqlite_store::admit(admit_request req, store_callback<admit_result> cb) {
  // Sealing (AES-GCM) on the caller's thread: the writer thread only runs SQL.
  req.message.e164 = impl_->seal(req.message.e164);
  SMSGW_SUBMIT(admit_result, cb, {
    (void)ec;
    return s.admit_one(req);
  });
}

void sqlite_store::admit_batch(std::vector<admit_request> reqs, store_callback<std::vector<admit_result>> cb) {
  for (auto& r : reqs) r.message.e164 = impl_->seal(r.message.e164);
  SMSGW_SUBMIT(std::vector<admit_result>, cb, {
    (void)ec;
    std::vector<admit_result> out;
    out.reserve(reqs.size());
    for (auto& r : reqs) out.push_back(s.admit_one(r));
    return out;
  });
}

// `open_e164` false: m.e164 stays sealed (claim() opens it where its completion runs).
message_record sqlite_store::impl::read_message(const query& q, bool open_e164) const {
  message_record m;
  m.id = q.str(0);
  m.number_key = q.str(1);
  m.e164 = open_e164 ? unseal(q.str(2)) : q.str(2);
  m.carrier = q.str(3);
  m.sender = q.str(4);
  m.text = q.str(5);
  m.category = q.str(6);
  m.campaign = q.str(7);
  m.client_ref = q.str(8);
  m.segments = static_cast<int>(q.i64(9));
  m.encoding = q.str(10);
  auto st = parse_message_status(q.str(11));
  if (!st) throw sql_failure("unknown message status " + q.str(11));
  m.status = *st;
  m.carrier_message_id = q.str(12);
  m.error = q.str(13);
  m.created_at_ms = q.i64(14);
  m.updated_at_ms = q.i64(15);
  m.send_at_ms = q.i64(16);
  m.valid_until_ms = q.i64(17);
  m.attempts = static_cast<int>(q.i64(18));
  m.scope = q.str(19) == "global" ? opt_out_scope::global : opt_out_scope::sender;
  m.api_key = q.str(20);
  return m;
}

std::optional<message_record> sqlite_store::impl::load_message(const std::string& id) {
  query q = prepare("SELECT " SMSGW_MSG_COLS " FROM messages WHERE id=?");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_message(q);
}

// Forward-only status move; `submitted` with a carrier id records the correlation.
// `carrier_hint` (complete(): the carrier whose lease the caller holds, the message's carrier) saves
// reading the row first: one UPDATE guarded by the ranks (store.cpp's status_rank; unknown
// text ranks as queued), and the row is read only when it changed nothing.
status_result sqlite_store::impl::apply_status(const status_update& u, const std::string* carrier_hint) {
  status_result r;
  if (carrier_hint) {
    {
      query q = prepare(
          "UPDATE messages SET status=?1, carrier_message_id=CASE WHEN ?2='' THEN carrier_message_id ELSE ?2 END, "
          "error=CASE WHEN ?3='' THEN error ELSE ?3 END, updated_ms=?4 WHERE id=?5 AND "
          "CASE status WHEN 'scheduled' THEN 0 WHEN 'queued' THEN 1 WHEN 'submitted' THEN 2 "
          "WHEN 'delivered' THEN 3 WHEN 'undeliverable' THEN 3 WHEN 'expired' THEN 3 WHEN 'rejected' THEN 3 "
          "WHEN 'failed' THEN 3 ELSE 1 END<?6");
      q.bind_static(1, to_string(u.status)).bind_static(2, u.carrier_message_id).bind_static(3, u.error);
      q.bind(4, u.at_ms).bind_static(5, u.message_id).bind(6, status_rank(u.status));
      q.run();
    }
    if (changes() == 0) {
      query q = prepare("SELECT status FROM messages WHERE id=?");
      q.bind_static(1, u.message_id);
      if (q.step()) {
        r.found = true;
        r.current = parse_message_status(q.view(0)).value_or(message_status::queued);
      }
      return r;
    }
    r.found = r.applied = true;
    r.current = u.status;
    record_correlation(u, *carrier_hint);
    return r;
  }
  std::string carrier;
  {
    query q = prepare("SELECT status, carrier FROM messages WHERE id=?");
    q.bind(1, u.message_id);
    if (!q.step()) return r;
    r.found = true;
    r.current = parse_message_status(q.str(0)).value_or(message_status::queued);
    carrier = q.str(1);
  }
  if (status_rank(u.status) <= status_rank(r.current)) return r;
  {
    query q = prepare(
        "UPDATE messages SET status=?, carrier_message_id=CASE WHEN ?='' THEN carrier_message_id ELSE ? END, "
        "error=CASE WHEN ?='' THEN error ELSE ? END, updated_ms=? WHERE id=?");
    q.bind(1, to_string(u.status)).bind(2, u.carrier_message_id).bind(3, u.carrier_message_id);
    q.bind(4, u.error).bind(5, u.error).bind(6, u.at_ms).bind(7, u.message_id);
    q.run();
  }
  record_correlation(u, carrier);
  r.applied = true;
  r.current = u.status;
  return r;
}

void sqlite_store::impl::record_correlation(const status_update& u, const std::string& carrier) {
  if (u.status != message_status::submitted || u.carrier_message_id.empty()) return;
  query q = prepare(
      "INSERT OR REPLACE INTO correlations(carrier, carrier_message_id, message_id, expires_ms) VALUES (?,?,?,?)");
  std::int64_t expires = u.correlation_expires_at_ms ? u.correlation_expires_at_ms : u.at_ms + 7LL * 86400 * 1000;
  q.bind_static(1, carrier).bind_static(2, u.carrier_message_id).bind_static(3, u.message_id).bind(4, expires);
  q.run();
}

void sqlite_store::get_message(std::string id, store_callback<std::optional<message_record>> cb) {
  SMSGW_SUBMIT(std::optional<message_record>, cb, {
    (void)ec;
    return s.load_message(id);
  });
}

void sqlite_store::set_status(status_update u, store_callback<status_result> cb) {
  SMSGW_SUBMIT(status_result, cb, {
    (void)ec;
    return s.apply_status(u);
  });
}

void sqlite_store::correlate(std::string carrier, std::string carrier_message_id, std::int64_t now_ms,
                             store_callback<std::optional<std::string>> cb) {
  SMSGW_SUBMIT(std::optional<std::string>, cb, {
    (void)ec;
    query q = s.prepare(
        "SELECT message_id FROM correlations WHERE carrier=? AND carrier_message_id=? AND expires_ms>?");
    q.bind(1, carrier).bind(2, carrier_message_id).bind(3, now_ms);
    if (!q.step()) return std::optional<std::string>();
    return std::optional<std::string>(q.str(0));
  });
}

void sqlite_store::claim(claim_request req, store_callback<claim_result> cb) {
  // The writer thread returns the E.164s sealed; they are opened (AES-GCM, about 5 K
  // instructions each) where the completion runs, off the serial writer thread.
  cb = [secrets = impl_->secrets(), cb = std::move(cb)](std::error_code ec, claim_result r) {
    for (auto& e : r.entries) e.message.e164 = impl::unseal_with(secrets.get(), e.message.e164);
    cb(ec, std::move(r));
  };
  SMSGW_SUBMIT(claim_result, cb, {
    (void)ec;
    claim_result out;
    struct due_entry {
      std::optional<message_record> message;  // none: orphan entry (message purged)
      bool blocked = false;
      std::int64_t rowid = 0;
      int deliveries = 0;
      bool lost = false;  // still leased: its lease expired unreleased
    };
    std::vector<due_entry> due;
    {
      // One statement: the due entries of the carrier in order (queue_by_due), each with its
      // message and the send-time suppression re-check (the scope stored at admission).
      query q = s.prepare(
          "SELECT m.id, m.number_key, m.e164_sealed, m.carrier, m.sender, m.text, m.category, m.campaign, "
          "m.client_ref, m.segments, m.encoding, m.status, m.carrier_message_id, m.error, m.created_ms, "
          "m.updated_ms, m.send_at_ms, m.valid_until_ms, m.attempts, m.scope, m.api_key, q.rowid, q.deliveries, "
          "m.id IS NOT NULL AND EXISTS(SELECT 1 FROM suppressions s WHERE s.number_key=m.number_key AND "
          "(m.scope='global' OR s.sender IN ('', m.sender))), q.lease_id<>'' "
          "FROM queue q LEFT JOIN messages m ON m.id=q.message_id "
          "WHERE q.carrier=? AND q.due_ms<=? ORDER BY q.due_ms, q.rowid LIMIT ?");
      q.bind(1, req.carrier).bind(2, req.now_ms).bind(3, std::max(0, req.max));
      while (q.step()) {
        due_entry d;
        if (!q.is_null(0)) d.message = s.read_message(q, false);
        d.rowid = q.i64(21);
        d.deliveries = static_cast<int>(q.i64(22));
        d.blocked = q.i64(23) != 0;
        d.lost = q.i64(24) != 0;  // a release (ack, nack, reschedule, complete) clears the lease
        due.push_back(std::move(d));
      }
    }
    // The leases are written after the read (an UPDATE moves the entry in the index being read).
    out.entries.reserve(due.size());
    for (auto& d : due) {
      if (!d.message) {
        query q = s.prepare("DELETE FROM queue WHERE rowid=?");
        q.bind(1, d.rowid);
        q.run();
        continue;
      }
      auto& m = *d.message;
      // Suppressed now: leased like the others but flagged; the caller completes it (rejected).
      std::string lease = s.new_lease_id();
      {
        query q = s.prepare("UPDATE queue SET due_ms=?, lease_id=?, deliveries=deliveries+1 WHERE rowid=?");
        q.bind(1, req.now_ms + req.lease_ms).bind_static(2, lease).bind(3, d.rowid);
        q.run();
      }
      if (m.status == message_status::scheduled && !d.blocked) {
        query q = s.prepare("UPDATE messages SET status='queued', updated_ms=? WHERE id=? AND status='scheduled'");
        q.bind(1, req.now_ms).bind_static(2, m.id);
        q.run();
        m.status = message_status::queued;
        m.updated_at_ms = req.now_ms;
      }
      out.entries.push_back({std::move(m), std::move(lease), d.deliveries + 1, d.lost, d.blocked});
    }
    return out;
  });
}

void sqlite_store::complete(std::vector<completion> items, store_callback<std::vector<completion_result>> cb) {
  // One job: the whole vector shares the group transaction (and its savepoint) with whatever
  // else the writer thread takes in the same turn.
  SMSGW_SUBMIT(std::vector<completion_result>, cb, {
    (void)ec;
    std::vector<completion_result> out;
    out.reserve(items.size());
    for (const auto& c : items) {
      completion_result r;
      auto st = s.apply_status(c.update, &c.carrier);
      r.found = st.found;
      r.applied = st.applied;
      r.current = st.current;
      if (c.event && st.found && st.current == c.update.status) {
        s.put_event(*c.event);
        r.event_stored = true;
      }
      query q = s.prepare("DELETE FROM queue WHERE message_id=? AND carrier=? AND lease_id=?");
      q.bind_static(1, c.update.message_id).bind_static(2, c.carrier).bind_static(3, c.lease_id);
      q.run();
      r.released = s.changes() > 0;
      out.push_back(r);
    }
    return out;
  });
}

void sqlite_store::ack(std::string carrier, std::string message_id, std::string lease_id, store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    query q = s.prepare("DELETE FROM queue WHERE message_id=? AND carrier=? AND lease_id=?");
    q.bind(1, message_id).bind(2, carrier).bind(3, lease_id);
    q.run();
    if (s.changes() == 0) ec = store_errc::lease_lost;
    return done{};
  });
}

void sqlite_store::nack(std::string carrier, std::string message_id, std::string lease_id, std::int64_t retry_at_ms,
                        std::string error, store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    {
      query q = s.prepare("UPDATE queue SET due_ms=?, lease_id='' WHERE message_id=? AND carrier=? AND lease_id=?");
      q.bind(1, retry_at_ms).bind(2, message_id).bind(3, carrier).bind(4, lease_id);
      q.run();
    }
    if (s.changes() == 0) {
      ec = store_errc::lease_lost;
      return done{};
    }
    query q = s.prepare(
        "UPDATE messages SET attempts=attempts+1, error=CASE WHEN ?='' THEN error ELSE ? END WHERE id=?");
    q.bind(1, error).bind(2, error).bind(3, message_id);
    q.run();
    return done{};
  });
}

void sqlite_store::reschedule(std::string carrier, std::string message_id, std::string lease_id, std::int64_t at_ms,
                              store_callback<done> cb) {
  SMSGW_SUBMIT(done, cb, {
    query q = s.prepare("UPDATE queue SET due_ms=?, lease_id='' WHERE message_id=? AND carrier=? AND lease_id=?");
    q.bind(1, at_ms).bind(2, message_id).bind(3, carrier).bind(4, lease_id);
    q.run();
    if (s.changes() == 0) ec = store_errc::lease_lost;
    return done{};
  });
}

void sqlite_store::stats(std::string carrier, std::int64_t now_ms, store_callback<queue_stats> cb) {
  SMSGW_SUBMIT(queue_stats, cb, {
    (void)ec;
    query q = s.prepare(
        "SELECT COALESCE(SUM(lease_id='' AND due_ms<=?1),0), COALESCE(SUM(lease_id='' AND due_ms>?1),0), "
        "COALESCE(SUM(lease_id!=''),0), MIN(CASE WHEN lease_id='' AND due_ms<=?1 THEN due_ms END) "
        "FROM queue WHERE carrier=?2");
    q.bind(1, now_ms).bind(2, carrier);
    queue_stats st;
    if (q.step()) {
      st.ready = q.i64(0);
      st.scheduled = q.i64(1);
      st.leased = q.i64(2);
      st.oldest_ready_ms = q.is_null(3) ? 0 : q.i64(3);
    }
    return st;
  });
}

// ---------------------------------------------------------------------------------------------
// Operator tooling (issue 7)

namespace {

// Rows changed per purge job: a large purge runs as several short transactions so that
// admissions and STOPs interleave with it.
constexpr int purge_chunk_rows = 5000;

struct purge_chunk {
  purge_result counts;
  bool more = false;
};

// The WHERE of the partial index messages_final_by_update, written the same way so that the
// planner uses it (an IN list would cost an ephemeral table per row written).
#define SMSGW_FINAL_STATUS                                                                          \
  "(status='delivered' OR status='undeliverable' OR status='expired' OR status='rejected' OR " \
  "status='failed')"

}  // namespace

void sqlite_store::import_suppressions(std::vector<suppression_record> recs, store_callback<import_result> cb) {
  // Seal on the caller's thread: the writer thread only writes. Rows in key order: consecutive
  // inserts land on the same or neighbouring B-tree pages (docs/performance.md, "Operator tooling").
  for (auto& r : recs) r.e164 = impl_->seal(r.e164);
  std::sort(recs.begin(), recs.end(), [](const suppression_record& a, const suppression_record& b) {
    return a.number_key != b.number_key ? a.number_key < b.number_key : a.sender < b.sender;
  });
  SMSGW_SUBMIT(import_result, cb, {
    (void)ec;
    s.bulk_load_cache();
    import_result out;
    query q = s.prepare(
        "INSERT INTO suppressions(number_key, sender, reason, source, at_ms, e164_sealed) "
        "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING");
    for (const auto& rec : recs) {
      q.bind(1, rec.number_key).bind(2, rec.sender).bind(3, rec.reason).bind(4, rec.source).bind(5, rec.at_ms);
      q.bind(6, rec.e164);
      q.run();
      q.reset();
      if (s.changes() > 0) {
        ++out.added;
      } else {
        ++out.existing;
      }
    }
    return out;
  });
}

void sqlite_store::import_consents(std::vector<consent_record> recs, store_callback<import_result> cb) {
  for (auto& r : recs) r.e164 = impl_->seal(r.e164);
  SMSGW_SUBMIT(import_result, cb, {
    (void)ec;
    import_result out;
    for (const auto& rec : recs) {
      {
        query q = s.prepare(
            "INSERT OR IGNORE INTO consents(number_key, category, sender, source, evidence, at_ms, e164_sealed) "
            "VALUES (?,?,?,?,?,?,?)");
        q.bind(1, rec.number_key).bind(2, rec.category).bind(3, rec.sender).bind(4, rec.source);
        q.bind(5, rec.evidence).bind(6, rec.at_ms).bind(7, rec.e164);
        q.run();
      }
      if (s.changes() == 0) {
        ++out.existing;
        continue;
      }
      ++out.added;
      query q = s.prepare(
          "INSERT INTO consent_ledger(number_key, category, sender, granted, source, evidence, at_ms, e164_sealed) "
          "VALUES (?,?,?,1,?,?,?,?)");
      q.bind(1, rec.number_key).bind(2, rec.category).bind(3, rec.sender).bind(4, rec.source);
      q.bind(5, rec.evidence).bind(6, rec.at_ms).bind(7, rec.e164);
      q.run();
    }
    return out;
  });
}

void sqlite_store::export_suppressions(std::string cursor, int limit,
                                       store_callback<export_page<suppression_record>> cb) {
  SMSGW_SUBMIT(export_page<suppression_record>, cb, {
    (void)ec;
    export_page<suppression_record> page;
    auto c = split_fields(cursor, 2);
    const int n = std::max(1, limit);
    query q = s.prepare(
        "SELECT number_key, sender, reason, source, at_ms, e164_sealed FROM suppressions "
        "WHERE (number_key, sender) > (?, ?) ORDER BY number_key, sender LIMIT ?");
    q.bind(1, c[0]).bind(2, c[1]).bind(3, n);
    while (q.step()) {
      page.items.push_back({q.str(0), s.unseal(q.str(5)), q.str(1), q.str(2), q.str(3), q.i64(4)});
    }
    if (static_cast<int>(page.items.size()) == n) {
      page.cursor = page.items.back().number_key + field_separator + page.items.back().sender;
    }
    return page;
  });
}

void sqlite_store::export_consents(std::string cursor, int limit, store_callback<export_page<consent_record>> cb) {
  SMSGW_SUBMIT(export_page<consent_record>, cb, {
    (void)ec;
    export_page<consent_record> page;
    auto c = split_fields(cursor, 3);
    const int n = std::max(1, limit);
    query q = s.prepare(
        "SELECT number_key, category, sender, source, evidence, at_ms, e164_sealed FROM consents "
        "WHERE (number_key, category, sender) > (?, ?, ?) ORDER BY number_key, category, sender LIMIT ?");
    q.bind(1, c[0]).bind(2, c[1]).bind(3, c[2]).bind(4, n);
    while (q.step()) {
      page.items.push_back({q.str(0), s.unseal(q.str(6)), q.str(1), q.str(2), q.str(3), q.str(4), q.i64(5)});
    }
    if (static_cast<int>(page.items.size()) == n) {
      const auto& last = page.items.back();
      page.cursor = last.number_key + field_separator + last.category + field_separator + last.sender;
    }
    return page;
  });
}

void sqlite_store::erase_number(std::string number_key, std::string source, std::int64_t at_ms,
                                store_callback<erase_result> cb) {
  SMSGW_SUBMIT(erase_result, cb, {
    (void)ec;
    erase_result out;
    auto run = [&](const char* sql) {
      query q = s.prepare(sql);
      q.bind(1, number_key);
      q.run();
      return static_cast<std::int64_t>(s.changes());
    };
    out.consents = run("DELETE FROM consents WHERE number_key=?");
    out.ledger_entries = run("DELETE FROM consent_ledger WHERE number_key=?");
    run("DELETE FROM queue WHERE message_id IN (SELECT id FROM messages WHERE number_key=?)");
    run("DELETE FROM correlations WHERE message_id IN (SELECT id FROM messages WHERE number_key=?)");
    out.messages = run("DELETE FROM messages WHERE number_key=?");
    run("DELETE FROM cap_events WHERE number_key=?");
    out.suppressions = run("DELETE FROM suppressions WHERE number_key=?");
    query q = s.prepare(
        "INSERT INTO suppressions(number_key, sender, reason, source, at_ms, e164_sealed) VALUES (?,'','erased',?,?,'')");
    q.bind(1, number_key).bind(2, source).bind(3, at_ms);
    q.run();
    return out;
  });
}

namespace {

// One bounded purge step (writer thread). With dry_run everything is counted at once.
purge_chunk purge_step(sqlite_store::impl& s, const purge_request& r) {
  purge_chunk out;
  const std::int64_t limit = r.dry_run ? std::numeric_limits<std::int64_t>::max() : purge_chunk_rows;
  auto count = [&](const char* sql, std::int64_t bound) {
    query q = s.prepare(sql);
    q.bind(1, bound);
    return q.step() ? q.i64(0) : 0;
  };
  auto apply = [&](const char* sql, std::int64_t bound) {
    query q = s.prepare(sql);
    q.bind(1, bound).bind(2, limit);
    q.run();
    std::int64_t n = s.changes();
    if (n >= limit) out.more = true;
    return n;
  };
  if (r.dry_run) {
    if (r.records_final_before_ms > 0) {
      out.counts.records = count(
          "SELECT COUNT(*) FROM messages WHERE " SMSGW_FINAL_STATUS " AND updated_ms<=?",
          r.records_final_before_ms);
    }
    if (r.bodies_final_before_ms > 0) {
      out.counts.bodies = count("SELECT COUNT(*) FROM messages WHERE " SMSGW_FINAL_STATUS
                                " AND updated_ms<=? AND text<>''",
                                r.bodies_final_before_ms);
      if (r.records_final_before_ms > 0) {
        // Records that go entirely are not counted twice as bodies.
        out.counts.bodies -= count("SELECT COUNT(*) FROM messages WHERE " SMSGW_FINAL_STATUS
                                   " AND updated_ms<=? AND text<>''",
                                   std::min(r.records_final_before_ms, r.bodies_final_before_ms));
      }
    }
    out.counts.idempotency_keys = count("SELECT COUNT(*) FROM idempotency WHERE expires_ms<=?", r.now_ms);
    out.counts.correlations = count("SELECT COUNT(*) FROM correlations WHERE expires_ms<=?", r.now_ms);
    if (r.cap_events_before_ms > 0) {
      out.counts.cap_events = count("SELECT COUNT(*) FROM cap_events WHERE at_ms<=?", r.cap_events_before_ms);
    }
    return out;
  }
  if (r.records_final_before_ms > 0) {
    {
      query q = s.prepare(
          "DELETE FROM queue WHERE message_id IN (SELECT id FROM messages WHERE " SMSGW_FINAL_STATUS
          " AND updated_ms<=?1 ORDER BY updated_ms LIMIT ?2)");
      q.bind(1, r.records_final_before_ms).bind(2, limit);
      q.run();
    }
    out.counts.records = apply("DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE "
                               SMSGW_FINAL_STATUS " AND updated_ms<=?1 ORDER BY updated_ms LIMIT ?2)",
                               r.records_final_before_ms);
  }
  if (r.bodies_final_before_ms > 0) {
    out.counts.bodies = apply("UPDATE messages SET text='' WHERE id IN (SELECT id FROM messages WHERE "
                              SMSGW_FINAL_STATUS " AND updated_ms<=?1 AND text<>'' LIMIT ?2)",
                              r.bodies_final_before_ms);
  }
  out.counts.idempotency_keys = apply(
      "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE expires_ms<=?1 LIMIT ?2)", r.now_ms);
  out.counts.correlations = apply(
      "DELETE FROM correlations WHERE (carrier, carrier_message_id) IN (SELECT carrier, carrier_message_id FROM "
      "correlations WHERE expires_ms<=?1 LIMIT ?2)",
      r.now_ms);
  if (r.cap_events_before_ms > 0) {
    out.counts.cap_events = apply(
        "DELETE FROM cap_events WHERE (number_key, category, at_ms, message_id) IN (SELECT number_key, category, "
        "at_ms, message_id FROM cap_events WHERE at_ms<=?1 LIMIT ?2)",
        r.cap_events_before_ms);
  }
  return out;
}

// Runs purge steps one job after the other until nothing is left, adding up the counts.
struct purge_loop : std::enable_shared_from_this<purge_loop> {
  sqlite_store* store = nullptr;
  sqlite_store::impl* impl = nullptr;
  purge_request req;
  purge_result total;
  store_callback<purge_result> cb;
};

}  // namespace

void sqlite_store::purge(purge_request req, store_callback<purge_result> cb) {
  auto loop = std::make_shared<purge_loop>();
  loop->impl = impl_.get();
  loop->req = req;
  loop->cb = std::move(cb);
  // The step completion runs on the completion executor (or the writer thread): it queues the
  // next step until a step removes less than a full chunk of everything.
  auto step = std::make_shared<std::function<void()>>();
  *step = [loop, step]() {
    loop->impl->submit(std::make_unique<typed_job<purge_chunk>>(
        [r = loop->req](sqlite_store::impl& s, std::error_code&) { return purge_step(s, r); },
        [loop, step](std::error_code ec, purge_chunk c) {
          if (ec) {
            auto cb = std::move(loop->cb);
            *step = nullptr;  // breaks the step <-> closure cycle
            return cb(ec, purge_result{});
          }
          loop->total.bodies += c.counts.bodies;
          loop->total.records += c.counts.records;
          loop->total.idempotency_keys += c.counts.idempotency_keys;
          loop->total.correlations += c.counts.correlations;
          loop->total.cap_events += c.counts.cap_events;
          if (c.more) return (*step)();
          auto cb = std::move(loop->cb);
          auto total = loop->total;
          *step = nullptr;
          cb({}, total);
        }));
  };
  (*step)();
}

}  // namespace policy
