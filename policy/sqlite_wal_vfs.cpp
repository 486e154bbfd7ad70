#include "policy/sqlite_wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

namespace policy::detail {
namespace {

// A block is written once it holds this much even without a commit frame (a transaction that
// spills many pages from the page cache before it commits).
constexpr std::size_t max_block = std::size_t{4} << 20;
// SQLite's unix VFS writes at most 128 KiB - 1 bytes per call (it masks larger sizes, and a
// multiple of 128 KiB would become a write of nothing): a block is written in parts of this size.
constexpr std::size_t max_write = std::size_t{124} << 10;
// A WAL frame header: page number, database size in pages after a commit (0 in other frames),
// salts and checksums (SQLite's documented WAL format).
constexpr int frame_header_bytes = 24;

sqlite3_vfs* real_vfs = nullptr;  // SQLite's default VFS when ours was registered
std::atomic<std::uint64_t> writes_asked{0};
std::atomic<std::uint64_t> writes_made{0};

// The appends not yet written, of one WAL file.
struct pending_block {
  std::vector<unsigned char> bytes;
  sqlite3_int64 start = 0;       // file offset of bytes[0]
  sqlite3_int64 append_at = 0;   // a write at or after this offset does not overwrite this cycle's frames
  bool commit_page_next = false;  // the last append was a commit frame's header
};

// The file object SQLite allocates for a WAL opened through this VFS: ours, then the unix file.
struct wal_file {
  sqlite3_file base;
  sqlite3_file* real;
  pending_block* block;
};
constexpr std::size_t real_offset = (sizeof(wal_file) + 15) / 16 * 16;

wal_file* as_wal(sqlite3_file* f) { return reinterpret_cast<wal_file*>(f); }

int write_real(wal_file* w, const void* data, int n, sqlite3_int64 offset) {
  writes_made.fetch_add(1, std::memory_order_relaxed);
  return w->real->pMethods->xWrite(w->real, data, n, offset);
}

int flush(wal_file* w) {
  pending_block& b = *w->block;
  b.commit_page_next = false;
  if (b.bytes.empty()) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < b.bytes.size() && rc == SQLITE_OK; done += max_write) {
    const std::size_t n = std::min(max_write, b.bytes.size() - done);
    rc = write_real(w, b.bytes.data() + done, static_cast<int>(n), b.start + static_cast<sqlite3_int64>(done));
  }
  b.bytes.clear();
  return rc;
}

bool commit_frame_header(const void* data, int n) {
  if (n != frame_header_bytes) return false;
  const auto* p = static_cast<const unsigned char*>(data);
  return (p[4] | p[5] | p[6] | p[7]) != 0;
}

int wal_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 offset) {
  writes_asked.fetch_add(1, std::memory_order_relaxed);
  wal_file* w = as_wal(f);
  pending_block& b = *w->block;
  const bool appends =
      b.bytes.empty() ? offset >= b.append_at : offset == b.start + static_cast<sqlite3_int64>(b.bytes.size());
  if (!appends || offset == 0) {
    // The WAL header (offset 0: a new cycle of frames starts after it) or a rewrite of a frame
    // already written: in order, after everything before it.
    if (const int rc = flush(w); rc != SQLITE_OK) return rc;
    const int rc = write_real(w, data, n, offset);
    if (offset == 0) {
      b.append_at = n;
    } else if (offset + n > b.append_at) {
      b.append_at = offset + n;
    }
    return rc;
  }
  if (b.bytes.empty()) b.start = offset;
  const auto* p = static_cast<const unsigned char*>(data);
  b.bytes.insert(b.bytes.end(), p, p + n);
  b.append_at = offset + n;
  if (b.commit_page_next) return flush(w);  // the commit frame's page: the commit is complete
  b.commit_page_next = commit_frame_header(data, n);
  if (b.bytes.size() >= max_block && !b.commit_page_next) return flush(w);
  return SQLITE_OK;
}

int wal_close(sqlite3_file* f) {
  wal_file* w = as_wal(f);
  const int flushed = flush(w);
  const int rc = w->real->pMethods->xClose(w->real);
  delete w->block;
  w->block = nullptr;
  return flushed != SQLITE_OK ? flushed : rc;
}

int wal_read(sqlite3_file* f, void* data, int n, sqlite3_int64 offset) {
  wal_file* w = as_wal(f);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xRead(w->real, data, n, offset);
}

int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  wal_file* w = as_wal(f);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  if (w->block->append_at > size) w->block->append_at = size;
  return w->real->pMethods->xTruncate(w->real, size);
}

int wal_sync(sqlite3_file* f, int flags) {
  wal_file* w = as_wal(f);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xSync(w->real, flags);
}

int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  wal_file* w = as_wal(f);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileSize(w->real, size);
}

int wal_file_control(sqlite3_file* f, int op, void* arg) {
  wal_file* w = as_wal(f);
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileControl(w->real, op, arg);
}

