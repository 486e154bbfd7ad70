// WAL checkpoints of the SQLite store, run off the writer thread.
//
// SQLite's automatic checkpoint runs inside the COMMIT that crosses the WAL threshold, on the
// writer thread: it copies every WAL page into the database file and syncs that file, and every
// request waiting for the writer waits with it (10-35 ms for 10,000 pages on this machine's disk,
// the largest part of the SQLite store's accept latency p99; docs/performance.md). This class
// copies the bulk on its own thread and connection (a PASSIVE checkpoint, which never takes the
// write lock), and leaves the writer a short final step: the frames committed while it copied.
// After that step the WAL is fully copied and the writer's next transaction starts it again from
// the beginning, so the file stays bounded.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace policy::detail {

class sqlite_checkpointer {
 public:
  // Opens its own connection to `path` (already in WAL mode) and starts the thread, which copies
  // once the WAL holds `threshold_pages` frames. Returns an error text (and starts nothing) when
  // the connection cannot be opened. `wake_writer` is called (on the checkpoint thread) when the
  // final step is wanted.
  std::string start(const std::string& path, int busy_timeout_ms, int threshold_pages,
                    std::function<void()> wake_writer);
  ~sqlite_checkpointer();  // stops and joins the thread, closes the connection

  // The writer thread, after a commit that left `wal_frames` frames in the WAL: wakes the
  // background thread once `wal_frames` reaches the threshold. Cheap when already running.
  void committed(int wal_frames);

  // True when the writer should call finish_on_writer().
  bool step_wanted() const;

  // The writer thread, between transactions: runs the final step on the writer's connection
  // `db` when the background thread has asked for it (the frames committed while it copied).
  // Returns true when a step ran.
  bool finish_on_writer(sqlite3* db);

 private:
  void run();
  void copy_rounds();

  sqlite3* db_ = nullptr;
  int threshold_pages_ = 1;
  std::function<void()> wake_writer_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stopping_ = false;
  std::atomic<bool> busy_{false};          // a request is pending or the thread is copying
  std::atomic<bool> writer_step_{false};   // the writer should run the final step
};

}  // namespace policy::detail
