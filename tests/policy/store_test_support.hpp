#pragma once

// Shared by the store contract suite and the Redis-only tests: synchronous wrappers around the
// asynchronous store API, backends (SQLite temp file, Redis from SMSGW_TEST_REDIS_URL) and a
// throw-away redis-server for outage tests.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "policy/number_key.hpp"
#include "policy/redis_connection.hpp"
#include "policy/redis_store.hpp"
#include "policy/sqlite_store.hpp"
#include "policy/store.hpp"

namespace store_test {

inline std::shared_ptr<const policy::number_secrets> test_secrets() {
  static auto s = policy::number_secrets::from_secret("contract-test-secret-0123456789abcdef");
  return s;
}

// Waits for one completion; fails the test (and returns an error) after 15 s.
template <class R, class F>
std::pair<std::error_code, R> call(F&& start) {
  auto p = std::make_shared<std::promise<std::pair<std::error_code, R>>>();
  auto fut = p->get_future();
  start([p](std::error_code ec, R r) { p->set_value({ec, std::move(r)}); });
  if (fut.wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
    ADD_FAILURE() << "store operation did not complete within 15 s";
    return {make_error_code(policy::store_errc::timeout), R{}};
  }
  return fut.get();
}

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

inline std::string unique_suffix() {
  static std::atomic<int> n{0};
  return std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// An io_context run by one thread, for Redis stores.
class io_thread {
 public:
  io_thread() : guard_(io_.get_executor()), t_([this] { io_.run(); }) {}
  ~io_thread() { stop(); }
  boost::asio::io_context& io() { return io_; }
  // Lets queued handlers (a store's shutdown) run, then stops.
  void stop() {
    if (!t_.joinable()) return;
    std::promise<void> p;
    boost::asio::post(io_, [&] { p.set_value(); });
    p.get_future().wait_for(std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    guard_.reset();
    io_.stop();
    t_.join();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread t_;
};

// Polls health() until ok or the deadline; returns the last detail.
inline std::pair<bool, std::string> wait_healthy(policy::store& s, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  std::string detail;
  while (std::chrono::steady_clock::now() < until) {
    auto [ec, h] = call<policy::health_info>([&](auto cb) { s.health(cb); });
    detail = h.detail;
    if (!ec && h.ok) return {true, detail};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {false, detail};
}

struct sqlite_backend {
  static constexpr const char* name = "Sqlite";
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("smsgw-store-test-" + unique_suffix());

  ~sqlite_backend() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  bool available(std::string&) { return true; }
  std::filesystem::path file() const { return dir / "store.db"; }
  std::unique_ptr<policy::store> make() {
    policy::sqlite_options o;
    o.path = file().string();
    o.secrets = test_secrets();
    auto r = policy::sqlite_store::open(o);
    EXPECT_TRUE(r.store) << r.error;
    return std::move(r.store);
  }
  void release(std::unique_ptr<policy::store>& s) { s.reset(); }
};

struct redis_backend {
  static constexpr const char* name = "Redis";
  std::string url;
  std::string prefix = "smsgw-test:" + unique_suffix() + ":";
  std::unique_ptr<io_thread> io = std::make_unique<io_thread>();

  ~redis_backend() { io->stop(); }
  bool available(std::string& why) {
    const char* u = std::getenv("SMSGW_TEST_REDIS_URL");
    if (!u || !*u) {
      why = "SMSGW_TEST_REDIS_URL is not set (tools/test starts a redis-server and sets it)";
      return false;
    }
    url = u;
    return true;
  }
  std::unique_ptr<policy::store> make() {
    policy::redis_options o;
    o.url = url;
    o.key_prefix = prefix;
    o.secrets = test_secrets();
    auto r = policy::redis_store::create(io->io().get_executor(), o);
    EXPECT_TRUE(r.store) << r.error;
    if (!r.store) return nullptr;
    auto [ok, detail] = wait_healthy(*r.store, std::chrono::seconds(5));
    EXPECT_TRUE(ok) << "Redis store not ready: " << detail;
    return std::move(r.store);
  }
  void release(std::unique_ptr<policy::store>& s) { s.reset(); }
};

// A dedicated redis-server (for outage and refusal tests), daemonized with a pid file.
class redis_server {
 public:
  explicit redis_server(bool appendonly = true, std::string policy = "noeviction")
      : port_(free_port()),
        dir_(std::filesystem::temp_directory_path() / ("smsgw-redis-" + unique_suffix())),
        appendonly_(appendonly),
        policy_(std::move(policy)) {
    std::filesystem::create_directories(dir_);
  }
  ~redis_server() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bool start() {
    std::string cmd = "redis-server --bind 127.0.0.1 --port " + std::to_string(port_) + " --save '' --appendonly " +
                      (appendonly_ ? "yes" : "no") + " --maxmemory-policy " + policy_ + " --dir " + dir_.string() +
                      " --daemonize yes --pidfile " + (dir_ / "redis.pid").string() + " --logfile " +
                      (dir_ / "redis.log").string();
    if (std::system(cmd.c_str()) != 0) return false;
    for (int i = 0; i < 100; ++i) {
      std::string ping = "redis-cli -p " + std::to_string(port_) + " ping >/dev/null 2>&1";
      if (std::system(ping.c_str()) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void stop() {
    std::ifstream in(dir_ / "redis.pid");
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return;
    in.close();
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    for (int i = 0; i < 100 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::filesystem::remove(dir_ / "redis.pid");
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  std::string port() const { return std::to_string(port_); }

 private:
  int port_;
  std::filesystem::path dir_;
  bool appendonly_;
  std::string policy_;
};

// The fixture of the typed contract suites: a fresh store of backend B per test. A backend that
// is not available (no SMSGW_TEST_REDIS_URL) skips the test on a developer's machine and fails
// it in CI, where tools/test always provides Redis.
template <class B>
class store_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!backend_.available(why)) {
      if (in_ci()) FAIL() << why;
      GTEST_SKIP() << "backend not available here (CI fails instead): " << why;
    }
    store_ = backend_.make();
    ASSERT_TRUE(store_);
  }
  void TearDown() override { backend_.release(store_); }

  B backend_;
  std::unique_ptr<policy::store> store_;
};

struct backend_names {
  template <class T>
  static std::string GetName(int) {
    return T::name;
  }
};

using backends = ::testing::Types<sqlite_backend, redis_backend>;

// An admission of one message from sender 12345 on carrier "sim" (category marketing, GSM-7, one
// segment, no caps); tests change what they look at.
inline policy::admit_request base_request(const std::string& id, const std::string& e164, std::int64_t now) {
  policy::admit_request r;
  r.sender = "12345";
  r.category = "marketing";
  r.now_ms = now;
  r.message.id = id;
  r.message.number_key = test_secrets()->key(e164);
  r.message.e164 = e164;
  r.message.carrier = "sim";
  r.message.sender = "12345";
  r.message.text = "Hello";
  r.message.category = "marketing";
  r.message.segments = 1;
  r.message.encoding = "gsm7";
  r.message.created_at_ms = now;
  return r;
}

// A plain connection for looking at what a Redis store wrote, and a command on it that must succeed.
inline std::shared_ptr<policy::redis_connection> raw_connection(io_thread& io, const std::string& url) {
  policy::redis_connection_options co;
  co.endpoint = *policy::parse_redis_url(url, nullptr);
  auto c = policy::redis_connection::create(io.io().get_executor(), co);
  c->start();
  for (int i = 0; i < 250; ++i) {
    auto [ec, v] = call<policy::redis_value>([&](auto cb) { c->command({"PING"}, cb); });
    if (!ec) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return c;
}

inline policy::redis_value run(policy::redis_connection& c, std::vector<std::string> args) {
  auto [ec, v] = call<policy::redis_value>([&](auto cb) { c.command(std::move(args), cb); });
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_FALSE(v.is_error()) << v.str;
  return v;
}

}  // namespace store_test
