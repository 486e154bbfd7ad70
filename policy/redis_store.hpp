#pragma once

// Store on Redis (docs/stores.md): one hiredis async connection bridged to Asio, commands
// pipelined, the atomic operations as Lua scripts (policy/lua/*.lua, embedded at build time)
// loaded at every (re)connect and called with EVALSHA (EVAL on NOSCRIPT).
//
// Completions run on the store's strand (made from the executor given to create()). The executor
// must keep running until the store is destroyed and a moment after (the destructor posts the
// shutdown; pending operations then complete with store_errc::shutting_down).
//
// Readiness: at every connect the server must have `appendonly yes` and
// `maxmemory-policy noeviction` (checked with INFO); otherwise every operation fails with
// store_errc::not_ready and health() says why. While disconnected, operations fail at once with
// store_errc::unavailable (fail closed) and the connection retries with exponential back-off.
//
// Suppressions live in 65,536 bucket hashes (docs/stores.md, "Suppressions"). They stay in
// Redis' compact listpack encoding only with hash-max-listpack-entries >= 512 and
// hash-max-listpack-value >= 64 (Redis' own defaults; do not lower them): the store reads both
// with CONFIG GET at every connect and adds a warning to health().detail when they are lower (it
// does not refuse: the cost is memory, not correctness).

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <system_error>

#include "policy/number_key.hpp"
#include "policy/store.hpp"

namespace policy {

struct redis_options {
  std::string url = "redis://127.0.0.1:6379/0";
  std::string key_prefix = "smsgw:";  // every key starts with it (tests use a unique prefix)
  std::string password;               // AUTH password from a file; when set it wins over the URL's
  std::shared_ptr<const number_secrets> secrets;  // required: seals E.164 at rest
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{2000};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
  bool require_durability = true;  // appendonly yes + noeviction; false only for experiments
  // Message hashes are RESTOREd as listpacks on Redis 7 and later (docs/stores.md, "Admission
  // script"); false: always in the hashtable form every version loads (for comparisons).
  bool listpack_payloads = true;
};

class redis_store final : public store {
 public:
  struct create_result {
    std::unique_ptr<redis_store> store;
    std::error_code ec;
    std::string error;
  };
  // Validates the options and starts connecting (asynchronously). Poll health() to know when it
  // is ready.
  static create_result create(boost::asio::any_io_executor ex, redis_options opts);
  // Required Redis settings for compact suppression buckets (about 10,000,000 numbers and more).
  static constexpr int min_hash_max_listpack_entries = 512;
  static constexpr int min_hash_max_listpack_value = 64;
  ~redis_store() override;

  void admit(admit_request req, store_callback<admit_result> cb) override;
  void admit_batch(std::vector<admit_request> reqs, store_callback<std::vector<admit_result>> cb) override;
  void suppress(suppression_record rec, store_callback<done> cb) override;
  void unsuppress(std::string number_key, std::string sender, store_callback<bool> cb) override;
  void is_suppressed(std::string number_key, std::string sender, opt_out_scope scope,
                     store_callback<bool> cb) override;
  bool has_suppression_feed() const noexcept override { return true; }
  void suppression_feed(std::string cursor, std::size_t max, store_callback<suppression_feed_page> cb) override;
  void grant_consent(consent_record rec, store_callback<done> cb) override;
  void revoke_consent(consent_record rec, store_callback<bool> cb) override;
  void lookup_number(std::string number_key, store_callback<number_facts> cb) override;
  void get_message(std::string id, store_callback<std::optional<message_record>> cb) override;
  void set_status(status_update u, store_callback<status_result> cb) override;
  void correlate(std::string carrier, std::string carrier_message_id, std::int64_t now_ms,
                 store_callback<std::optional<std::string>> cb) override;
  void claim(claim_request req, store_callback<claim_result> cb) override;
  void complete(std::vector<completion> items, store_callback<std::vector<completion_result>> cb) override;
  void ack(std::string carrier, std::string message_id, std::string lease_id, store_callback<done> cb) override;
  void nack(std::string carrier, std::string message_id, std::string lease_id, std::int64_t retry_at_ms,
            std::string error, store_callback<done> cb) override;
  void reschedule(std::string carrier, std::string message_id, std::string lease_id, std::int64_t at_ms,
                  store_callback<done> cb) override;
  void idempotency_get(std::string key, std::int64_t now_ms,
                       store_callback<std::optional<idempotency_record>> cb) override;
  void idempotency_put(idempotency_record rec, std::int64_t now_ms, store_callback<idempotency_record> cb) override;
  void stats(std::string carrier, std::int64_t now_ms, store_callback<queue_stats> cb) override;
  void outbox_put(webhook_event ev, store_callback<done> cb) override;
  void outbox_claim(int max, std::int64_t lease_ms, std::int64_t now_ms,
                    store_callback<std::vector<webhook_event>> cb) override;
  void outbox_ack(std::string event_id, std::string lease_id, store_callback<done> cb) override;
  void outbox_retry(std::string event_id, std::string lease_id, std::int64_t next_attempt_ms, std::string error,
                    bool dead, store_callback<done> cb) override;
  void dead_letters(int max, store_callback<std::vector<webhook_event>> cb) override;
  void replay_dead_letter(std::string event_id, std::int64_t now_ms, store_callback<bool> cb) override;
  void health(store_callback<health_info> cb) override;
  void import_suppressions(std::vector<suppression_record> recs, store_callback<import_result> cb) override;
  void import_consents(std::vector<consent_record> recs, store_callback<import_result> cb) override;
  void export_suppressions(std::string cursor, int limit,
                           store_callback<export_page<suppression_record>> cb) override;
  void export_consents(std::string cursor, int limit, store_callback<export_page<consent_record>> cb) override;
  void erase_number(std::string number_key, std::string source, std::int64_t at_ms,
                    store_callback<erase_result> cb) override;
  void purge(purge_request req, store_callback<purge_result> cb) override;

  struct state;

 private:
  explicit redis_store(std::shared_ptr<state> s);
  std::shared_ptr<state> s_;
};

}  // namespace policy
