// WAL checkpoints of the SQLite store, run off the writer thread.
//
// SQLite's automatic checkpoint runs inside the COMMIT that crosses the WAL threshold, on the
// writer thread: it copies every WAL page into the database file and syncs that file, and every
// request waiting for the writer waits with it (10-35 ms for 10,000 pages on this machine's disk;
// docs/performance.md). This class copies on its own thread and connection (PASSIVE checkpoints,
// which never take the write lock):
//
// - in rounds, every `copy_pages` frames committed, each followed by a paced write-back of the
//   pages it copied (slices of the database file, one at a time, with pauses), so that the group
//   commits' WAL syncs never queue behind megabytes of database pages;
// - once the WAL holds `restart_pages` frames, quick rounds without write-back until one copies
//   only a few frames, one write-back of their pages, quick rounds again, then the writer's short
//   final step between two of its transactions: the frames committed since. After it the WAL is
//   fully copied and the database file synced (SQLite's own checkpoint rules), and the writer's
//   next transaction starts the WAL again from its beginning, so the file stays bounded. When a
//   round copies everything while the writer waits for work, the writer's next transaction
//   restarts the WAL without a final step.
//
// The write-back changes nothing SQLite's durability relies on: SQLite syncs the WAL before it
// copies, and the database file before the WAL can restart; writing copied pages to the disk
// earlier is what the kernel may do at any time.
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
  // Opens its own connection to `path` (already in WAL mode) and starts the thread (see above for
  // `restart_pages` and `copy_pages`; copy_pages is at most restart_pages). Returns an error text
  // (and starts nothing) when the connection cannot be opened. `wake_writer` is called (on the
  // checkpoint thread) when the final step is wanted.
  std::string start(const std::string& path, int busy_timeout_ms, int restart_pages, int copy_pages,
                    std::function<void()> wake_writer);
  ~sqlite_checkpointer();  // stops and joins the thread, closes the connection

  // The writer thread, after a commit that left `wal_frames` frames in the WAL: wakes the
  // background thread once copy_pages frames were committed since the last copy, or the WAL
  // reached restart_pages. Cheap when a round is already running.
  void committed(int wal_frames);

  // True when the writer should call finish_on_writer().
  bool step_wanted() const;

  // The writer thread, between transactions: runs the final step on the writer's connection
  // `db` when the background thread has asked for it (the frames committed since its last
  // round). Returns true when a step ran.
  bool finish_on_writer(sqlite3* db);

 private:
  void run();
  void copy_rounds();
  // One PASSIVE checkpoint: the frames it copied (-1: it failed, and the round is over).
  int copy();
  // Copies without write-back until one copies at most writer_step_frames (max_rounds at most);
  // false when a copy failed.
  bool copy_until_few();
  // The pages of the last copies, from the page cache to the disk; `paced`: with pauses.
  void write_back(bool paced);
  void write_failed(int err);  // a write-back error (errno): see the .cpp

  sqlite3* db_ = nullptr;
  int db_fd_ = -1;  // SQLite's descriptor of the database file (see database_fd), or -1
  int restart_pages_ = 1;
  int copy_pages_ = 1;
  std::function<void()> wake_writer_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stopping_ = false;
  bool restart_wanted_ = false;  // checkpoint thread only: the last copy saw restart_pages frames
  std::atomic<bool> stop_{false};          // stopping_, read without the mutex (write-back loop)
  std::atomic<bool> busy_{false};          // a round is requested or running, or a final step pending
  std::atomic<bool> writer_step_{false};   // the writer should run the final step
  std::atomic<int> backfilled_{0};         // frames of the WAL copied by the last checkpoint
  std::atomic<bool> own_copies_off_{false};  // after a write error: only the writer's final steps
};

}  // namespace policy::detail
