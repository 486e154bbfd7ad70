// SQLite operator tooling (smsgwctl): imports, exports, erasure of a number, purge in bounded
// chunks (docs/stores.md).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "policy/separated_fields.hpp"
#include "policy/sqlite_store_state.hpp"

namespace policy {

using sqlite_detail::query;
using sqlite_detail::typed_job;

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
