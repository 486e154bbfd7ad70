// Store admission throughput (docs/performance.md, section "Stores"): the atomic
// decide-reserve-enqueue operation with a cap rule, many requests in flight at once (as the HTTP
// front end produces them), so that SQLite shares commits and Redis pipelines.
//
//   SMSGW_BENCH_REDIS_URL=redis://127.0.0.1:PORT/0 build/dev/bench/store_bench --benchmark_min_time=2
// (falls back to SMSGW_TEST_REDIS_URL; the Redis benchmarks are skipped without either).
// BM_RedisAdmit also reports `redis_cpu_us`: the Redis server's CPU time (INFO cpu, user + sys,
// all its threads) per admission over the measured iterations, the figure that bounds the
// admission rate of one Redis.

#include <benchmark/benchmark.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "policy/redis_connection.hpp"
#include "policy/redis_store.hpp"
#include "policy/sqlite_store.hpp"

namespace {

using namespace policy;

std::shared_ptr<const number_secrets> secrets() {
  static auto s = number_secrets::from_secret("benchmark-secret-0123456789abcdef0123");
  return s;
}

std::atomic<std::uint64_t> next_id{0};

admit_request make_request(std::int64_t now) {
  std::uint64_t n = next_id++;
  admit_request r;
  r.sender = "12345";
  r.category = "marketing";
  r.caps = {{24 * 3600, 3, false}};
  r.now_ms = now;
  std::string e164 = "+1415" + std::to_string(1000000 + n % 5000000);
  r.message.id = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(n);
  r.message.number_key = secrets()->key(e164);
  r.message.e164 = e164;
  r.message.carrier = "bench";
  r.message.sender = "12345";
  r.message.text = "Your code is 123456";
  r.message.encoding = "gsm7";
  return r;
}

// Closed loop: keeps `inflight` admissions outstanding (each completion issues the next one)
// until `total` completed, as a busy HTTP front end would.
void run_closed_loop(store& s, int total, int inflight, std::int64_t now) {
  std::atomic<int> issued{0};
  std::atomic<int> completed{0};
  std::promise<void> all_done;
  std::function<void()> issue = [&] {
    if (issued++ >= total) return;
    s.admit(make_request(now), [&](std::error_code ec, admit_result) {
      if (ec) std::abort();
      if (++completed == total) {
        all_done.set_value();
      } else {
        issue();
      }
    });
  };
  for (int i = 0; i < inflight; ++i) issue();
  all_done.get_future().wait();
}

// Admissions per benchmark iteration: enough to keep the pipeline full, short for one-at-a-time.
int per_iteration(int inflight) { return std::max(64, std::min(8192, inflight * 16)); }

void BM_SqliteAdmit(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("smsgw-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  sqlite_options o;
  o.path = (dir / "bench.db").string();
  o.secrets = secrets();
  auto r = sqlite_store::open(o);
  if (!r.store) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const int inflight = static_cast<int>(state.range(0));
  std::int64_t now = 1'800'000'000'000;
  for (auto _ : state) run_closed_loop(*r.store, per_iteration(inflight), inflight, ++now);
  state.SetItemsProcessed(state.iterations() * per_iteration(inflight));
  r.store.reset();
  std::filesystem::remove_all(dir);
}
// Argument: admissions in flight.
BENCHMARK(BM_SqliteAdmit)->Arg(1)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

// The Redis server's CPU seconds so far (used_cpu_sys + used_cpu_user of INFO cpu); -1 if unknown.
double redis_cpu_seconds(policy::redis_connection& c) {
  std::promise<std::string> p;
  auto f = p.get_future();
  c.command({"INFO", "cpu"}, [&p](std::error_code ec, policy::redis_value v) { p.set_value(ec ? std::string() : v.str); });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return -1;
  std::string info = f.get();
  double total = 0;
  int found = 0;
  for (const char* name : {"used_cpu_sys:", "used_cpu_user:"}) {
    auto pos = info.find(name);
    if (pos == std::string::npos) continue;
    total += std::strtod(info.c_str() + pos + std::strlen(name), nullptr);
    ++found;
  }
  return found == 2 ? total : -1;
}

void BM_RedisAdmit(benchmark::State& state) {
  const char* url = std::getenv("SMSGW_BENCH_REDIS_URL");
  if (!url) url = std::getenv("SMSGW_TEST_REDIS_URL");
  if (!url) {
    state.SkipWithError("set SMSGW_BENCH_REDIS_URL (or SMSGW_TEST_REDIS_URL)");
    return;
  }
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  redis_options o;
  o.url = url;
  o.key_prefix = "smsgw-bench:" + std::to_string(::getpid()) + ":";
  o.secrets = secrets();
  auto r = redis_store::create(io.get_executor(), o);
  bool ready = false;
  for (int i = 0; i < 250 && !ready; ++i) {
    std::mutex mu;
    std::condition_variable cv;
    bool got = false;
    r.store->health([&](std::error_code ec, health_info) {
      std::lock_guard lk(mu);
      ready = !ec;
      got = true;
      cv.notify_one();
    });
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return got; });
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (ready) {
    policy::redis_connection_options co;
    co.endpoint = *policy::parse_redis_url(url, nullptr);
    auto info = policy::redis_connection::create(io.get_executor(), co);
    info->start();
    double cpu0 = -1;
    for (int i = 0; i < 250 && cpu0 < 0; ++i) {
      cpu0 = redis_cpu_seconds(*info);
      if (cpu0 < 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const int inflight = static_cast<int>(state.range(0));
    std::int64_t now = 1'800'000'000'000;
    for (auto _ : state) run_closed_loop(*r.store, per_iteration(inflight), inflight, ++now);
    const double admissions = static_cast<double>(state.iterations()) * per_iteration(inflight);
    state.SetItemsProcessed(state.iterations() * per_iteration(inflight));
    double cpu1 = redis_cpu_seconds(*info);
    if (cpu0 >= 0 && cpu1 >= 0) state.counters["redis_cpu_us"] = (cpu1 - cpu0) * 1e6 / admissions;
    info->stop();
  } else {
    state.SkipWithError("Redis store not ready");
  }
  r.store.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  guard.reset();
  io.stop();
  t.join();
}
// Argument: admissions in flight.
BENCHMARK(BM_RedisAdmit)->Arg(1)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
