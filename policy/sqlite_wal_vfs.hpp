// A SQLite VFS that writes each WAL commit with one system call.
//
// SQLite writes a WAL frame as two writes (its 24-byte header, then the page), so a commit of N
// pages costs 2N pwrite calls; with the store's small, frequent group commits that was about a
// fifth of the writer thread's time (docs/performance.md, "WAL writes coalesced"). This VFS wraps
// SQLite's default (unix) VFS. Every file but a WAL is the unix file itself, untouched. For a WAL
// file, writes that append to the frames already written are gathered in memory and written as
// one block when the page of a commit frame (a frame whose header carries the database size)
// arrives, and before anything else is done with the file (a read, a sync, a truncation, its
// size, a file control, closing it, or a write anywhere but at the end). So:
//
// - every frame of a commit is in the file (the kernel's page cache) before SQLite publishes the
//   commit in the WAL index, exactly as without this VFS, and the error of the block's write is
//   the error of the commit frame's write (SQLite then fails the commit as it always does);
// - frames rewritten in place (SQLite overwrites a frame of the current transaction, then
//   rewrites checksums) and the WAL header are written through at once, after the block;
// - nothing is durable earlier or later than before: SQLite and the store's sync thread sync
//   the WAL when they did, and a write is only ever delayed until the end of its own commit.
#pragma once

#include <cstdint>

namespace policy::detail {

// The name to pass to sqlite3_open_v2 for a connection whose WAL writes are coalesced; the VFS is
// registered on the first call (never as the default). nullptr when SQLite has no default VFS.
const char* coalescing_wal_vfs();

// Counters over every WAL file of the process opened through the VFS (for tests and
// benchmarks): writes SQLite asked for, and writes made to the files.
struct wal_vfs_counters {
  std::uint64_t writes_asked = 0;
  std::uint64_t writes_made = 0;
};
wal_vfs_counters coalescing_wal_vfs_counters();

}  // namespace policy::detail
