#pragma once

// The store: durable state of the policy engine and the outbound queue (docs/stores.md).
//
// One abstract interface, two implementations (policy/sqlite_store.hpp, policy/redis_store.hpp),
// one contract test suite (tests/policy/store_contract_test.cpp). This header is executor-agnostic
// and includes no Asio: users of the pure policy code do not pay for it.
//
// Conventions for every operation:
// - Asynchronous: the call returns at once; the completion runs exactly once, later, never inside
//   the call itself. Completion signature `void(std::error_code, R)`; when the error code is set R
//   is value-initialised and must be ignored.
// - An error code (policy::store_errc) means the store could not do it: fail closed (503 to the
//   HTTP client, a temporary error to the carrier). Policy refusals are values, not errors.
// - Completion thread: SQLite runs completions on its WAL sync thread ("sqlite-sync", after the
//   group's commit is durable) unless a `post` function was given in sqlite_options (then
//   completions are handed to it); Redis runs them on the executor
//   given to redis_store (its strand). Completions must not block.
// - Methods are thread-safe: they may be called from any thread.
// - No cancellation: once called, an operation either completes or fails with an error. SQLite's
//   destructor runs every queued request before it returns; Redis' destructor posts the shutdown
//   to its strand, where pending requests then complete with shutting_down (keep the executor
//   running until then).
// - Times are Unix milliseconds passed in by the caller (no clock inside the stores, except the
//   Redis reconnect timer and request timeout).
// - "Numbers" are keys: HMAC-SHA256(secret, E.164) from policy/number_key.hpp. Where an E.164 is
//   passed in clear it is only stored sealed (AES-256-GCM) so that exports can recover it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "policy/policy_config.hpp"  // cap_rule, opt_out_scope (shared with the pure rules)
#include "policy/reason.hpp"
#include "policy/store_error.hpp"

namespace policy {

template <class R>
using store_callback = std::function<void(std::error_code, R)>;

// Completion for operations without a result value.
struct done {};

// ---------------------------------------------------------------------------------------------
// Messages

// Lifecycle of a message (HTTP contract, design.md 5.2). Moves forward only, by rank:
// scheduled (0) < queued (1) < submitted (2) < final (3: delivered, undeliverable, expired,
// rejected, failed). The first final status wins: a late receipt never overwrites it.
enum class message_status { queued, scheduled, submitted, delivered, undeliverable, expired, rejected, failed };

std::string_view to_string(message_status s) noexcept;
std::optional<message_status> parse_message_status(std::string_view s) noexcept;
int status_rank(message_status s) noexcept;
bool is_final(message_status s) noexcept;


struct message_record {
  std::string id;  // unique, chosen by the caller ("msg_...")
  std::string number_key;
  std::string e164;  // in clear in memory; stored sealed (AES-256-GCM)
  std::string carrier;
  std::string sender;
  std::string text;
  std::string category;
  std::string campaign;  // may be empty
  std::string client_ref;
  int segments = 1;
  std::string encoding;  // "gsm7", "ucs2", ...
  message_status status = message_status::queued;
  std::string carrier_message_id;
  std::string error;  // last error / reason ("recipient_opted_out", carrier status, ...)
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t send_at_ms = 0;      // when it becomes (became) sendable
  std::int64_t valid_until_ms = 0;  // validity deadline; 0 = none
  int attempts = 0;                 // submit attempts that were nacked
  opt_out_scope scope = opt_out_scope::sender;  // scope used for the send-time re-check
  std::string api_key = {};  // name of the API key that sent it (picks its webhook URLs); may be empty

