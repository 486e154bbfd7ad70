// SQLite admissions: one admit_one per request inside the writer's group transaction
// (docs/stores.md, "Admission semantics").

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "policy/sqlite_store_state.hpp"

namespace policy {

using sqlite_detail::query;

namespace {

std::string_view scope_name(opt_out_scope s) { return s == opt_out_scope::global ? "global" : "sender"; }

}  // namespace

// When a reached cap rule allows the next message: its max-th newest admission within the window
// leaves the window (0: never, max 0). Read only for a refusal.
std::int64_t sqlite_store::impl::cap_free_at(const admit_request& r, const cap_rule& c) {
  if (c.max == 0) return 0;
  const std::int64_t window = c.window_seconds * 1000;
  query q = prepare(c.per_campaign ? "SELECT at_ms FROM cap_events WHERE number_key=? AND category=? AND at_ms>? "
                                     "AND campaign=? ORDER BY at_ms DESC LIMIT 1 OFFSET ?"
                                   : "SELECT at_ms FROM cap_events WHERE number_key=? AND category=? AND at_ms>? "
                                     "ORDER BY at_ms DESC LIMIT 1 OFFSET ?");
  q.bind_static(1, r.message.number_key).bind_static(2, r.category).bind(3, r.now_ms - window);
  if (c.per_campaign) q.bind_static(4, r.campaign);
  q.bind(c.per_campaign ? 5 : 4, static_cast<std::int64_t>(c.max) - 1);
  return q.step() ? q.i64(0) + window : r.now_ms;
}

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
      const std::int64_t free_at = cap_free_at(r, c);
      if (!res.cap || (res.cap->free_at_ms != 0 && (free_at == 0 || free_at > res.cap->free_at_ms))) {
        res.cap = admit_result::cap_reached{c, free_at};
      }
    }
  }
  if (res.cap) return res;
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

}  // namespace policy
