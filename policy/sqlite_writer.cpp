// The SQLite store's connection and threads: open (pragmas, migrations, checkpointer), the
// writer thread that runs the jobs in group transactions, and the sync thread that makes each
// committed group durable before its completions (docs/stores.md, "SQLite").

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <filesystem>
#include <random>

#include "policy/sqlite_schema.hpp"
#include "policy/sqlite_store_state.hpp"
#include "policy/sqlite_wal_vfs.hpp"

namespace policy {

using sqlite_detail::migrations;
using sqlite_detail::sql_failure;

sqlite_store::impl::impl(sqlite_options o) : opts_(std::move(o)) {
  std::random_device rd;
  instance_tag_ = std::to_string(rd()) + std::to_string(rd());
}

sqlite_store::impl::~impl() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // The writer stops once the queue is empty and the sync thread has completed everything
  // (a completion may queue a new request); then the sync thread stops.
  if (thread_.joinable()) thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  checkpointer_.reset();
  if (wal_fd_ >= 0) ::close(wal_fd_);
  for (auto& [_, st] : stmts_) sqlite3_finalize(st);
  if (db_) sqlite3_close_v2(db_);
}

std::string sqlite_store::impl::open_db() {
  std::error_code fec;
  std::filesystem::path p(opts_.path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), fec);
  if (sqlite3_open_v2(opts_.path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      opts_.coalesce_wal_writes ? detail::coalescing_wal_vfs() : nullptr) != SQLITE_OK) {
    return "cannot open SQLite database " + opts_.path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
  }
  sqlite3_busy_timeout(db_, opts_.busy_timeout_ms);
  bool wal_mode = false;
  try {
    std::string mode;
    {
      // Only a file without tables takes it (before WAL mode is set); an existing file keeps its
      // page size. Smaller pages: fewer WAL bytes per row written at a random place
      // (docs/stores.md, "Page size").
      if (opts_.page_size > 0) exec(("PRAGMA page_size=" + std::to_string(opts_.page_size)).c_str());
      query q = prepare("PRAGMA journal_mode=WAL");
      if (q.step()) mode = q.str(0);
    }
    // synchronous_full: the sync thread fdatasyncs the WAL after each commit and before the
    // completions (see run()); SQLite itself then needs only NORMAL (it still syncs the WAL
    // before a checkpoint, the database after it, and the WAL header when it restarts). Without
    // a WAL file to sync (not in WAL mode), SQLite syncs at every commit itself (FULL).
    wal_mode = mode == "wal";
    own_sync_ = opts_.synchronous_full && wal_mode;
    exec(opts_.synchronous_full && !own_sync_ ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=OFF");
    // A group redone with a SAVEPOINT per job (see run_group) copies every page a job changes
    // into a sub-journal; on disk (the default once it passes 64 KiB) that is a pwrite per
    // page and job. In memory it is a memcpy; durability does not depend on it
    // (docs/stores.md, "SQLite").
    exec("PRAGMA temp_store=MEMORY");
    // The page cache: see sqlite_options::cache_kib.
    exec(("PRAGMA cache_size=-" + std::to_string(std::max(64, opts_.cache_kib))).c_str());
    // Pages of the database file are read through a memory map (writes still go through
    // pwrite and the WAL): a read-only page (the suppression and consent lookups of every
    // admission) is then no pread, no copy and no page-cache entry, and the page cache holds
    // only the pages of recent writes. That cache is scanned whole at every commit that
    // renumbered a page in a B-tree balance (SQLite's pager truncates it to the database size),
    // so it must stay small (docs/performance.md, "SQLite end to end").
    exec(("PRAGMA mmap_size=" + std::to_string(std::max<std::int64_t>(0, opts_.mmap_bytes))).c_str());
    exec("BEGIN IMMEDIATE");
    int version = user_version();
    if (version > sqlite_store::schema_version) {
      exec("ROLLBACK");
      return "SQLite database " + opts_.path + " has schema version " + std::to_string(version) +
             ", newer than this build (" + std::to_string(sqlite_store::schema_version) + ")";
    }
    for (int v = version; v < sqlite_store::schema_version; ++v) {
      exec(migrations[v]);
      exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
    }
    exec("COMMIT");
    if (own_sync_) {
      // The WAL exists once a transaction has run in WAL mode. Our own descriptor: fdatasync
      // flushes the file's data whichever descriptor asks (Linux), and the file stays while
      // this connection is open (only the last connection to close deletes it).
      const char* wal = sqlite3_filename_wal(sqlite3_db_filename(db_, "main"));
      wal_fd_ = wal ? ::open(wal, O_RDWR | O_CLOEXEC) : -1;
      if (wal_fd_ < 0) {
        own_sync_ = false;
        exec("PRAGMA synchronous=FULL");
      }
    }
  } catch (const sql_failure& e) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return "SQLite database " + opts_.path + ": " + e.what();
  }
  // Checkpoints run by the checkpoint thread instead of inside the writer's COMMIT: copies every
  // checkpoint_copy_pages WAL pages with a paced write-back, a WAL restart every
  // checkpoint_pages (16,384 = 32 MiB with 2 KiB pages, instead of SQLite's 1,000), the writer
  // only copying what was committed since the last copy (sqlite_checkpointer.hpp). SQLite's own
  // automatic checkpoint (every checkpoint_pages) stays the fallback.
  if (wal_mode) {
    auto cp = std::make_unique<detail::sqlite_checkpointer>();
    if (cp->start(opts_.path, opts_.busy_timeout_ms, opts_.checkpoint_pages, opts_.checkpoint_copy_pages, [this] {
          { std::lock_guard lk(mu_); }
          cv_.notify_all();
        }).empty()) {
      checkpointer_ = std::move(cp);
    }
  }
  if (checkpointer_) {
    sqlite3_wal_hook(db_, &impl::on_wal_commit, this);
  } else {
    sqlite3_wal_autocheckpoint(db_, std::max(1, opts_.checkpoint_pages));
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sqlite-writer");
    run();
  });
  sync_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sqlite-sync");
    sync_run();
  });
  return {};
}

