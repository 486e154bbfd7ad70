// The SQLite store's delivery queue and message statuses: claim, complete, ack, nack,
// reschedule, queue stats, status moves and carrier correlations (docs/stores.md, "Queue").

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/sqlite_store_state.hpp"

namespace policy {

using sqlite_detail::query;
using sqlite_detail::sql_failure;

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

}  // namespace policy
