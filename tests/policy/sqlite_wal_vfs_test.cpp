// The VFS that writes each WAL commit with one system call (policy/sqlite_wal_vfs.*,
// docs/stores.md "WAL writes"). What must hold: a commit is in the file when COMMIT returns
// (another connection sees it at once, and a copy of the files taken then recovers it, which
// checks every frame's checksum), also for transactions that spill pages before they commit and
// then change those pages again (SQLite rewrites frames in place and their checksums), across
// WAL restarts, and a write that fails fails the commit without harming what was committed.

#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "policy/sqlite_wal_vfs.hpp"

namespace {

namespace fs = std::filesystem;
using policy::detail::coalescing_wal_vfs;
using policy::detail::coalescing_wal_vfs_counters;

class temp_dir {
 public:
  temp_dir() {
    char tmpl[] = "/tmp/smsgw-walvfs-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

class connection {
 public:
  connection(const fs::path& file, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
  }
  ~connection() { sqlite3_close_v2(db_); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  std::int64_t number(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
  }
  bool in_transaction() { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3* db_ = nullptr;
};

// A database in WAL mode with the store's page size, written through the coalescing VFS.
void set_up(connection& c) {
  ASSERT_EQ(c.exec("PRAGMA page_size=2048"), SQLITE_OK);
  ASSERT_EQ(c.text("PRAGMA journal_mode=WAL"), "wal");
  ASSERT_EQ(c.exec("PRAGMA synchronous=NORMAL"), SQLITE_OK);
  ASSERT_EQ(c.exec("PRAGMA wal_autocheckpoint=0"), SQLITE_OK);  // checkpoints only where a test runs them
  ASSERT_EQ(c.exec("CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT NOT NULL)"), SQLITE_OK);
}

std::string insert_rows(int first, int count, int value_bytes) {
  return "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(first) + " UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(first + count - 1) + ") INSERT INTO t SELECT 'k' || i || '-' || hex(randomblob(8)), " +
         "hex(randomblob(" + std::to_string(value_bytes / 2) + ")) FROM n";
}

// What a crash right now would leave: the database file and the WAL as the kernel has them (no
// wal-index), opened elsewhere; SQLite recovers the WAL up to the last frame whose checksum
// chain is intact.
struct recovered {
  std::int64_t rows = -1;
  std::string integrity;
};
recovered recover_copy(const temp_dir& dir, const std::string& name) {
  const fs::path copy = dir / ("copy-" + name);
  std::error_code ec;
  fs::remove(copy, ec);
  fs::remove(copy.string() + "-wal", ec);
  fs::remove(copy.string() + "-shm", ec);
  fs::copy_file(dir / name, copy);
  if (fs::exists(dir / (name + "-wal"))) fs::copy_file(dir / (name + "-wal"), copy.string() + "-wal");
  connection c(copy, nullptr);
  return {c.number("SELECT count(*) FROM t"), c.text("PRAGMA integrity_check")};
}

TEST(SqliteWalVfs, EachCommitIsOneWriteAndVisibleToAnotherConnectionAtOnce) {
  ASSERT_NE(coalescing_wal_vfs(), nullptr);
  temp_dir dir;
  connection writer(dir / "a.db", coalescing_wal_vfs());
  set_up(writer);
  connection reader(dir / "a.db", nullptr);
  const auto before = coalescing_wal_vfs_counters();
  constexpr int commits = 200;
  for (int i = 0; i < commits; ++i) {
    // Five rows at random places of the primary key's B-tree: several pages per commit.
    ASSERT_EQ(writer.exec(insert_rows(i * 5, 5, 120)), SQLITE_OK);
    ASSERT_EQ(reader.number("SELECT count(*) FROM t"), (i + 1) * 5) << "commit " << i;
  }
  const auto after = coalescing_wal_vfs_counters();
  const auto asked = after.writes_asked - before.writes_asked;
  const auto made = after.writes_made - before.writes_made;
  // Two writes per frame asked for (header and page), at least two frames per commit.
  EXPECT_GE(asked, 4u * commits);
  // One write per commit (none of these commits is larger than a block part).
  EXPECT_EQ(made, static_cast<std::uint64_t>(commits));
  EXPECT_EQ(recover_copy(dir, "a.db").rows, commits * 5);
}

TEST(SqliteWalVfs, SpilledAndRewrittenFramesAreRecoveredAfterEveryCommit) {
  temp_dir dir;
  connection writer(dir / "b.db", coalescing_wal_vfs());
  set_up(writer);
  // A page cache of 20 pages: these transactions spill uncommitted frames into the WAL, and
  // the UPDATE changes pages already spilled, which SQLite overwrites in place (then it
  // rewrites the checksums of the frames after them at commit).
  ASSERT_EQ(writer.exec("PRAGMA cache_size=20"), SQLITE_OK);
  connection checkpointer(dir / "b.db", nullptr);
  std::int64_t rows = 0;
  for (int round = 0; round < 6; ++round) {
    ASSERT_EQ(writer.exec("BEGIN IMMEDIATE"), SQLITE_OK);
    // 5 MiB of rows: more than one block, blocks larger than one write.
    ASSERT_EQ(writer.exec(insert_rows(static_cast<int>(rows), 10'000, 500)), SQLITE_OK);
    ASSERT_EQ(writer.exec("UPDATE t SET v = v || 'x' WHERE rowid % 3 = " + std::to_string(round % 3)), SQLITE_OK);
    ASSERT_EQ(writer.exec("COMMIT"), SQLITE_OK);
    rows += 10'000;
    const recovered r = recover_copy(dir, "b.db");
    EXPECT_EQ(r.rows, rows) << "round " << round;
    EXPECT_EQ(r.integrity, "ok") << "round " << round;
    // Every other round the WAL is copied into the database file, so that the next commit
    // restarts it from its beginning (a new WAL header, frames overwriting the old ones).
    if (round % 2 == 1) {
      ASSERT_EQ(checkpointer.number("PRAGMA wal_checkpoint(PASSIVE)"), 0);
    }
  }
  EXPECT_EQ(writer.text("PRAGMA integrity_check"), "ok");
}

TEST(SqliteWalVfs, AFailedWriteFailsTheCommitAndKeepsEverythingCommittedBefore) {
  temp_dir dir;
  connection writer(dir / "c.db", coalescing_wal_vfs());
  set_up(writer);
  ASSERT_EQ(writer.exec(insert_rows(0, 100, 100)), SQLITE_OK);
  const auto wal_bytes = fs::file_size(dir / "c.db-wal");

  // Files of this process may not grow much beyond the WAL's size: the next commit's block
  // write fails (EFBIG instead of the signal).
  struct sigaction ignore {};
  struct sigaction old_action {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGXFSZ, &ignore, &old_action);
  rlimit old_limit{};
  ::getrlimit(RLIMIT_FSIZE, &old_limit);
  rlimit limit = old_limit;
  limit.rlim_cur = wal_bytes + 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  const int rc = writer.exec(insert_rows(100, 2'000, 400));
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::sigaction(SIGXFSZ, &old_action, nullptr);

  EXPECT_NE(rc, SQLITE_OK);
  if (writer.in_transaction()) writer.exec("ROLLBACK");
  EXPECT_EQ(writer.number("SELECT count(*) FROM t"), 100);
  ASSERT_EQ(writer.exec(insert_rows(5'000, 10, 100)), SQLITE_OK);
  const recovered r = recover_copy(dir, "c.db");
  EXPECT_EQ(r.rows, 110);
  EXPECT_EQ(r.integrity, "ok");
}

}  // namespace
