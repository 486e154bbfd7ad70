// SQLite-only behaviour (suite SqliteStore): numbers never in clear in the file, schema versions,
// completions handed to a user-supplied post function.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The store on the backend's file with some options changed.
template <class Tweak>
std::unique_ptr<sqlite_store> open_with(const sqlite_backend& b, Tweak tweak) {
  sqlite_options o;
  o.path = b.file().string();
  o.secrets = test_secrets();
  tweak(o);
  auto r = sqlite_store::open(o);
  EXPECT_TRUE(r.store) << r.error;
  return std::move(r.store);
}

TEST(SqliteStore, FileHoldsNoPhoneNumberInClear) {
  sqlite_backend b;
  {
    auto s = b.make();
    const std::string e164 = "+14155550123";
    const std::string key = test_secrets()->key(e164);
    admit_request r;
    r.sender = "12345";
    r.category = "marketing";
    r.now_ms = t0;
    r.message.id = "m1";
    r.message.number_key = key;
    r.message.e164 = e164;
    r.message.carrier = "sim";
    r.message.sender = "12345";
    r.message.text = "Hello there";
    EXPECT_TRUE(call<admit_result>([&](auto cb) { s->admit(r, cb); }).second.accepted());
    EXPECT_FALSE(call<done>([&](auto cb) { s->suppress({key, e164, "99999", "stop", "keyword", t0}, cb); }).first);
    EXPECT_FALSE(call<done>([&](auto cb) {
      s->grant_consent({key, e164, "marketing", "", "api", "form", t0}, cb);
    }).first);
  }
  std::string bytes = slurp(b.file()) + slurp(b.file().string() + "-wal");
  EXPECT_NE(bytes.find("Hello there"), std::string::npos);  // the search itself works
  EXPECT_EQ(bytes.find("4155550123"), std::string::npos);
  EXPECT_NE(bytes.find(test_secrets()->key("+14155550123")), std::string::npos);
}

TEST(SqliteStore, RefusesADatabaseFromANewerVersion) {
  sqlite_backend b;
  std::filesystem::create_directories(b.dir);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  sqlite_options o;
  o.path = b.file().string();
  o.secrets = test_secrets();
  auto r = sqlite_store::open(o);
  EXPECT_FALSE(r.store);
  EXPECT_EQ(r.ec, make_error_code(store_errc::corrupt));
  EXPECT_NE(r.error.find("newer than this build"), std::string::npos) << r.error;
}

TEST(SqliteStore, MigratesAFreshFileAndReopensIt) {
  sqlite_backend b;
  { auto s = b.make(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), sqlite_store::schema_version);
  sqlite3_finalize(st);
  sqlite3_close(db);
  auto again = b.make();  // idempotent: nothing to migrate
  EXPECT_TRUE(again);
}

TEST(SqliteStore, CompletionsGoThroughThePostFunction) {
  sqlite_backend b;
  std::atomic<int> posted{0};
  sqlite_options o;
  o.path = b.file().string();
  o.secrets = test_secrets();
  o.post = [&](std::function<void()> fn) {
    ++posted;
    fn();
  };
  auto r = sqlite_store::open(o);
  ASSERT_TRUE(r.store);
  auto [ec, h] = call<health_info>([&](auto cb) { r.store->health(cb); });
  EXPECT_FALSE(ec);
  EXPECT_TRUE(h.ok);
  EXPECT_NE(h.detail.find("wal"), std::string::npos) << h.detail;
  EXPECT_EQ(posted.load(), 1);
}

