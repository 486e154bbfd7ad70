// Bulk import into the stores (issue 7): import_suppressions of 20,000 prepared records per call
// (number keys computed, E.164 sealed inside the call as smsgwctl does), SQLite in a temp file
// and Redis at SMSGW_BENCH_REDIS_URL (or SMSGW_TEST_REDIS_URL; skipped without). Numbers per
// second are reported as items_per_second. docs/performance.md, "Operator tooling".

#include <benchmark/benchmark.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "policy/redis_store.hpp"
#include "policy/sqlite_store.hpp"

namespace {

constexpr std::size_t batch = 20'000;

std::shared_ptr<const policy::number_secrets> secrets() {
  static auto s = policy::number_secrets::from_secret("import-bench-secret-0123456789abcdefgh");
  return s;
}

std::vector<policy::suppression_record> make_batch(std::int64_t first) {
  std::vector<policy::suppression_record> out;
  out.reserve(batch);
  for (std::size_t i = 0; i < batch; ++i) {
    char e164[32];
    std::snprintf(e164, sizeof e164, "+1415%07lld", static_cast<long long>(first + static_cast<std::int64_t>(i)));
    out.push_back({secrets()->key(e164), e164, "", "dnc", "import", 1'800'000'000'000});
  }
  return out;
}

policy::import_result run(policy::store& s, std::vector<policy::suppression_record> recs) {
  std::promise<policy::import_result> p;
  s.import_suppressions(std::move(recs), [&](std::error_code ec, policy::import_result r) {
    if (ec) std::fprintf(stderr, "import failed: %s\n", ec.message().c_str());
    p.set_value(r);
  });
  return p.get_future().get();
}

void BM_ImportSuppressionsSqlite(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("smsgw-import-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  policy::sqlite_options o;
  o.path = (dir / "bench.db").string();
  o.secrets = secrets();
  auto opened = policy::sqlite_store::open(o);
  if (!opened.store) {
    state.SkipWithError(opened.error.c_str());
    return;
  }
  std::int64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto recs = make_batch(next);  // keys are computed by the caller (smsgwctl: in its batch loop)
    next += batch;
    state.ResumeTiming();
    run(*opened.store, std::move(recs));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  opened.store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ImportSuppressionsSqlite)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ImportSuppressionsRedis(benchmark::State& state) {
  const char* url = std::getenv("SMSGW_BENCH_REDIS_URL");
  if (!url || !*url) url = std::getenv("SMSGW_TEST_REDIS_URL");
  if (!url || !*url) {
    state.SkipWithError("set SMSGW_BENCH_REDIS_URL (or SMSGW_TEST_REDIS_URL)");
    return;
  }
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  policy::redis_options o;
  o.url = url;
  o.key_prefix = "smsgw-import-bench:" + std::to_string(::getpid()) + ":";
  o.secrets = secrets();
  o.request_timeout = std::chrono::seconds(30);
  auto created = policy::redis_store::create(io.get_executor(), o);
  bool ready = false;
  for (int i = 0; i < 200 && created.store && !ready; ++i) {
    std::promise<bool> p;
    created.store->health([&](std::error_code ec, policy::health_info h) { p.set_value(!ec && h.ok); });
    ready = p.get_future().get();
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (!ready) {
    state.SkipWithError("Redis store not ready");
  } else {
    std::int64_t next = 0;
    for (auto _ : state) {
      state.PauseTiming();
      auto recs = make_batch(next);
      next += batch;
      state.ResumeTiming();
      run(*created.store, std::move(recs));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
    state.counters["keys_left_for_memory_check"] = static_cast<double>(next);
  }
  created.store.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  guard.reset();
  io.stop();
  t.join();
}
BENCHMARK(BM_ImportSuppressionsRedis)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