void sqlite_store::impl::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw sql_failure(msg);
  }
}

int sqlite_store::impl::user_version() {
  query q = prepare("PRAGMA user_version");
  return q.step() ? static_cast<int>(q.i64(0)) : 0;
}

void sqlite_store::impl::bulk_load_cache() {
  if (bulk_cache_) return;
  exec("PRAGMA cache_size=-262144");
  bulk_cache_ = true;
}

std::string sqlite_store::impl::health_detail() {
  query q = prepare("PRAGMA journal_mode");
  std::string mode = q.step() ? q.str(0) : "?";
  return "sqlite " + std::string(sqlite3_libversion()) + ", schema v" + std::to_string(user_version()) +
         ", journal " + mode + (own_sync_ ? ", WAL synced before completions" : "") + ", " + opts_.path;
}

// The writer thread: runs the jobs in group transactions and hands each committed group to
// the sync thread, then goes on with the next group while the WAL is being synced.
void sqlite_store::impl::run() {
  std::deque<std::unique_ptr<sqlite_job>> waiting;  // taken from queue_, not run yet
  for (;;) {
    if (checkpointer_) checkpointer_->finish_on_writer(db_);
    if (waiting.empty()) {
      std::unique_lock lk(mu_);
      const auto drained = [&] { return stopping_ && pending_.empty() && !sync_busy_; };
      cv_.wait(lk, [&] {
        return !queue_.empty() || drained() || (checkpointer_ && checkpointer_->step_wanted());
      });
      if (queue_.empty()) {
        if (drained()) break;  // stopping, drained and completed
        continue;              // woken for the checkpoint's final step
      }
      take(waiting, max_batch());
    }
    sync_group g;
    g.ec = run_group(waiting, g.jobs);
    {
      std::lock_guard lk(mu_);
      pending_.push_back(std::move(g));
    }
    sync_cv_.notify_one();
  }
  {
    std::lock_guard lk(mu_);
    writer_done_ = true;
  }
  sync_cv_.notify_one();
}