  bool operator==(const message_record&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Admission: decide + reserve cap slot + enqueue, ONE atomic operation.


// Quiet hours are computed by the pure rules; the store only applies the outcome, in rule order.
struct quiet_outcome {
  enum class kind { allowed, defer, reject };
  kind k = kind::allowed;
  std::int64_t defer_until_ms = 0;  // first allowed instant when k == defer
};

struct admit_request {
  std::string sender;  // who sends (short code / long number), as in the message
  std::string category;
  std::string campaign;  // may be empty
  opt_out_scope scope = opt_out_scope::sender;
  bool consent_required = false;
  bool consent_per_sender = false;
  std::vector<cap_rule> caps;
  quiet_outcome quiet;
  message_record message;  // number_key, e164, carrier, text, ... ; status is set by the store
  // Optional Idempotency-Key (already scoped by the caller, e.g. "<api key name>:<key>") and the
  // hash of the request body. With a key, admission also stores key -> message id atomically.
  std::string idempotency_key;
  std::string request_hash;
  std::int64_t idempotency_ttl_ms = 24LL * 3600 * 1000;
  std::int64_t now_ms = 0;
  // Direct hand-off: > 0 asks the store to lease an admitted message that would be queued (not a
  // scheduled one) to the caller for this long, in the same atomic step, instead of putting it
  // on the ready queue: the caller sends it without a claim (admit_result::lease_id). Until it is
  // completed, acked, nacked or rescheduled it is an ordinary leased entry: when the lease
  // expires it is claimed again (at-least-once). Scheduled and refused messages are never
  // leased (lease_id stays empty).
  std::int64_t lease_ms = 0;
};

struct admit_result {
  // Fail-safe default: a value-initialised result (as passed with an error code) is not accepted.
  bool admitted = false;           // true only when decided, reserved and enqueued
  reason refused = reason::none;   // why not admitted (none for a duplicate)
  message_status status = message_status::queued;  // queued or scheduled when accepted
  std::int64_t send_at_ms = 0;     // when accepted: when it becomes sendable
  // Accepted and leased to the caller (admit_request::lease_ms): send it now, finish it with
  // this lease id (complete / ack / nack / reschedule). Empty: queued or scheduled as usual.
  std::string lease_id;
  // Idempotency: the key was already used. Nothing was enqueued; `existing_message_id` and
  // `existing_request_hash` describe the first request (compare hashes: idempotency_mismatch).
  bool duplicate = false;
  std::string existing_message_id;
  std::string existing_request_hash;
  // Refused as frequency_capped: the rule reached that holds the number back longest, and from
  // when (unix ms) that rule allows the next message (0: never, a rule with max 0). Until then
  // the number gets nothing of this category (or campaign, for a per-campaign rule).
  struct cap_reached {
    cap_rule rule;
    std::int64_t free_at_ms = 0;
  };
  std::optional<cap_reached> cap;

  bool accepted() const noexcept { return admitted; }
};

// ---------------------------------------------------------------------------------------------
// Suppressions and consent

// A suppression never expires. sender empty = global (matches every sender).
// Matching at admission and at send time:
// - scope sender: refused when a global suppression exists, or one for this sender;
// - scope global: refused when ANY suppression of the number exists (for any sender).
struct suppression_record {
  std::string number_key;
  std::string e164;  // optional; stored sealed for exports
  std::string sender;
  std::string reason;  // "stop", "stopall", "dnc", "api", "cli", "erased", ...
  std::string source;  // "keyword", "api", "cli", "import", ...
  std::int64_t at_ms = 0;
  bool operator==(const suppression_record&) const = default;
};

// A suppression as the other gateway instances sharing the store hear of it
// (store::suppression_feed).
struct suppression_notice {
  std::string number_key;
  std::string sender;  // empty: global
  std::int64_t at_ms = 0;  // the record's at_ms (the storing instance's clock)
  bool operator==(const suppression_notice&) const = default;
};

struct suppression_feed_page {
  std::vector<suppression_notice> items;  // oldest first
  std::string cursor;                     // pass it to the next call
};

// Consent per number x category [x sender]; sender empty = every sender. Granting replaces the
// current record; revoking removes it; both append to the ledger, which is never trimmed.
struct consent_record {
  std::string number_key;
  std::string e164;  // optional; stored sealed
  std::string category;
  std::string sender;
  std::string source;  // "api", "keyword", "import", "cli"
  std::string evidence;
  std::int64_t at_ms = 0;
  bool operator==(const consent_record&) const = default;
};

struct consent_event {
  bool granted = true;  // false = revocation
  consent_record record;
  bool operator==(const consent_event&) const = default;
};

struct number_facts {
  std::vector<suppression_record> suppressions;  // sorted by sender ("" = global first)
  std::vector<consent_record> consents;          // active consents, sorted by category, sender
  std::vector<consent_event> ledger;             // grants and revocations, oldest first
};

// ---------------------------------------------------------------------------------------------
// Queue (per carrier). At-least-once: a claimed entry is leased; ack removes it; an entry whose
// lease expires is handed out again by a later claim.

struct queue_entry {
  message_record message;
  std::string lease_id;  // pass back to ack / nack / reschedule / complete
  int deliveries = 0;    // how many times it was leased (claimed, or leased at admission)
  // The previous delivery's lease expired without being released (completed, acked, nacked or
  // rescheduled): the gateway that held it crashed or stalled, and this is a resend (at least
  // once). A retry after a nack or a reschedule (pacing, a released hand-off) is not.
  bool lease_lost = false;
  // The send-time re-check found the number suppressed: do not send it; complete() it as
  // rejected ("recipient_opted_out") with its status event. Still leased like any other entry.
  bool suppressed = false;
};

struct claim_request {
  std::string carrier;
  int max = 1;
  std::int64_t lease_ms = 30000;
  std::int64_t now_ms = 0;
};

// claim() promotes scheduled entries that are due, reclaims expired leases, then hands out up
// to `max` entries in order (due time, then enqueue order), each with a lease. Entries whose
// number is suppressed now (send-time re-check with the scope stored at admission) are handed
// out leased too, with queue_entry::suppressed set and their status unchanged: the caller
// completes them as rejected ("recipient_opted_out") together with their status event, in one
// complete() call. If it never does, the lease expires and the next claim checks them again.
struct claim_result {
  std::vector<queue_entry> entries;
};

// ---------------------------------------------------------------------------------------------
// Status, receipts, idempotency

struct status_update {
  std::string message_id;
  message_status status = message_status::submitted;
  std::string carrier_message_id;  // with `submitted`: also stored as the receipt correlation
  std::string error;
  std::int64_t at_ms = 0;
  // Correlation lifetime (carrier message id -> our id); 0 = 7 days after at_ms.
  std::int64_t correlation_expires_at_ms = 0;
};

struct status_result {
  bool found = false;
  bool applied = false;  // false when the move would go backwards (or message unknown)
  message_status current = message_status::queued;  // status after the call
};

struct idempotency_record {
  std::string key;
  std::string request_hash;
  std::string message_id;  // set by admit()
  std::string response;    // first response, set by idempotency_put(); may be empty
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  bool operator==(const idempotency_record&) const = default;
};

// A webhook event in the durable outbox (issue 5): delivered at-least-once, retried with the
// back-off the caller computes, then kept as a dead letter that an operator can replay.
struct webhook_event {
  std::string event_id;  // stable: receivers de-duplicate on it
  std::string kind;      // "inbound", "status"
  std::string target;    // URL or webhook name
  std::string body;      // JSON as it will be signed and sent
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;  // when it may be (re)tried
  std::int64_t created_at_ms = 0;
  std::string last_error;
  std::string lease_id;  // set by outbox_claim
  bool operator==(const webhook_event&) const = default;
};

// A final outcome of a claimed queue entry (the carrier worker): its status change, the status
// webhook event and the release of its lease, applied together by complete().
struct completion {
  std::string carrier;
  std::string lease_id;
  status_update update;                // message_id, status, carrier id (correlation), error, at
  std::optional<webhook_event> event;  // stored in the outbox; none: no event
};

struct completion_result {
  bool found = false;
  bool applied = false;   // the status moved (forward only, as set_status)
  message_status current = message_status::queued;  // status after the call
  bool event_stored = false;  // the event is in the outbox now (new, or put before with this id)
  bool released = false;      // the lease was still ours and the entry left the queue
};

struct health_info {
  bool ok = false;
  std::string detail;  // human-readable ("sqlite schema v1, WAL", "redis 7.0.15, aof on, ...")
};

// ---------------------------------------------------------------------------------------------
// Operator tooling (smsgwctl, issue 7): bulk import, export, erasure, retention.

// Bulk imports: how many records were new and how many were already stored (left unchanged).
struct import_result {
  std::int64_t added = 0;
  std::int64_t existing = 0;
};

// One page of an export. `cursor` is opaque: pass it to the next call; empty = finished. A page
// may hold fewer (even zero) or somewhat more items than asked while the cursor is not empty.
template <class T>
struct export_page {
  std::vector<T> items;
  std::string cursor;
};

// Right to erasure: what erase_number removed.
struct erase_result {
  std::int64_t consents = 0;        // active consents
  std::int64_t ledger_entries = 0;  // consent ledger entries (grants and revocations)
  std::int64_t messages = 0;        // message records (with their bodies and queue entries)
  std::int64_t suppressions = 0;    // suppressions replaced by the one `erased` suppression
};

// Retention (config `retention:`). Times are absolute cut-offs computed by the caller from `now`
// and the configured periods; 0 skips that part.
struct purge_request {
  std::int64_t now_ms = 0;
  std::int64_t bodies_final_before_ms = 0;   // texts of messages final (updated) before this
  std::int64_t records_final_before_ms = 0;  // whole records of messages final before this
  std::int64_t cap_events_before_ms = 0;     // cap reservations older than every cap window
  bool dry_run = false;                      // count only, change nothing
};

// Counts of what was removed (or, with dry_run, would be). Stores that expire a kind natively
// (Redis: idempotency keys and receipt correlations carry PEXPIREAT) report 0 for it.
struct purge_result {
  std::int64_t bodies = 0;
  std::int64_t records = 0;
  std::int64_t idempotency_keys = 0;
  std::int64_t correlations = 0;
  std::int64_t cap_events = 0;
};

// ---------------------------------------------------------------------------------------------

class store {
 public:
  virtual ~store() = default;

  // Decide (suppression -> consent -> caps -> quiet hours), reserve the cap slot and enqueue
  // (ready, or scheduled at send_at) in ONE atomic step against stored state.
  // Caps use sliding windows: a message admitted at t counts in (now - window, now] for every
  // rule. The slot is reserved at admission, also for deferred messages. A refused message
  // reserves nothing. quiet reject -> refused quiet_hours; quiet defer -> scheduled at
  // max(defer_until, message.send_at_ms); otherwise scheduled when message.send_at_ms > now.
  virtual void admit(admit_request req, store_callback<admit_result> cb) = 0;

  // Several admissions sharing round trips / one transaction. Each item is decided on its own,
  // in order (a later item sees the caps reserved by an earlier one); results in the same order.
  virtual void admit_batch(std::vector<admit_request> reqs,
                           store_callback<std::vector<admit_result>> cb) = 0;

  // Store a suppression (idempotent: an existing one for the same number x sender is kept with
  // its original time). Completes after it is durable: only then acknowledge a STOP.
  virtual void suppress(suppression_record rec, store_callback<done> cb) = 0;
  // Remove one suppression (sender empty = the global one). Result: whether one was removed.
  virtual void unsuppress(std::string number_key, std::string sender, store_callback<bool> cb) = 0;
  // Send-time re-check with the matching rules described at suppression_record.
  virtual void is_suppressed(std::string number_key, std::string sender, opt_out_scope scope,
                             store_callback<bool> cb) = 0;
  // The suppressions that suppress() stored (new ones only, not those of import_suppressions
  // or erase_number), by any process sharing the store, after `cursor`, oldest first, at most
  // `max`. Cursor "": none, and the cursor of the newest one stored so far (start here). Each
  // gateway instance polls it so that a STOP stored through another instance also stops the
  // messages its carrier workers hold in memory (docs/stores.md, "Several instances"). Only a
  // store shared by several instances has it (has_suppression_feed(): Redis); call it only then.
  virtual bool has_suppression_feed() const noexcept { return false; }
  virtual void suppression_feed(std::string cursor, std::size_t max, store_callback<suppression_feed_page> cb);

  virtual void grant_consent(consent_record rec, store_callback<done> cb) = 0;
  // Revoke (number_key, category, sender of rec); source/evidence/at go to the ledger.
  // Result: whether an active consent was removed (the ledger entry is written either way).
  virtual void revoke_consent(consent_record rec, store_callback<bool> cb) = 0;

  virtual void lookup_number(std::string number_key, store_callback<number_facts> cb) = 0;

  virtual void get_message(std::string id, store_callback<std::optional<message_record>> cb) = 0;
  // Forward-only status move (see message_status). Setting `submitted` with a carrier id also
  // records the receipt correlation.
  virtual void set_status(status_update u, store_callback<status_result> cb) = 0;
  // carrier + normalised carrier message id -> our message id (nullopt if unknown / expired).
  virtual void correlate(std::string carrier, std::string carrier_message_id, std::int64_t now_ms,
                         store_callback<std::optional<std::string>> cb) = 0;

  virtual void claim(claim_request req, store_callback<claim_result> cb) = 0;
  // Final outcomes of claimed entries, each one atomic: apply the status (forward only, exactly
  // as set_status, including the correlation of `submitted` with a carrier id); put the event in
  // the outbox (idempotent on event_id) when the status was applied or the message already has
  // that same status (a retry after a crash: the first try may have stored it already); release
  // the lease (as ack) when it is still ours. A lost lease (the entry was reclaimed) is not an
  // error: the status and event are still recorded, released is false. An unknown message is
  // found = false, nothing stored. Results in the same order. One script call per 64 items
  // (Redis) / one transaction (SQLite).
  virtual void complete(std::vector<completion> items, store_callback<std::vector<completion_result>> cb) = 0;
  // Done with an entry: it leaves the queue. lease_lost if the lease is no longer ours.
  virtual void ack(std::string carrier, std::string message_id, std::string lease_id,
                   store_callback<done> cb) = 0;
  // Failed attempt: back in the queue at retry_at_ms, attempts + 1.
  virtual void nack(std::string carrier, std::string message_id, std::string lease_id,
                    std::int64_t retry_at_ms, std::string error, store_callback<done> cb) = 0;
  // Not attempted (pacing, carrier not bound): back in the queue at at_ms, attempts unchanged.
  virtual void reschedule(std::string carrier, std::string message_id, std::string lease_id,
                          std::int64_t at_ms, store_callback<done> cb) = 0;

  // Idempotency keys (24 h by default; expired keys read as absent).
  virtual void idempotency_get(std::string key, std::int64_t now_ms,
                               store_callback<std::optional<idempotency_record>> cb) = 0;
  // Insert if absent (or expired); if present with the same request hash and no response yet,
  // set the response. Result: the record now stored (compare request_hash to detect a mismatch).
  virtual void idempotency_put(idempotency_record rec, std::int64_t now_ms,
                               store_callback<idempotency_record> cb) = 0;

  // Queue depth (ready + scheduled + leased) per carrier, for metrics and smsgwctl.
  struct queue_stats {
    std::int64_t ready = 0;
    std::int64_t scheduled = 0;
    std::int64_t leased = 0;
    std::int64_t oldest_ready_ms = 0;  // send_at of the oldest ready entry; 0 if none
  };
  virtual void stats(std::string carrier, std::int64_t now_ms, store_callback<queue_stats> cb) = 0;

  // Webhook outbox. put is idempotent on event_id (a second put is ignored). claim hands out up
  // to max due events (not dead letters) with a lease; an event whose lease expires is handed
  // out again (at-least-once). ack removes a delivered event; retry counts an attempt and either
  // reschedules it at next_attempt_ms or, with dead = true, moves it to the dead letters.
  // ack/retry fail with lease_lost when the lease is no longer theirs.
  virtual void outbox_put(webhook_event ev, store_callback<done> cb) = 0;
  virtual void outbox_claim(int max, std::int64_t lease_ms, std::int64_t now_ms,
                            store_callback<std::vector<webhook_event>> cb) = 0;
  virtual void outbox_ack(std::string event_id, std::string lease_id, store_callback<done> cb) = 0;
  virtual void outbox_retry(std::string event_id, std::string lease_id, std::int64_t next_attempt_ms,
                            std::string error, bool dead, store_callback<done> cb) = 0;
  // Dead letters, oldest first (at most max).
  virtual void dead_letters(int max, store_callback<std::vector<webhook_event>> cb) = 0;
  // Back to the outbox, due at now_ms with attempts reset. Result: whether it was a dead letter.
  virtual void replay_dead_letter(std::string event_id, std::int64_t now_ms, store_callback<bool> cb) = 0;

  // Ping + sanity (schema version, persistence settings). Error code = not ready; unlike the
  // other operations, info.detail then still says why (for /readyz and start-up logs).
  virtual void health(store_callback<health_info> cb) = 0;

  // --- Operator tooling (smsgwctl, issue 7) ---

  // suppress() for many records in one transaction (SQLite) or one pipeline (Redis). Idempotent:
  // a record whose number x sender is already suppressed is counted as existing and left as is.
  virtual void import_suppressions(std::vector<suppression_record> recs, store_callback<import_result> cb) = 0;
  // grant_consent() for many records; a number x category x sender that already has an active
  // consent is counted as existing and left as is (no second ledger entry), so imports repeat
  // safely.
  virtual void import_consents(std::vector<consent_record> recs, store_callback<import_result> cb) = 0;
  // Pages over every suppression / active consent, E.164 opened (empty when it was stored
  // without one, e.g. after erase_number). Bounded memory: about `limit` records per page.
  virtual void export_suppressions(std::string cursor, int limit,
                                   store_callback<export_page<suppression_record>> cb) = 0;
  virtual void export_consents(std::string cursor, int limit, store_callback<export_page<consent_record>> cb) = 0;
  // Right to erasure: deletes the number's consents, consent ledger, message records (bodies,
  // queue entries) and cap reservations, and replaces its suppressions by one global suppression
  // with reason "erased" (source as given, at_ms) that keeps no sealed E.164: the number stays
  // refused but can no longer be read back.
  virtual void erase_number(std::string number_key, std::string source, std::int64_t at_ms,
                            store_callback<erase_result> cb) = 0;
  // Applies the retention policy (or counts with dry_run). Suppressions and the consent ledger
  // are never purged. Works in bounded chunks, so other operations interleave.
  virtual void purge(purge_request req, store_callback<purge_result> cb) = 0;
};

}  // namespace policy
