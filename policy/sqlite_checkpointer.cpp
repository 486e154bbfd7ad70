#include "policy/sqlite_checkpointer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace policy::detail {
namespace {

// Quick copies in a row at most (copy_until_few): each copies the frames committed during the
// previous one, so they shrink quickly while the writer is slower than the copy.
constexpr int max_rounds = 4;
// The restart is left to the writer once a round copied at most this many frames.
constexpr int writer_step_frames = 128;
// Bytes of the database file written back at a time after a copy (about 0.6 ms of this machine's
// disk when the whole slice is dirty).
constexpr off_t writeback_slice = 256 << 10;
// After each slice that wrote something, a pause this many times as long as the slice took: the
// database file has the disk at most half of the time, whatever the disk's speed.
constexpr int writeback_pause = 1;

// The descriptor of SQLite's own handle on the database file of `db`, or -1. SQLite has no call
// that returns it; its unix VFS keeps it after three pointers at the start of its file object,
// and the result is used only when it is a descriptor of the file at `path` (same device and
// inode). It is never closed here: closing any descriptor of the file would drop the process's
// POSIX locks on it.
int database_fd(sqlite3* db, const std::string& path) {
  sqlite3_file* file = nullptr;
  sqlite3_vfs* vfs = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file || !file->pMethods ||
      sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK || !vfs || !vfs->zName ||
      std::strncmp(vfs->zName, "unix", 4) != 0 || vfs->szOsFile < 64) {
    return -1;
  }
  struct unix_file_head {
    const sqlite3_io_methods* methods;
    sqlite3_vfs* vfs;
    void* inode;
    int fd;
  } head;
  std::memcpy(&head, file, sizeof head);
  struct stat ours {};
  struct stat theirs {};
  if (head.vfs != vfs || head.fd < 0 || ::fstat(head.fd, &ours) != 0 || ::stat(path.c_str(), &theirs) != 0 ||
      ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino) {
    return -1;
  }
  return head.fd;
}

}  // namespace

std::string sqlite_checkpointer::start(const std::string& path, int busy_timeout_ms, int restart_pages,
                                       int copy_pages, std::function<void()> wake_writer) {
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
  db_fd_ = database_fd(db_, path);
  restart_pages_ = std::max(1, restart_pages);
  copy_pages_ = std::clamp(copy_pages, 1, restart_pages_);
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
  stop_ = true;
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (db_) sqlite3_close_v2(db_);
}

void sqlite_checkpointer::committed(int wal_frames) {
  if (busy_.load()) return;
  // Frames committed since the last copy. Below the last copy's end the WAL has restarted from
  // its beginning: every frame in it is new.
  const int copied = backfilled_.load();
  const int fresh = wal_frames >= copied ? wal_frames - copied : wal_frames;
  if (fresh < copy_pages_ && wal_frames < restart_pages_) return;
  if (busy_.exchange(true)) return;
  if (own_copies_off_.load()) {
    // After a write error seen by this thread's descriptor (see write_back): every checkpoint is
    // the writer's own, on its own descriptor, at the restart threshold (the writer checks for
    // the step right after this commit).
    if (wal_frames >= restart_pages_) {
      writer_step_ = true;
    } else {
      busy_ = false;
    }
    return;
  }
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
  int log = 0, copied = 0;
  sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  backfilled_ = copied;
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
  const int fresh = copy();
  if (fresh < 0) return;
  // This round's pages (up to copy_pages frames) go to the disk now, paced.
  write_back(true);
  if (!restart_wanted_) {  // the WAL goes on: this copy only keeps the file close behind
    busy_ = false;
    return;
  }
  // A WAL restart: quick copies until few frames are left, their pages (a few hundred) to the
  // disk at once, quick copies again, then the writer's final step, which copies (and syncs) only
  // what was committed during the last copy. With a single copy after that write-back, the step
  // found hundreds of frames (at 2,500 messages/s: about 550, 27-55 ms with every request
  // waiting; about 100 and 2-3 ms with the copies repeated). After a write error on this thread's
  // descriptor the final step does it all (write_failed).
  if (!own_copies_off_) {
    if (fresh > writer_step_frames && !copy_until_few()) return;
    write_back(false);
    if (!copy_until_few()) return;
  }
  // Even when everything was copied, the writer has probably committed since: only a checkpoint
  // between two of its transactions leaves the WAL fully copied when the next one starts.
  writer_step_ = true;
  if (wake_writer_) wake_writer_();
}

bool sqlite_checkpointer::copy_until_few() {
  for (int round = 0; round < max_rounds; ++round) {
    const int fresh = copy();
    if (fresh < 0) return false;
    if (fresh <= writer_step_frames) break;
  }
  return true;
}

int sqlite_checkpointer::copy() {
  int log = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc != SQLITE_OK) {
    // SQLITE_BUSY: another connection (smsgwctl, another process) is checkpointing; an I/O
    // error shows again at the writer's next commit. Either way: ask again after a commit.
    busy_ = false;
    return -1;
  }
  const int before = backfilled_.load();
  backfilled_ = copied;
  restart_wanted_ = log >= restart_pages_;
  return copied >= before ? copied - before : copied;  // below: the WAL restarted meanwhile
}

void sqlite_checkpointer::write_back(bool paced) {
  // SQLite syncs the database file only after a copy that reached the end of the WAL as it is at
  // the end of the copy (nothing committed meanwhile); otherwise the pages copied stay dirty in
  // the page cache until a later sync (the writer's final step, at the latest) writes them all at
  // once, and every WAL sync of the group commits waits behind them. Written back here in slices,
  // each waited for before the next is queued: a WAL sync waits behind one slice at most. No
  // flush: the database file is synced before the WAL restarts (SQLite's final checkpoint), and
  // until then the WAL holds every page.
  if (db_fd_ >= 0) {
    struct stat st {};
    if (::fstat(db_fd_, &st) == 0) {
      for (off_t off = 0; off < st.st_size && !stop_.load(std::memory_order_relaxed); off += writeback_slice) {
        const auto start = std::chrono::steady_clock::now();
        if (::sync_file_range(db_fd_, off, writeback_slice,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0 &&
            errno != EINTR) {
          write_failed(errno);
          return;
        }
        // A slice without dirty pages takes microseconds: no pause after it.
        const auto took = std::chrono::steady_clock::now() - start;
        if (paced && took > std::chrono::microseconds(100)) std::this_thread::sleep_for(took * writeback_pause);
      }
    }
  } else {
    // Not SQLite's unix file: sync it whole (SQLite's own handle).
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file && file->pMethods &&
        file->pMethods->xSync(file, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
      write_failed(EIO);
    }
  }
}

void sqlite_checkpointer::write_failed(int err) {
  if (err == EINVAL || err == ESPIPE || err == ENOSYS || err == EOPNOTSUPP) {
    db_fd_ = -1;  // no sync_file_range on this file system: plain syncs from now on
    return;
  }
  // A write error reported to this descriptor is reported to it once (Linux keeps one error
  // cursor per open file): SQLite's next sync of the database file on this connection would
  // succeed, and a copy that reached the end of the WAL would let the WAL restart over pages that
  // never reached the disk. So this connection copies no more; every later checkpoint is the
  // writer's final step, whose descriptor still reports the error to SQLite (which then keeps
  // the WAL), exactly as without this thread.
  own_copies_off_ = true;
}

}  // namespace policy::detail
