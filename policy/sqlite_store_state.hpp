#pragma once

// The state shared by the SQLite store's files (internal to policy): the prepared-statement
// helper, the jobs the writer thread runs, and the store's implementation class
// (docs/stores.md, "SQLite").
//   sqlite_schema.hpp          the schema migrations
//   sqlite_writer.cpp          open, the writer thread (group commit), the sync thread
//   sqlite_store.cpp           open(), numbers (suppressions, consents), idempotency, outbox, health
//   sqlite_store_admit.cpp     admissions (admit_one)
//   sqlite_store_queue.cpp     claim, complete, ack, nack, reschedule, queue stats, messages,
//                              statuses, correlations
//   sqlite_store_tooling.cpp   imports, exports, erasure, purge
//   sqlite_checkpointer.*      the checkpoint thread; sqlite_wal_vfs.*: one write per WAL commit

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "policy/sqlite_checkpointer.hpp"
#include "policy/sqlite_store.hpp"

namespace policy {

namespace sqlite_detail {

// SQLite failures inside a job: converted to store_errc::io_error at the job boundary.
struct sql_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A cached prepared statement in use: bound, stepped, reset on destruction.
class query {
 public:
  query(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  query(const query&) = delete;
  query& operator=(const query&) = delete;
  ~query() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  query& bind(int i, std::string_view v) {
    // A null data pointer would bind SQL NULL: empty strings stay empty strings.
    check(sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  // For values that outlive the step (the statement is reset before they change): no copy.
  query& bind_static(int i, std::string_view v) {
    check(sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC));
    return *this;
  }
  query& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  query& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  // true: a row is available; false: done.
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw sql_failure(sqlite3_errmsg(db_));
  }
  void run() {
    while (step()) {
    }
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string str(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }
  // Valid until the next step or reset.
  std::string_view view(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string_view();
  }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  // Ready to be bound and stepped again (bulk loops reuse one statement).
  void reset() { sqlite3_reset(s_); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw sql_failure(sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
};

}  // namespace sqlite_detail

#define SMSGW_MSG_COLS                                                                             \
  "id, number_key, e164_sealed, carrier, sender, text, category, campaign, client_ref, segments, " \
  "encoding, status, carrier_message_id, error, created_ms, updated_ms, send_at_ms, "            \
  "valid_until_ms, attempts, scope, api_key"

// A request waiting for the writer thread.
struct sqlite_job {
  virtual ~sqlite_job() = default;
  // Runs inside the group transaction; false = failed (its changes are undone: see run_group).
  virtual bool execute(sqlite_store::impl& s) = 0;
  // After the commit (or its failure): hand the completion to the completion executor.
  virtual void complete(sqlite_store::impl& s, std::error_code commit_ec) = 0;
};

class sqlite_store::impl {
 public:
  using query = sqlite_detail::query;

  explicit impl(sqlite_options o);  // sqlite_writer.cpp
  ~impl();                          // sqlite_writer.cpp

  // Opens the file, migrates the schema, starts the threads; an error message or empty.
  std::string open_db();  // sqlite_writer.cpp

  void submit(std::unique_ptr<sqlite_job> j);
  void deliver(std::function<void()> fn);

  // --- helpers used by the operations (writer thread only) ---

  void exec(const char* sql);  // sqlite_writer.cpp
  int user_version();          // sqlite_writer.cpp

  // `sql` must be a string literal: its address keys the statement cache.
  query prepare(const char* sql);

  int changes() const { return sqlite3_changes(db_); }

  // Bulk imports: a page cache of 256 MiB (instead of SQLite's 2 MiB) for this connection, so
  // that a batch's B-tree pages are written once per transaction instead of being spilled.
  void bulk_load_cache();  // sqlite_writer.cpp

  std::string seal(const std::string& e164) const {
    return e164.empty() || !opts_.secrets ? std::string() : opts_.secrets->seal(e164);
  }
  std::string unseal(const std::string& sealed) const { return unseal_with(opts_.secrets.get(), sealed); }
  // A sealed E.164 opened; empty when there is none or no secret to open it with.
  static std::string unseal_with(const number_secrets* secrets, const std::string& sealed) {
    if (sealed.empty() || !secrets) return {};
    return secrets->open(sealed).value_or(std::string());
  }
  const std::shared_ptr<const number_secrets>& secrets() const { return opts_.secrets; }
  std::string new_lease_id() { return instance_tag_ + "-" + std::to_string(++lease_counter_); }

  message_record read_message(const query& q, bool open_e164 = true) const;  // sqlite_store_queue.cpp

  std::optional<message_record> load_message(const std::string& id);  // sqlite_store_queue.cpp

  // Forward-only status move (see the definition for `carrier_hint`).
  status_result apply_status(const status_update& u,
                             const std::string* carrier_hint = nullptr);  // sqlite_store_queue.cpp

  void record_correlation(const status_update& u, const std::string& carrier);  // sqlite_store_queue.cpp

  void put_event(const webhook_event& ev);  // sqlite_store.cpp

  bool suppressed(const std::string& number_key, const std::string& sender,
                  opt_out_scope scope);  // sqlite_store.cpp

  admit_result admit_one(const admit_request& r);  // sqlite_store_admit.cpp
  std::int64_t cap_free_at(const admit_request& r, const cap_rule& c);  // sqlite_store_admit.cpp

  std::string health_detail();  // sqlite_writer.cpp

 private:
  // A committed transaction's jobs, waiting for the WAL sync before their completions.
  struct sync_group {
    std::vector<std::unique_ptr<sqlite_job>> jobs;
    std::error_code ec;  // the transaction's own error (then no sync is awaited)
  };

  // The writer and sync threads and the group commit: sqlite_writer.cpp.
  void run();
  void sync_run();
  static int on_wal_commit(void* self, sqlite3*, const char*, int wal_frames);
  std::size_t max_batch() const { return static_cast<std::size_t>(std::max(1, opts_.max_batch)); }
  void take(std::deque<std::unique_ptr<sqlite_job>>& out, std::size_t n);
  std::error_code run_group(std::deque<std::unique_ptr<sqlite_job>>& waiting,
                            std::vector<std::unique_ptr<sqlite_job>>& done);
  bool run_cached(const char* sql) noexcept;

  sqlite_options opts_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const void*, sqlite3_stmt*> stmts_;
  std::string instance_tag_;
  std::uint64_t lease_counter_ = 0;
  bool bulk_cache_ = false;

  std::unique_ptr<detail::sqlite_checkpointer> checkpointer_;  // WAL mode only
  bool own_sync_ = false;    // the sync thread fdatasyncs wal_fd_ (synchronous_full in WAL mode)
  int wal_fd_ = -1;
  bool sync_failed_ = false;  // sync thread only; sticky

  std::mutex mu_;
  std::condition_variable cv_;       // the writer waits for jobs (or for the end)
  std::condition_variable sync_cv_;  // the sync thread waits for committed groups
  std::deque<std::unique_ptr<sqlite_job>> queue_;
  std::deque<sync_group> pending_;   // committed, waiting for the sync thread
  bool sync_busy_ = false;           // the sync thread holds groups it has not completed yet
  std::chrono::steady_clock::time_point next_sync_;  // the writer commits no earlier (min_sync_interval_us)
  bool writer_done_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::thread sync_thread_;
};

// Defined here so that the operations' calls stay inline-able (they run per request).

inline void sqlite_store::impl::submit(std::unique_ptr<sqlite_job> j) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(j));
  }
  cv_.notify_one();
}

inline void sqlite_store::impl::deliver(std::function<void()> fn) {
  if (opts_.post) {
    opts_.post(std::move(fn));
  } else {
    fn();
  }
}

inline sqlite_store::impl::query sqlite_store::impl::prepare(const char* sql) {
  auto it = stmts_.find(sql);
  if (it == stmts_.end()) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
      throw sqlite_detail::sql_failure(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    }
    it = stmts_.emplace(sql, st).first;
  }
  return query(db_, it->second);
}

namespace sqlite_detail {

template <class R>
class typed_job final : public sqlite_job {
 public:
  using fn_t = std::function<R(sqlite_store::impl&, std::error_code&)>;
  typed_job(fn_t fn, store_callback<R> cb) : fn_(std::move(fn)), cb_(std::move(cb)) {}

  // May run twice (a group that is redone with savepoints): starts from a clean state.
  bool execute(sqlite_store::impl& s) override {
    ec_ = {};
    try {
      result_ = fn_(s, ec_);
    } catch (const sql_failure&) {
      ec_ = store_errc::io_error;
    }
    return !ec_;
  }

  void complete(sqlite_store::impl& s, std::error_code commit_ec) override {
    std::error_code ec = commit_ec ? commit_ec : ec_;
    R r = ec ? R{} : std::move(result_);
    s.deliver([cb = std::move(cb_), ec, r = std::move(r)]() mutable { cb(ec, std::move(r)); });
  }

 private:
  fn_t fn_;
  store_callback<R> cb_;
  R result_{};
  std::error_code ec_;
};

}  // namespace sqlite_detail

// Queues one job whose body runs on the writer thread inside the group transaction.
#define SMSGW_SUBMIT(R, CB, ...)                                 \
  impl_->submit(std::make_unique<sqlite_detail::typed_job<R>>( \
      [=](sqlite_store::impl& s, std::error_code& ec) mutable -> R __VA_ARGS__, std::move(CB)))

}  // namespace policy
