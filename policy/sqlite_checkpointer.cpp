#include "policy/sqlite_checkpointer.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>

namespace policy::detail {
namespace {

// Background rounds per request at most: each copies the frames committed during the previous
// one, so they shrink quickly while the writer is slower than the copy.
constexpr int max_rounds = 4;
// Left for the writer once at most this many frames remain (about 1 MiB with 4 KiB pages).
constexpr int writer_step_frames = 256;

}  // namespace

std::string sqlite_checkpointer::start(const std::string& path, int busy_timeout_ms, int threshold_pages,
                                       std::function<void()> wake_writer) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string error = "cannot open a checkpoint connection to " + path + ": " +
                        (db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return error;
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  // NORMAL: a checkpoint syncs the WAL before it copies and the database file after.
  sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  threshold_pages_ = std::max(1, threshold_pages);
  wake_writer_ = std::move(wake_writer);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sqlite-ckpt");
    run();
  });
  return {};
}

sqlite_checkpointer::~sqlite_checkpointer() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (db_) sqlite3_close_v2(db_);
}

void sqlite_checkpointer::committed(int wal_frames) {
  if (wal_frames < threshold_pages_ || busy_.exchange(true)) return;
  {
    std::lock_guard lk(mu_);
    requested_ = true;
  }
  cv_.notify_one();
}

bool sqlite_checkpointer::step_wanted() const { return writer_step_.load(); }

bool sqlite_checkpointer::finish_on_writer(sqlite3* db) {
  if (!writer_step_.exchange(false)) return false;
  // The writer holds no transaction here, so this copies everything committed: the next write
  // transaction then starts the WAL again from its beginning.
  sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  busy_ = false;
  return true;
}

void sqlite_checkpointer::run() {
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return requested_ || stopping_; });
      if (stopping_) return;
      requested_ = false;
    }
    copy_rounds();
  }
}

void sqlite_checkpointer::copy_rounds() {
  for (int round = 0; round < max_rounds; ++round) {
    int log = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc != SQLITE_OK) {
      // SQLITE_BUSY: another connection (smsgwctl, another process) is checkpointing; an I/O
      // error shows again at the writer's next commit. Either way: ask again after a commit.
      busy_ = false;
      return;
    }
    if (log - copied <= writer_step_frames) break;
  }
  // A checkpoint that did not reach the end of the WAL (the writer committed meanwhile) leaves
  // the database file unsynced: the final step syncs it, on the writer's thread, with every page
  // copied here still to be written to the disk. Syncing it here leaves the step only its own
  // few pages. (SQLite's own file handle: a descriptor of ours, once closed, would drop the
  // process's POSIX locks on the file.)
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file && file->pMethods) {
    file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
  }
  // Even when everything was copied, the writer has probably committed since: only a checkpoint
  // between two of its transactions leaves the WAL fully copied when the next one starts.
  writer_step_ = true;
  if (wake_writer_) wake_writer_();
}

}  // namespace policy::detail
