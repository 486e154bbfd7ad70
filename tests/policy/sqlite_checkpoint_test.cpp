// The SQLite store's WAL checkpoints (policy/sqlite_checkpointer.*, docs/stores.md "Checkpoints"):
// the checkpoint thread copies the WAL into the database file in small rounds while the writer
// goes on, the writer restarts the WAL every `checkpoint_pages` frames, and none of it may lose a
// completed admission or leave an inconsistent file, whenever the process dies.

#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;
constexpr int per_batch = 20;

std::string message_id(int n) { return "m" + std::to_string(n); }

std::vector<admit_request> batch(int first) {
  std::vector<admit_request> reqs;
  for (int n = first; n < first + per_batch; ++n) {
    reqs.push_back(base_request(message_id(n), "+1415" + std::to_string(2000000 + n), t0 + n));
  }
  return reqs;
}

std::unique_ptr<sqlite_store> open_store(const sqlite_backend& b, int checkpoint_pages, int copy_pages) {
  sqlite_options o;
  o.path = b.file().string();
  o.secrets = test_secrets();
  o.checkpoint_pages = checkpoint_pages;
  o.checkpoint_copy_pages = copy_pages;
  auto r = sqlite_store::open(o);
  EXPECT_TRUE(r.store) << r.error;
  return std::move(r.store);
}

// The two counters of the WAL index (the `-shm` file, SQLite's documented wal-index format):
// frames in the WAL (mxFrame, bytes 16-19 of the header) and frames already copied into the
// database file (nBackfill, bytes 96-99), native byte order.
struct wal_index {
  std::uint32_t frames = 0;
  std::uint32_t copied = 0;
};
wal_index read_wal_index(const std::filesystem::path& db) {
  std::ifstream in(db.string() + "-shm", std::ios::binary);
  char buf[100] = {};
  in.read(buf, sizeof buf);
  wal_index w;
  if (in.gcount() == sizeof buf) {
    std::memcpy(&w.frames, buf + 16, 4);
    std::memcpy(&w.copied, buf + 96, 4);
  }
  return w;
}

