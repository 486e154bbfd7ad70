#pragma once

// Embedded store on SQLite (docs/stores.md): WAL, prepared statements, versioned migrations
// (PRAGMA user_version) and one writer thread that runs every request and commits them in groups:
// requests that arrive while a group runs share the next one. A second thread (the sync thread)
// fdatasyncs the WAL after each commit and only then runs that group's completions, while the
// writer already runs the next group: a completion still means "durable".
// Several sqlite_store instances (or processes) may open the same file; SQLite's write lock
// (BEGIN IMMEDIATE + busy timeout) serialises their transactions, so caps hold across them.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "policy/number_key.hpp"
#include "policy/store.hpp"

namespace policy {

struct sqlite_options {
  std::string path;  // the database file (created with its directory when missing)
  std::shared_ptr<const number_secrets> secrets;  // seals E.164 at rest; required
  // Where completions run. Empty: on the store's sync thread (they must then be quick and must
  // not wait for another store operation). Otherwise each completion is handed to post().
  std::function<void(std::function<void()>)> post;
  int max_batch = 64;            // requests per transaction at most
  bool synchronous_full = true;  // the WAL is synced after every commit, before its completions;
                                 // false = NORMAL (WAL: survives a crash of the process, not a
                                 // power loss)
  int busy_timeout_ms = 5000;    // waiting for another connection's write lock
  // Bytes of the database file read through a memory map (PRAGMA mmap_size; 0 = pread only).
  // Clean file pages, shared with the OS page cache: they count in RSS (RssFile) once touched.
  std::int64_t mmap_bytes = 512LL << 20;
  // Page cache of the store's connection, in KiB (PRAGMA cache_size). It holds the pages written
  // recently (reads come through the map). Kept small on purpose: at every commit in which a
  // B-tree balance renumbered a page, SQLite scans the whole cache's hash table, whose size
  // follows the most pages the cache ever held; at 64 MiB a long-running gateway's commits got
  // slower as the cache filled (docs/performance.md, "SQLite page cache in long runs").
  int cache_kib = 4096;
  // Checkpoints (docs/stores.md, "Checkpoints"), on a thread of their own: every
  // checkpoint_copy_pages WAL pages committed, the new pages are copied into the database file
  // and written back to the disk in paced slices; once the WAL holds checkpoint_pages pages, the
  // writer copies what was committed since the last copy, between two transactions, and the WAL
  // starts again from its beginning. The WAL file stays near checkpoint_pages pages (32 MiB with
  // 2 KiB pages) plus what is committed during the last copies.
  int checkpoint_pages = 16384;
  int checkpoint_copy_pages = 4096;
  // Page size of a new database file (PRAGMA page_size; 0 = SQLite's default, 4096). An existing
  // file keeps the size it was created with. Every row written at a random place of a B-tree
  // (the indexes keyed by number) costs one page in the WAL: 2048 writes about a fifth fewer WAL
  // bytes per message than 4096, as long as a message row stays under about 490 bytes (its text
  // under about 230); longer rows spill into overflow pages (docs/stores.md, "Page size").
  int page_size = 2048;
  // Each WAL commit written with one system call instead of two per page (policy/sqlite_wal_vfs.hpp;
  // docs/stores.md, "WAL writes"). false: SQLite's default VFS writes every frame itself.
  bool coalesce_wal_writes = true;
  // Least time from the start of one WAL sync to the start of the next, in microseconds (0: sync
  // as soon as a group is committed). The requests that arrive meanwhile join the writer's open
  // transaction, so under a steady load there are fewer, larger groups and at most this many
  // fdatasync calls a second; an isolated request is not delayed. With 1,000 at 2,500 messages/s
  // on this machine the p99 accept latency halved, for about 1 ms more at the median
  // (docs/stores.md, "Group commit"; docs/performance.md, "Syncs at most every millisecond").
  int min_sync_interval_us = 1000;
};

class sqlite_store final : public store {
 public:
  struct open_result {
    std::unique_ptr<sqlite_store> store;
    std::error_code ec;
    std::string error;  // human-readable cause when store is empty
  };
  // Opens (creates) the file, sets WAL, migrates the schema to the current version, starts the
  // writer thread. Synchronous; call at start-up.
  static open_result open(sqlite_options opts);

  static constexpr int schema_version = 3;

  ~sqlite_store() override;  // completes pending requests, joins the writer and sync threads

  void admit(admit_request req, store_callback<admit_result> cb) override;
  void admit_batch(std::vector<admit_request> reqs, store_callback<std::vector<admit_result>> cb) override;
  void suppress(suppression_record rec, store_callback<done> cb) override;
  void unsuppress(std::string number_key, std::string sender, store_callback<bool> cb) override;
  void is_suppressed(std::string number_key, std::string sender, opt_out_scope scope,
                     store_callback<bool> cb) override;
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

  class impl;

 private:
  explicit sqlite_store(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace policy
