// SQLite-only behaviour (suite SqliteStore): numbers never in clear in the file, schema versions,
// completions handed to a user-supplied post function.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <fstream>
#include <sstream>

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

}  // namespace

#include "policy/store_factory.hpp"

namespace {

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