// The WAL restart threshold is never reached here (a huge checkpoint_pages). Before, nothing was
// copied into the database file until that threshold (3,871 of 3,871 frames waiting after these
// 2,000 admissions); now the checkpoint thread copies in rounds of checkpoint_copy_pages frames
// while the writes go on, so the part of the WAL not yet in the database file stays small (and
// when a round copies everything while the writer waits for work, the writer's next transaction
// restarts the WAL by itself).
TEST(SqliteCheckpoint, TheDatabaseFileIsKeptCloseBehindTheWal) {
  sqlite_backend b;
  auto s = open_store(b, 1 << 30, 64);
  ASSERT_TRUE(s);
  for (int i = 0; i < 100; ++i) {
    auto [ec, res] = call<std::vector<admit_result>>([&](auto cb) { s->admit_batch(batch(i * per_batch), cb); });
    ASSERT_FALSE(ec) << ec.message();
  }
  // The last round may still be running: wait for it (bounded), then compare.
  wal_index w;
  for (int i = 0; i < 200; ++i) {
    w = read_wal_index(b.file());
    if (w.frames > 0 && w.copied + 1000 >= w.frames) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(w.frames, 0u);
  EXPECT_GE(w.copied + 1000, w.frames) << "copied " << w.copied << " of " << w.frames;
}

// Continuous writes: eight batches always in flight, so that the writer never waits for work and
// every WAL restart is the writer's final step. Copies of 16 frames, a restart every 256: the WAL
// file stays near 256 frames, and every admission is there after a reopen.
TEST(SqliteCheckpoint, TheWalStaysBoundedUnderContinuousWrites) {
  sqlite_backend b;
  constexpr int batches = 1600, in_flight = 8;
  const std::filesystem::path wal = b.file().string() + "-wal";
  std::uintmax_t wal_peak = 0;
  {
    auto s = open_store(b, 256, 16);
    ASSERT_TRUE(s);
    std::deque<std::future<std::error_code>> pending;
    for (int i = 0; i < batches; ++i) {
      auto p = std::make_shared<std::promise<std::error_code>>();
      pending.push_back(p->get_future());
      s->admit_batch(batch(i * per_batch), [p](std::error_code ec, auto) { p->set_value(ec); });
      if (pending.size() == in_flight) {
        ASSERT_FALSE(pending.front().get());
        pending.pop_front();
      }
      std::error_code fec;
      const auto size = std::filesystem::file_size(wal, fec);
      if (!fec) wal_peak = std::max(wal_peak, size);
    }
    for (auto& f : pending) ASSERT_FALSE(f.get());
  }
  // 32,000 admissions write about 107 MiB of WAL frames (2 KiB pages): the size the file reaches
  // without restarts (measured with a restart every 2^30 frames). Restarts every 256 frames keep
  // it far below: each commit of these groups (up to 160 admissions) adds several hundred
  // frames, and the frames committed during the copies before a restart add to the 256. How many
  // come in during a copy depends on the scheduler: measured peaks 5-15 MiB on a busy machine, up
  // to 27 MiB with the two cores oversubscribed three times over (busy loops); the bound checked
  // is 40 MiB, under 40 % of the file without restarts.
  EXPECT_GT(wal_peak, 0u);
  EXPECT_LT(wal_peak, std::uintmax_t{40} << 20);
  auto s = open_store(b, 256, 16);
  auto [ec, st] = call<store::queue_stats>([&](auto cb) { s->stats("sim", t0 + 10'000'000, cb); });
  ASSERT_FALSE(ec);
  EXPECT_EQ(st.ready, batches * per_batch);
}

// A child process admits batches on a store that copies every 16 frames and restarts the WAL
// every 64, and reports each batch once its completion arrived (202 in the gateway). The parent
// kills it (SIGKILL) at a different point each time, so that the kills land in copies, database
// syncs and restarts. After every kill the file passes SQLite's integrity check and holds every
// batch the child reported; the next child goes on writing into the same file.
TEST(SqliteCheckpoint, AKilledProcessLeavesAConsistentFileWithEveryCompletedAdmission) {
  sqlite_backend b;
  std::filesystem::create_directories(b.dir);
  std::set<int> reported;  // first message number of each completed batch
  int next = 0;
  for (int kill_after : {5, 17, 29, 41, 53, 67}) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const int first = next;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      auto s = open_store(b, 64, 16);
      for (int n = first;; n += per_batch) {
        std::promise<std::error_code> p;
        s->admit_batch(batch(n), [&p](std::error_code ec, auto) { p.set_value(ec); });
        if (p.get_future().get()) ::_exit(3);
        if (::write(fds[1], &n, sizeof n) != static_cast<ssize_t>(sizeof n)) ::_exit(4);
      }
    }
    ::close(fds[1]);
    int got = 0;
    int n = 0;
    while (got < kill_after && ::read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) {
      reported.insert(n);
      ++got;
    }
    ASSERT_EQ(got, kill_after) << "the child stopped early";
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    while (::read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) reported.insert(n);  // sent before the kill
    ::close(fds[0]);
    next = *reported.rbegin() + 10 * per_batch;  // past anything the child may have committed unreported

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok") << "after kill at " << kill_after;
    sqlite3_finalize(st);
    std::set<std::string> present;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id FROM messages", -1, &st, nullptr), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) present.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    for (int f : reported) {
      for (int m = f; m < f + per_batch; ++m) {
        ASSERT_TRUE(present.count(message_id(m))) << message_id(m) << " completed but lost (kill at " << kill_after << ")";
      }
    }
  }
  EXPECT_GE(reported.size(), std::size_t{5 + 17 + 29 + 41 + 53 + 67});  // + those sent before each kill
}

}  // namespace