// Locks, sector size, device characteristics and shared memory: the unix file's own.
int wal_lock(sqlite3_file* f, int level) { return as_wal(f)->real->pMethods->xLock(as_wal(f)->real, level); }
int wal_unlock(sqlite3_file* f, int level) { return as_wal(f)->real->pMethods->xUnlock(as_wal(f)->real, level); }
int wal_check_reserved_lock(sqlite3_file* f, int* out) {
  return as_wal(f)->real->pMethods->xCheckReservedLock(as_wal(f)->real, out);
}
int wal_sector_size(sqlite3_file* f) { return as_wal(f)->real->pMethods->xSectorSize(as_wal(f)->real); }
int wal_device_characteristics(sqlite3_file* f) {
  return as_wal(f)->real->pMethods->xDeviceCharacteristics(as_wal(f)->real);
}
int wal_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  sqlite3_file* r = as_wal(f)->real;
  return r->pMethods->iVersion >= 2 ? r->pMethods->xShmMap(r, region, size, extend, out) : SQLITE_IOERR_SHMMAP;
}
int wal_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  sqlite3_file* r = as_wal(f)->real;
  return r->pMethods->iVersion >= 2 ? r->pMethods->xShmLock(r, offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}
void wal_shm_barrier(sqlite3_file* f) {
  sqlite3_file* r = as_wal(f)->real;
  if (r->pMethods->iVersion >= 2) r->pMethods->xShmBarrier(r);
}
int wal_shm_unmap(sqlite3_file* f, int del) {
  sqlite3_file* r = as_wal(f)->real;
  return r->pMethods->iVersion >= 2 ? r->pMethods->xShmUnmap(r, del) : SQLITE_OK;
}
int wal_fetch(sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
  wal_file* w = as_wal(f);
  *out = nullptr;
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->iVersion >= 3 ? w->real->pMethods->xFetch(w->real, offset, n, out) : SQLITE_OK;
}
int wal_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  sqlite3_file* r = as_wal(f)->real;
  return r->pMethods->iVersion >= 3 ? r->pMethods->xUnfetch(r, offset, p) : SQLITE_OK;
}

const sqlite3_io_methods wal_methods = {
    3,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved_lock,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    wal_shm_map,
    wal_shm_lock,
    wal_shm_barrier,
    wal_shm_unmap,
    wal_fetch,
    wal_unfetch,
};

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
  wal_file* w = as_wal(f);
  w->base.pMethods = nullptr;
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + real_offset);
  w->real->pMethods = nullptr;
  w->block = new (std::nothrow) pending_block;
  if (!w->block) return SQLITE_NOMEM;
  const int rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (w->real->pMethods) w->real->pMethods->xClose(w->real);
    delete w->block;
    w->block = nullptr;
    return rc;
  }
  w->base.pMethods = &wal_methods;
  return SQLITE_OK;
}

// Everything else is the default VFS's.
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) { return real_vfs->xDelete(real_vfs, name, sync_dir); }
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void vfs_dl_error(sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) { return real_vfs->xDlSym(real_vfs, h, sym); }
void vfs_dl_close(sqlite3_vfs*, void* h) { real_vfs->xDlClose(real_vfs, h); }
int vfs_randomness(sqlite3_vfs*, int n, char* out) { return real_vfs->xRandomness(real_vfs, n, out); }
int vfs_sleep(sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); }
int vfs_current_time(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int vfs_get_last_error(sqlite3_vfs*, int n, char* out) {
  return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  if (real_vfs->iVersion >= 2 && real_vfs->xCurrentTimeInt64) return real_vfs->xCurrentTimeInt64(real_vfs, out);
  double days = 0;
  const int rc = real_vfs->xCurrentTime(real_vfs, &days);
  *out = static_cast<sqlite3_int64>(days * 86'400'000.0);
  return rc;
}

sqlite3_vfs coalescing_vfs{};

}  // namespace

const char* coalescing_wal_vfs() {
  static std::once_flag once;
  static const char* name = nullptr;
  std::call_once(once, [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    if (!real_vfs) return;
    coalescing_vfs = sqlite3_vfs{
        .iVersion = 2,
        .szOsFile = static_cast<int>(real_offset) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .pNext = nullptr,
        .zName = "smsgw-coalesced-wal",
        .pAppData = nullptr,
        .xOpen = vfs_open,
        .xDelete = vfs_delete,
        .xAccess = vfs_access,
        .xFullPathname = vfs_full_pathname,
        .xDlOpen = vfs_dl_open,
        .xDlError = vfs_dl_error,
        .xDlSym = vfs_dl_sym,
        .xDlClose = vfs_dl_close,
        .xRandomness = vfs_randomness,
        .xSleep = vfs_sleep,
        .xCurrentTime = vfs_current_time,
        .xGetLastError = vfs_get_last_error,
        .xCurrentTimeInt64 = vfs_current_time_int64,
        .xSetSystemCall = nullptr,
        .xGetSystemCall = nullptr,
        .xNextSystemCall = nullptr,
    };
    if (sqlite3_vfs_register(&coalescing_vfs, 0) == SQLITE_OK) name = coalescing_vfs.zName;
  });
  return name;
}

wal_vfs_counters coalescing_wal_vfs_counters() {
  return {writes_asked.load(std::memory_order_relaxed), writes_made.load(std::memory_order_relaxed)};
}

}  // namespace policy::detail