// The sync thread: makes the committed groups durable (one fdatasync of the WAL for every group
// waiting), then completes their jobs in commit order. A completion therefore still means
// "durable", and a later group's completion never comes before an earlier group's.
void sqlite_store::impl::sync_run() {
  for (;;) {
    std::deque<sync_group> groups;
    {
      std::unique_lock lk(mu_);
      sync_cv_.wait(lk, [&] { return writer_done_ || !pending_.empty(); });
      if (pending_.empty()) return;
      groups.swap(pending_);
      sync_busy_ = true;
      next_sync_ = std::chrono::steady_clock::now() + std::chrono::microseconds(opts_.min_sync_interval_us);
    }
    if (own_sync_ && !sync_failed_) {
      // Every round, even for groups that only read: they may have read another connection's
      // commit that is not synced yet (SQLite's FULL never shows unsynced commits).
      int rc;
      do {
        rc = ::fdatasync(wal_fd_);
      } while (rc != 0 && errno == EINTR);
      // After a failed fsync the kernel may have dropped the dirty pages: nothing written
      // since can be trusted, so every later group fails too (fail closed).
      if (rc != 0) sync_failed_ = true;
    }
    const std::error_code sync_ec = sync_failed_ ? make_error_code(store_errc::io_error) : std::error_code();
    for (auto& g : groups) {
      for (auto& j : g.jobs) j->complete(*this, g.ec ? g.ec : sync_ec);
    }
    groups.clear();
    {
      std::lock_guard lk(mu_);
      sync_busy_ = false;
    }
    cv_.notify_one();
  }
}

// SQLite's WAL hook, on the writer thread after each commit.
int sqlite_store::impl::on_wal_commit(void* self, sqlite3*, const char*, int wal_frames) {
  static_cast<impl*>(self)->checkpointer_->committed(wal_frames);
  return SQLITE_OK;
}

// Moves up to `n` queued jobs into `out` (mu_ held).
void sqlite_store::impl::take(std::deque<std::unique_ptr<sqlite_job>>& out, std::size_t n) {
  n = std::min(n, queue_.size());
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

// Runs jobs from `waiting` (refilled from the queue) in one transaction, moving each one into
// `done`, and commits. The group ends when nothing is waiting or at max_batch.
//
// The jobs run without savepoints (a SAVEPOINT per job costs a copy of every page it changes).
// A job that fails after changing rows cannot be undone alone then: the transaction is rolled
// back and the same jobs run again, each in its own SAVEPOINT, so that only the failing one is
// undone. Returns the group's error.
std::error_code sqlite_store::impl::run_group(std::deque<std::unique_ptr<sqlite_job>>& waiting,
                                              std::vector<std::unique_ptr<sqlite_job>>& done) {
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    // Another connection held the write lock beyond the busy timeout, or I/O failed.
    for (auto& j : waiting) done.push_back(std::move(j));
    waiting.clear();
    return store_errc::unavailable;
  }
  bool redo = false;
  while (!waiting.empty()) {
    const auto before = sqlite3_total_changes64(db_);
    const bool ok = waiting.front()->execute(*this);
    done.push_back(std::move(waiting.front()));
    waiting.pop_front();
    // A failure that changed nothing (lease_lost, a refused update) needs no undo.
    if (!ok && sqlite3_total_changes64(db_) != before) {
      redo = true;
      break;
    }
    if (sqlite3_get_autocommit(db_)) return store_errc::io_error;  // SQLite rolled back (I/O error)
    if (done.size() >= max_batch()) break;
    if (waiting.empty()) {
      // Nothing queued: commit now, unless the sync thread is still syncing an earlier
      // group. A commit made now would only wait for that sync to end; jobs arriving in the
      // meantime join this transaction instead, and it commits when the sync thread is free
      // (one commit per sync: fewer WAL frames and page-cache scans per job), and not before
      // min_sync_interval_us since the last sync began (the sync follows the commit at once).
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return !queue_.empty() || stopping_ || (pending_.empty() && !sync_busy_); });
      if (queue_.empty() && !stopping_ && own_sync_) {
        cv_.wait_until(lk, next_sync_, [&] { return !queue_.empty() || stopping_; });
      }
      take(waiting, max_batch() - done.size());
    }
  }
  if (redo) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return store_errc::unavailable;
    for (auto& j : done) {
      bool ok = run_cached("SAVEPOINT job") && j->execute(*this);
      if (!ok) run_cached("ROLLBACK TO job");
      run_cached("RELEASE job");
      if (sqlite3_get_autocommit(db_)) return store_errc::io_error;
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return store_errc::io_error;
  }
  return {};
}

bool sqlite_store::impl::run_cached(const char* sql) noexcept {
  try {
    prepare(sql).run();
    return true;
  } catch (const sql_failure&) {
    return false;
  }
}

}  // namespace policy
