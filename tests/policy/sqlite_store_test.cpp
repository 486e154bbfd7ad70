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