admit_request admission(const std::string& id, const std::string& e164, std::uint32_t cap_max) {
  admit_request r = base_request(id, e164, t0);
  r.caps = {{86'400, cap_max, false}};
  r.message.text = "Hello " + id;
  return r;
}

// Admissions queued together share one group transaction that runs without a savepoint per job.
// One of them fails after it has written its cap event (its message id exists already): the
// group is redone with savepoints, so that admission alone is undone (no cap event left behind)
// and the others of the group are committed and accepted.
TEST(SqliteStore, AFailingAdmissionInAGroupIsUndoneAloneAndTheOthersAreCommitted) {
  sqlite_backend b;
  auto s = b.make();
  ASSERT_TRUE(s);
  ASSERT_TRUE(call<admit_result>([&](auto cb) { s->admit(admission("dup", "+14155550100", 10), cb); })
                  .second.accepted());

  // Another connection holds the write lock: the writer waits in BEGIN IMMEDIATE (busy timeout)
  // while the next requests queue up, then takes them as one group.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(b.file().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  struct outcome {
    std::promise<std::pair<std::error_code, admit_result>> p;
    std::future<std::pair<std::error_code, admit_result>> f = p.get_future();
  };
  std::vector<std::unique_ptr<outcome>> out;
  auto submit = [&](admit_request r) {
    out.push_back(std::make_unique<outcome>());
    s->admit(std::move(r), [o = out.back().get()](std::error_code ec, admit_result res) {
      o->p.set_value({ec, std::move(res)});
    });
  };
  submit(admission("x0", "+14155550101", 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  submit(admission("x1", "+14155550101", 10));
  submit(admission("dup", "+14155550102", 1));  // same id as the first message: the insert fails
  submit(admission("x2", "+14155550101", 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  std::vector<std::pair<std::error_code, admit_result>> got;
  for (auto& o : out) got.push_back(o->f.get());
  EXPECT_FALSE(got[0].first);
  EXPECT_TRUE(got[0].second.accepted());
  EXPECT_FALSE(got[1].first);
  EXPECT_TRUE(got[1].second.accepted());
  EXPECT_EQ(got[2].first, make_error_code(store_errc::io_error));
  EXPECT_FALSE(got[2].second.accepted());
  EXPECT_FALSE(got[3].first);
  EXPECT_TRUE(got[3].second.accepted());

  // The failed admission reserved nothing: its number's only slot (max 1) is still free.
  auto again = call<admit_result>([&](auto cb) { s->admit(admission("c2", "+14155550102", 1), cb); });
  EXPECT_FALSE(again.first);
  EXPECT_TRUE(again.second.accepted());
  EXPECT_EQ(again.second.refused, reason::none);
  // The first "dup" is untouched; the others are stored.
  auto m = call<std::optional<message_record>>([&](auto cb) { s->get_message("dup", cb); }).second;
  ASSERT_TRUE(m);
  EXPECT_EQ(m->number_key, test_secrets()->key("+14155550100"));
  EXPECT_EQ(m->e164, "+14155550100");
  for (const char* id : {"x0", "x1", "x2"}) {
    EXPECT_TRUE(call<std::optional<message_record>>([&](auto cb) { s->get_message(id, cb); }).second) << id;
  }
  // x0, x1 and x2 share a number: their three cap events are committed.
  auto x3 = call<admit_result>([&](auto cb) { s->admit(admission("x3", "+14155550101", 3), cb); });
  EXPECT_FALSE(x3.first);
  EXPECT_EQ(x3.second.refused, reason::frequency_capped);
  auto x4 = call<admit_result>([&](auto cb) { s->admit(admission("x4", "+14155550101", 4), cb); });
  EXPECT_TRUE(x4.second.accepted());
}

// Completions come in the order of the requests, across groups, and each one after its group's
// WAL sync; the store syncs the WAL itself (synchronous_full), also when it reopens a file whose
// WAL was removed at the last close.
TEST(SqliteStore, CompletesInRequestOrderAndSyncsTheWalItself) {
  sqlite_backend b;
  {
    auto s = b.make();
    ASSERT_TRUE(s);
    auto [ec, h] = call<health_info>([&](auto cb) { s->health(cb); });
    EXPECT_FALSE(ec);
    EXPECT_NE(h.detail.find("WAL synced before completions"), std::string::npos) << h.detail;
    constexpr int n = 3000;
    std::mutex mu;
    std::vector<int> order;
    std::promise<void> all;
    for (int i = 0; i < n; ++i) {
      auto r = admission("o" + std::to_string(i), "+1415555" + std::to_string(1000 + i % 9000), 1000);
      s->admit(std::move(r), [&, i](std::error_code e, admit_result res) {
        EXPECT_FALSE(e);
        EXPECT_TRUE(res.accepted());
        std::lock_guard lk(mu);
        order.push_back(i);
        if (static_cast<int>(order.size()) == n) all.set_value();
      });
    }
    all.get_future().wait();
    std::lock_guard lk(mu);
    ASSERT_EQ(order.size(), static_cast<std::size_t>(n));
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  }
  EXPECT_FALSE(std::filesystem::exists(b.file().string() + "-wal"));  // removed at the last close
  auto s = b.make();
  ASSERT_TRUE(s);
  auto [ec, h] = call<health_info>([&](auto cb) { s->health(cb); });
  EXPECT_FALSE(ec);
  EXPECT_NE(h.detail.find("WAL synced before completions"), std::string::npos) << h.detail;
  EXPECT_TRUE(call<std::optional<message_record>>([&](auto cb) { s->get_message("o2999", cb); }).second);

  // synchronous_full = false: SQLite's NORMAL, no sync before the completions.
  s.reset();
  sqlite_options o;
  o.path = b.file().string();
  o.secrets = test_secrets();
  o.synchronous_full = false;
  auto normal = sqlite_store::open(o);
  ASSERT_TRUE(normal.store) << normal.error;
  auto [ec2, h2] = call<health_info>([&](auto cb) { normal.store->health(cb); });
  EXPECT_FALSE(ec2);
  EXPECT_EQ(h2.detail.find("WAL synced"), std::string::npos) << h2.detail;
}

// min_sync_interval_us: a request after a quiet spell is synced at once; one that follows a sync
// closer than the interval waits for the rest of it, and the requests that arrive during that wait
// share the next sync. Only lower bounds on times are asserted (a slow machine makes them longer),
// except for the first request, which must not wait the 1.5 s interval.
TEST(SqliteStore, SyncsAtMostOncePerIntervalAndNeverDelaysAnIsolatedRequest) {
  sqlite_backend b;
  auto s = open_with(b, [](sqlite_options& o) { o.min_sync_interval_us = 1'500'000; });
  ASSERT_TRUE(s);
  using clock = std::chrono::steady_clock;
  const auto admit_one = [&](int i) {
    auto r = admission("iv" + std::to_string(i), "+1415555" + std::to_string(2000 + i), 1000);
    auto [e, res] = call<admit_result>([&](auto cb) { s->admit(std::move(r), cb); });
    EXPECT_FALSE(e);
    EXPECT_TRUE(res.accepted());
  };
  auto start = clock::now();
  admit_one(0);
  const auto first = clock::now() - start;
  EXPECT_LT(first, std::chrono::milliseconds(1000)) << "an isolated request waited for the interval";

  // Right after that sync: the next one waits until the interval has passed since it began.
  start = clock::now();
  std::vector<std::future<void>> waits;
  for (int i = 1; i <= 20; ++i) waits.push_back(std::async(std::launch::async, [&, i] { admit_one(i); }));
  for (auto& w : waits) w.get();
  const auto second = clock::now() - start;
  EXPECT_GE(second + first, std::chrono::milliseconds(1400));
  EXPECT_LT(second, std::chrono::milliseconds(2 * 1500)) << "the 20 requests needed more than one more sync";
  for (int i = 0; i <= 20; ++i) {
    EXPECT_TRUE(call<std::optional<message_record>>([&](auto cb) { s->get_message("iv" + std::to_string(i), cb); }).second);
  }
}

}  // namespace

#include "policy/store_factory.hpp"

namespace {

// The claim's send-time re-check is one statement with the message (an EXISTS on suppressions
// with the scope stored at admission). Suppressions written by another connection to the same
// file after the admission count, with the database read through the memory map (the default)
// and without it.
TEST(SqliteStore, ClaimRecheckHonoursTheAdmissionScopeAndAnotherConnectionsSuppressions) {
  for (std::int64_t mmap_bytes : {std::int64_t{512} << 20, std::int64_t{0}}) {
    SCOPED_TRACE("mmap_bytes=" + std::to_string(mmap_bytes));
    sqlite_backend b;
    auto open = [&] { return open_with(b, [&](sqlite_options& o) { o.mmap_bytes = mmap_bytes; }); };
    auto gw = open();
    auto other = open();  // e.g. smsgwctl importing a DNC list while the gateway runs
    const std::string alice = "+14155550101", bob = "+14155550102", carol = "+14155550103",
                      dave = "+14155550104";
    auto admit = [&](const std::string& id, const std::string& e164, opt_out_scope scope, std::int64_t at) {
      auto r = base_request(id, e164, at);
      r.scope = scope;
      EXPECT_TRUE(call<admit_result>([&](auto cb) { gw->admit(r, cb); }).second.accepted()) << id;
    };
    admit("m1", alice, opt_out_scope::sender, t0);  // another sender's STOP: still sent
    admit("m2", bob, opt_out_scope::sender, t0 + 1);  // a STOP for every sender (""): blocked
    admit("m3", carol, opt_out_scope::global, t0 + 2);  // global scope: any sender's STOP blocks
    admit("m4", dave, opt_out_scope::sender, t0 + 3);  // the message's own sender: blocked
    auto suppress = [&](const std::string& e164, const std::string& sender) {
      EXPECT_FALSE(call<done>([&](auto cb) {
        other->suppress({test_secrets()->key(e164), e164, sender, "stop", "keyword", t0 + 10}, cb);
      }).first);
    };
    suppress(alice, "99999");
    suppress(bob, "");
    suppress(carol, "99999");
    suppress(dave, "12345");
    auto [ec, c] = call<claim_result>([&](auto cb) { gw->claim({"sim", 10, 60'000, t0 + 20}, cb); });
    ASSERT_FALSE(ec);
    ASSERT_EQ(c.entries.size(), 4u);
    const std::vector<std::pair<std::string, bool>> want = {{"m1", false}, {"m2", true}, {"m3", true}, {"m4", true}};
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(c.entries[i].message.id, want[i].first);
      EXPECT_EQ(c.entries[i].suppressed, want[i].second) << want[i].first;
      EXPECT_EQ(c.entries[i].message.e164, i == 0 ? alice : i == 1 ? bob : i == 2 ? carol : dave);
      EXPECT_EQ(c.entries[i].deliveries, 1);
    }
    // Leased by rowid: none is handed out again before the lease ends, all of them after it.
    auto claim_at = [&](std::int64_t now) {
      return call<claim_result>([&](auto cb) { gw->claim({"sim", 10, 60'000, now}, cb); }).second;
    };
    EXPECT_TRUE(claim_at(t0 + 30).entries.empty());
    auto again = claim_at(t0 + 60'021);
    ASSERT_EQ(again.entries.size(), 4u);
    EXPECT_EQ(again.entries[0].deliveries, 2);
  }
}

TEST(StoreFactory, OpensSqliteWithCompletionsOnTheExecutorAndRejectsUnknownKinds) {
  store_test::sqlite_backend b;
  store_test::io_thread io;
  auto r = policy::open_store({"sqlite", b.file().string(), "", "smsgw:"}, io.io().get_executor(),
                              store_test::test_secrets());
  ASSERT_TRUE(r.store) << r.error;
  std::thread::id completion_thread;
  auto [ec, h] = store_test::call<policy::health_info>([&](auto cb) {
    r.store->health([&, cb](std::error_code e, policy::health_info i) {
      completion_thread = std::this_thread::get_id();
      cb(e, i);
    });
  });
  EXPECT_FALSE(ec);
  EXPECT_TRUE(h.ok);
  std::thread::id io_thread_id;
  std::promise<void> p;
  boost::asio::post(io.io(), [&] {
    io_thread_id = std::this_thread::get_id();
    p.set_value();
  });
  p.get_future().wait();
  EXPECT_EQ(completion_thread, io_thread_id);
  r.store.reset();

  auto bad = policy::open_store({"memcached", "", "", ""}, io.io().get_executor(), store_test::test_secrets());
  EXPECT_FALSE(bad.store);
  EXPECT_NE(bad.error.find("sqlite"), std::string::npos);
}

}  // namespace

namespace {

// The checkpoint thread copies the WAL into the database file and the writer finishes each
// checkpoint between two transactions, so the WAL starts again from its beginning: with a small
// threshold the file stays far below what 6,000 admissions write, and every admitted message is
// in the database after a reopen (nothing was lost in the copies).
TEST(SqliteStore, TheWalStaysBoundedAndEveryAdmissionSurvivesAReopen) {
  sqlite_backend b;
  auto open = [&] { return open_with(b, [](sqlite_options& o) { o.checkpoint_pages = 64; }); };
  constexpr int batches = 120, per_batch = 50;
  const std::filesystem::path wal = b.file().string() + "-wal";
  std::uintmax_t wal_peak = 0;
  {
    auto s = open();
    for (int i = 0; i < batches; ++i) {
      std::vector<admit_request> reqs;
      for (int j = 0; j < per_batch; ++j) {
        const int n = i * per_batch + j;
        reqs.push_back(base_request("m" + std::to_string(n), "+1415555" + std::to_string(1000 + n), t0 + n));
      }
      auto [ec, res] = call<std::vector<admit_result>>([&](auto cb) { s->admit_batch(reqs, cb); });
      ASSERT_FALSE(ec) << ec.message();
      ASSERT_EQ(res.size(), static_cast<std::size_t>(per_batch));
      for (const auto& r : res) ASSERT_TRUE(r.accepted());
      std::error_code fec;
      const auto size = std::filesystem::file_size(wal, fec);
      if (!fec) wal_peak = std::max(wal_peak, size);
    }
  }
  // Each admission writes several pages (message, queue, cap event and their indexes) of 4 KiB:
  // about 23 MiB of WAL frames in all, the size the file reaches when the WAL never restarts
  // (about 1 MiB with the checkpoints on an idle machine).
  EXPECT_LT(wal_peak, std::uintmax_t{6} << 20);
  auto s = open();
  auto [ec, st] = call<store::queue_stats>([&](auto cb) { s->stats("sim", t0 + batches * per_batch, cb); });
  ASSERT_FALSE(ec);
  EXPECT_EQ(st.ready, batches * per_batch);
  for (const char* id : {"m0", "m2999", "m5999"}) {
    auto [gec, m] = call<std::optional<message_record>>([&](auto cb) { s->get_message(id, cb); });
    ASSERT_FALSE(gec);
    ASSERT_TRUE(m.has_value()) << id;
    EXPECT_EQ(m->status, message_status::queued) << id;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Schema v2 -> v3 (cap_events without rowid, purge index on final messages only): a file written
// by the previous version opens, keeps its page size, and every rule and retention step gives
// what it gave before the upgrade.

// The v2 file format, frozen: the v1 and v2 migrations of policy/sqlite_schema.hpp as shipped.
constexpr const char* schema_v2_sql = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE suppressions(
  number_key TEXT NOT NULL, sender TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  at_ms INTEGER NOT NULL, e164_sealed TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (number_key, sender)) WITHOUT ROWID;
CREATE TABLE consents(
  number_key TEXT NOT NULL, category TEXT NOT NULL, sender TEXT NOT NULL, source TEXT NOT NULL,
  evidence TEXT NOT NULL, at_ms INTEGER NOT NULL, e164_sealed TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (number_key, category, sender)) WITHOUT ROWID;
CREATE TABLE consent_ledger(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, number_key TEXT NOT NULL, category TEXT NOT NULL,
  sender TEXT NOT NULL, granted INTEGER NOT NULL, source TEXT NOT NULL, evidence TEXT NOT NULL,
  at_ms INTEGER NOT NULL, e164_sealed TEXT NOT NULL DEFAULT '');
CREATE INDEX consent_ledger_by_number ON consent_ledger(number_key, seq);
CREATE TABLE cap_events(
  number_key TEXT NOT NULL, category TEXT NOT NULL, campaign TEXT NOT NULL, at_ms INTEGER NOT NULL,
  message_id TEXT NOT NULL);
CREATE INDEX cap_events_by_number ON cap_events(number_key, category, at_ms);
CREATE TABLE messages(
  id TEXT PRIMARY KEY, number_key TEXT NOT NULL, e164_sealed TEXT NOT NULL, carrier TEXT NOT NULL,
  sender TEXT NOT NULL, text TEXT NOT NULL, category TEXT NOT NULL, campaign TEXT NOT NULL,
  client_ref TEXT NOT NULL, segments INTEGER NOT NULL, encoding TEXT NOT NULL,
  status TEXT NOT NULL, carrier_message_id TEXT NOT NULL, error TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, send_at_ms INTEGER NOT NULL,
  valid_until_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, scope TEXT NOT NULL)
  WITHOUT ROWID;
CREATE INDEX messages_by_number ON messages(number_key);
CREATE INDEX messages_by_update ON messages(updated_ms);
CREATE TABLE queue(
  message_id TEXT NOT NULL UNIQUE, carrier TEXT NOT NULL, due_ms INTEGER NOT NULL,
  lease_id TEXT NOT NULL DEFAULT '', deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX queue_by_due ON queue(carrier, due_ms);
CREATE TABLE correlations(
  carrier TEXT NOT NULL, carrier_message_id TEXT NOT NULL, message_id TEXT NOT NULL,
  expires_ms INTEGER NOT NULL, PRIMARY KEY (carrier, carrier_message_id)) WITHOUT ROWID;
CREATE TABLE idempotency(
  key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, message_id TEXT NOT NULL,
  response TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE webhook_outbox(
  event_id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, dead INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL, lease_id TEXT NOT NULL DEFAULT '',
  dead_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX webhook_outbox_due ON webhook_outbox(dead, next_attempt_ms);
ALTER TABLE messages ADD COLUMN api_key TEXT NOT NULL DEFAULT '';
PRAGMA user_version=2;
)sql";

void exec_ok(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "") << " in " << sql;
}

std::int64_t scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

std::string text_of(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string v;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
    v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  return v;
}

// A message row as the v2 store wrote it (admit_one, then set_status for a final one).
std::string v2_message(const std::string& id, const std::string& key, const std::string& status,
                       const std::string& campaign, std::int64_t at) {
  return "INSERT INTO messages VALUES ('" + id + "','" + key + "','','sim','12345','Hello','marketing','" + campaign +
         "','',1,'gsm7','" + status + "','','', " + std::to_string(at) + "," + std::to_string(at) + "," +
         std::to_string(at) + ",0,0,'sender','')";
}

std::string v2_cap_event(const std::string& key, const std::string& campaign, std::int64_t at, const std::string& id) {
  return "INSERT INTO cap_events VALUES ('" + key + "','marketing','" + campaign + "'," + std::to_string(at) + ",'" +
         id + "')";
}

TEST(SqliteStore, AVersion2FileIsUpgradedAndKeepsItsCapsQueueAndRetention) {
  sqlite_backend b;
  std::filesystem::create_directories(b.dir);
  const std::int64_t day = 24LL * 3600 * 1000;
  const std::string capped = "+14155550101", campaigned = "+14155550102", old_number = "+14155550103";
  const std::string k1 = test_secrets()->key(capped), k2 = test_secrets()->key(campaigned),
                    k3 = test_secrets()->key(old_number);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
    exec_ok(db, schema_v2_sql);
    exec_ok(db, "BEGIN");
    // capped: two admissions in the last 24 h (a third is allowed under a cap of 3, not a fourth),
    // and one from two days ago (expired: deleted at the next admission, or by purge).
    exec_ok(db, v2_message("old-1", k1, "delivered", "", t0 - 2 * day));
    exec_ok(db, v2_cap_event(k1, "", t0 - 2 * day, "old-1"));
    exec_ok(db, v2_message("v2-a", k1, "submitted", "", t0 - 3600'000));
    exec_ok(db, v2_cap_event(k1, "", t0 - 3600'000, "v2-a"));
    exec_ok(db, v2_message("v2-b", k1, "queued", "", t0 - 60'000));
    exec_ok(db, v2_cap_event(k1, "", t0 - 60'000, "v2-b"));
    exec_ok(db, "INSERT INTO queue(message_id, carrier, due_ms) VALUES ('v2-b','sim'," + std::to_string(t0 - 60'000) + ")");
    // campaigned: one message of campaign "spring" an hour ago.
    exec_ok(db, v2_message("v2-c", k2, "delivered", "spring", t0 - 3600'000));
    exec_ok(db, v2_cap_event(k2, "spring", t0 - 3600'000, "v2-c"));
    // old_number: a final message and its cap event, both older than the retention horizon.
    exec_ok(db, v2_message("old-2", k3, "failed", "", t0 - 10 * day));
    exec_ok(db, v2_cap_event(k3, "", t0 - 10 * day, "old-2"));
    exec_ok(db, "COMMIT");
    EXPECT_EQ(scalar(db, "PRAGMA page_size"), 4096);
    sqlite3_close(db);
  }

  auto s = b.make();
  ASSERT_TRUE(s);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
    EXPECT_EQ(scalar(db, "PRAGMA user_version"), 3);
    EXPECT_EQ(scalar(db, "PRAGMA page_size"), 4096);  // an existing file keeps its page size
    EXPECT_NE(text_of(db, "SELECT sql FROM sqlite_master WHERE name='cap_events'").find("WITHOUT ROWID"),
              std::string::npos);
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM cap_events"), 5);  // every event copied
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('messages_by_update', "
                         "'cap_events_by_number', 'cap_events_v2')"),
              0);
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE name='messages_final_by_update'"), 1);
    sqlite3_close(db);
  }

  // Caps count the events written by v2: the third in 24 h is accepted, the fourth refused.
  auto capped_request = [&](const std::string& id) {
    auto r = base_request(id, capped, t0);
    r.caps = {{24 * 3600, 3, false}};
    return r;
  };
  auto third = call<admit_result>([&](auto cb) { s->admit(capped_request("v3-a"), cb); }).second;
  EXPECT_TRUE(third.accepted());
  auto fourth = call<admit_result>([&](auto cb) { s->admit(capped_request("v3-b"), cb); }).second;
  EXPECT_FALSE(fourth.admitted);
  EXPECT_EQ(fourth.refused, reason::frequency_capped);

  // A per-campaign cap sees the campaign of a v2 event.
  auto campaign_request = [&](const std::string& id, const std::string& campaign) {
    auto r = base_request(id, campaigned, t0);
    r.campaign = campaign;
    r.message.campaign = campaign;
    r.caps = {{24 * 3600, 1, true}};
    return r;
  };
  auto spring = call<admit_result>([&](auto cb) { s->admit(campaign_request("v3-c", "spring"), cb); }).second;
  EXPECT_EQ(spring.refused, reason::frequency_capped);
  EXPECT_TRUE(call<admit_result>([&](auto cb) { s->admit(campaign_request("v3-d", "fall"), cb); }).second.accepted());

  // The entry queued by v2 comes first (due earliest), then the new ones; each completes.
  auto claimed = call<claim_result>([&](auto cb) { s->claim({"sim", 10, 30'000, t0}, cb); }).second;
  ASSERT_EQ(claimed.entries.size(), 3u);
  EXPECT_EQ(claimed.entries[0].message.id, "v2-b");
  std::vector<completion> items;
  for (const auto& e : claimed.entries) {
    completion c;
    c.carrier = "sim";
    c.lease_id = e.lease_id;
    c.update = {e.message.id, message_status::submitted, "c-" + e.message.id, "", t0};
    items.push_back(c);
  }
  auto done_items = call<std::vector<completion_result>>([&](auto cb) { s->complete(items, cb); }).second;
  ASSERT_EQ(done_items.size(), 3u);
  for (const auto& r : done_items) EXPECT_TRUE(r.applied && r.released);
  auto b_msg = call<std::optional<message_record>>([&](auto cb) { s->get_message("v2-b", cb); }).second;
  ASSERT_TRUE(b_msg);
  EXPECT_EQ(b_msg->status, message_status::submitted);

  // Retention removes what it removed before: the final message older than the horizon (not the
  // recent delivered one), and the cap events older than theirs (the expired event of `capped`
  // already went at its admission above).
  purge_request p;
  p.now_ms = t0;
  p.records_final_before_ms = t0 - 5 * day;
  p.cap_events_before_ms = t0 - 5 * day;
  auto dry = p;
  dry.dry_run = true;
  auto counted = call<purge_result>([&](auto cb) { s->purge(dry, cb); }).second;
  EXPECT_EQ(counted.records, 1);
  EXPECT_EQ(counted.cap_events, 1);
  auto purged = call<purge_result>([&](auto cb) { s->purge(p, cb); }).second;
  EXPECT_EQ(purged.records, 1);
  EXPECT_EQ(purged.cap_events, 1);
  EXPECT_FALSE(call<std::optional<message_record>>([&](auto cb) { s->get_message("old-2", cb); }).second);
  EXPECT_TRUE(call<std::optional<message_record>>([&](auto cb) { s->get_message("v2-c", cb); }).second);

  // Erasure removes the cap events of the number: its cap starts again.
  auto erased = call<erase_result>([&](auto cb) { s->erase_number(k1, "test", t0, cb); }).second;
  EXPECT_EQ(erased.messages, 4);  // old-1, v2-a, v2-b, v3-a
  s.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
  EXPECT_EQ(scalar(db, ("SELECT COUNT(*) FROM cap_events WHERE number_key='" + k1 + "'").c_str()), 0);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM cap_events"), 2);  // campaigned: spring (v2) and fall
  sqlite3_close(db);
}

TEST(SqliteStore, ANewFileUsesTheConfiguredPageSize) {
  sqlite_backend b;
  { auto s = open_with(b, [](sqlite_options& o) { o.page_size = 2048; }); }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
    EXPECT_EQ(scalar(db, "PRAGMA page_size"), 2048);
    sqlite3_close(db);
  }
  // Reopening with another setting changes nothing: the size is the file's.
  { auto s = open_with(b, [](sqlite_options& o) { o.page_size = 8192; }); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(b.file().c_str(), &db), SQLITE_OK);
  EXPECT_EQ(scalar(db, "PRAGMA page_size"), 2048);
  sqlite3_close(db);
}
