// Store admission throughput (docs/performance.md, section "Stores"): the atomic
// decide-reserve-enqueue operation with a cap rule, many requests in flight at once (as the HTTP
// front end produces them), so that SQLite shares commits and Redis pipelines.
//
//   SMSGW_BENCH_REDIS_URL=redis://127.0.0.1:PORT/0 build/dev/bench/store_bench --benchmark_min_time=2
// (falls back to SMSGW_TEST_REDIS_URL; the Redis benchmarks are skipped without either).

#include <benchmark/benchmark.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

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

// Fires `window` single admissions (or batches of `batch`) and waits for all completions.
void run_window(store& s, int window, int batch, std::int64_t now) {
  std::mutex mu;
  std::condition_variable cv;
  int remaining = window / batch;
  auto finished = [&] {
    std::lock_guard lk(mu);
    if (--remaining == 0) cv.notify_one();
  };
  for (int i = 0; i < window / batch; ++i) {
    if (batch == 1) {
      s.admit(make_request(now), [&](std::error_code ec, admit_result) {
        if (ec) std::abort();
        finished();
      });
    } else {
      std::vector<admit_request> reqs;
      for (int j = 0; j < batch; ++j) reqs.push_back(make_request(now));
      s.admit_batch(std::move(reqs), [&](std::error_code ec, std::vector<admit_result>) {
        if (ec) std::abort();
        finished();
      });
    }
  }
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return remaining == 0; });
}

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
  const int window = static_cast<int>(state.range(0));
  std::int64_t now = 1'800'000'000'000;
  for (auto _ : state) run_window(*r.store, window, 1, ++now);
  state.SetItemsProcessed(state.iterations() * window);
  r.store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SqliteAdmit)->Arg(1)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

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
    const int window = static_cast<int>(state.range(0));
    const int batch = static_cast<int>(state.range(1));
    std::int64_t now = 1'800'000'000'000;
    for (auto _ : state) run_window(*r.store, window, batch, ++now);
    state.SetItemsProcessed(state.iterations() * window);
  } else {
    state.SkipWithError("Redis store not ready");
  }
  r.store.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  guard.reset();
  io.stop();
  t.join();
}
// {requests in flight, requests per admit_batch call}
BENCHMARK(BM_RedisAdmit)->Args({1, 1})->Args({1024, 1})->Args({1024, 64})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
