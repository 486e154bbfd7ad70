// Redis-only behaviour (suite RedisStore): start-up refusal, fail closed while down, reconnection,
// script cache loss. Each test runs its own throw-away redis-server on a free loopback port.

#include <gtest/gtest.h>

#include <csignal>

#include "policy/redis_connection.hpp"
#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;

admit_request request(const std::string& id, std::int64_t now) {
  admit_request r;
  r.sender = "12345";
  r.category = "marketing";
  r.now_ms = now;
  r.message.id = id;
  r.message.e164 = "+14155550123";
  r.message.number_key = test_secrets()->key(r.message.e164);
  r.message.carrier = "sim";
  r.message.sender = "12345";
  r.message.text = "hi";
  return r;
}

std::unique_ptr<redis_store> make_store(io_thread& io, const std::string& url) {
  redis_options o;
  o.url = url;
  o.key_prefix = "t:" + unique_suffix() + ":";
  o.secrets = test_secrets();
  o.request_timeout = std::chrono::milliseconds(1000);
  o.backoff_max = std::chrono::milliseconds(200);
  auto r = redis_store::create(io.io().get_executor(), o);
  EXPECT_TRUE(r.store) << r.error;
  return std::move(r.store);
}

TEST(RedisUrl, Parses) {
  std::string err;
  auto ep = parse_redis_url("redis://127.0.0.1:6390/3", &err);
  ASSERT_TRUE(ep) << err;
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 6390);
  EXPECT_EQ(ep->db, 3);
  auto auth = parse_redis_url("redis://user:pw@redis.local", &err);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->username, "user");
  EXPECT_EQ(auth->password, "pw");
  EXPECT_EQ(auth->port, 6379);
  EXPECT_EQ(auth->db, 0);
  EXPECT_FALSE(parse_redis_url("http://x", &err));
  EXPECT_NE(err.find("redis://"), std::string::npos);
  EXPECT_FALSE(parse_redis_url("redis://host:99999", &err));
  EXPECT_FALSE(parse_redis_url("redis://host:1/x", &err));
}

TEST(RedisStore, RefusesToBecomeReadyWithoutAppendonly) {
  redis_server server(/*appendonly=*/false);
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  auto [ok, detail] = wait_healthy(*store, std::chrono::milliseconds(1500));
  EXPECT_FALSE(ok);
  EXPECT_NE(detail.find("appendonly yes"), std::string::npos) << detail;
  auto [ec, r] = call<admit_result>([&](auto cb) { store->admit(request("m1", t0), cb); });
  EXPECT_EQ(ec, make_error_code(store_errc::not_ready));
  store.reset();
}

TEST(RedisStore, RefusesToBecomeReadyWhenRedisMayEvict) {
  redis_server server(true, "allkeys-lru");
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  auto [ok, detail] = wait_healthy(*store, std::chrono::milliseconds(1500));
  EXPECT_FALSE(ok);
  EXPECT_NE(detail.find("noeviction"), std::string::npos) << detail;
  store.reset();
}

TEST(RedisStore, FailsClosedWhileDownAndReconnectsWhenBack) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(5)).first);
  auto [ec, r] = call<admit_result>([&](auto cb) { store->admit(request("m1", t0), cb); });
  ASSERT_FALSE(ec);
  EXPECT_TRUE(r.accepted());

  server.stop();
  // Every operation now fails with an error code (never hangs, never "accepted").
  for (int i = 0; i < 3; ++i) {
    auto [ec2, r2] = call<admit_result>([&](auto cb) { store->admit(request("m2", t0 + 1), cb); });
    EXPECT_TRUE(ec2) << "accepted while Redis is down";
    EXPECT_FALSE(r2.accepted());
    auto [ec3, d] = call<done>([&](auto cb) {
      store->suppress({test_secrets()->key("+14155550123"), "", "12345", "stop", "keyword", t0}, cb);
    });
    EXPECT_TRUE(ec3) << "a STOP must not be acknowledged when it was not stored";
  }
  auto [hec, h] = call<health_info>([&](auto cb) { store->health(cb); });
  EXPECT_TRUE(hec);
  EXPECT_FALSE(h.ok);

  ASSERT_TRUE(server.start());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(10)).first) << "did not reconnect";
  auto [ec4, r4] = call<admit_result>([&](auto cb) { store->admit(request("m3", t0 + 2), cb); });
  EXPECT_FALSE(ec4) << ec4.message();
  EXPECT_TRUE(r4.accepted());
  store.reset();
}

TEST(RedisStore, SurvivesScriptCacheFlush) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(5)).first);
  ASSERT_EQ(std::system(("redis-cli -u " + server.url() + " SCRIPT FLUSH >/dev/null").c_str()), 0);
  auto [ec, r] = call<admit_result>([&](auto cb) { store->admit(request("m1", t0), cb); });
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(r.accepted());
  auto [ec2, r2] = call<admit_result>([&](auto cb) { store->admit(request("m1b", t0), cb); });
  EXPECT_FALSE(ec2);
  EXPECT_TRUE(r2.accepted());
  store.reset();
}

}  // namespace
