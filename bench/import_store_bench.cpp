// Bulk import into the stores (issue 7): import_suppressions of 50,000 prepared records per call
// (the E.164 sealed inside the call as smsgwctl does), SQLite in a temp file and Redis at
// SMSGW_BENCH_REDIS_URL (or SMSGW_TEST_REDIS_URL; skipped without). Numbers per second are
// reported as items_per_second; for Redis also the server's CPU per number (INFO cpu through
// redis-cli). docs/performance.md, "Operator tooling".
// Argument `ordered`: 1 = what smsgwctl sends since its key-ordered import, a batch whose keys
// share their first byte (256 buckets, about 195 records each, as in a 12.8-million-number
// import); 0 = keys spread over the whole key space (every record in its own bucket, what a
// batch of an unsorted import looks like). Keys are random hex, not HMACs: the store treats
// them as opaque.

#include <benchmark/benchmark.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <filesystem>
#include <future>
#include <thread>

#include "policy/redis_store.hpp"
#include "policy/sqlite_store.hpp"

namespace {

constexpr std::size_t batch = 50'000;

std::shared_ptr<const policy::number_secrets> secrets() {
  static auto s = policy::number_secrets::from_secret("import-bench-secret-0123456789abcdefgh");
  return s;
}

std::vector<policy::suppression_record> make_batch(std::int64_t first, bool ordered) {
  static std::mt19937_64 rng(7);
  static constexpr char hex[] = "0123456789abcdef";
  std::vector<policy::suppression_record> out;
  out.reserve(batch);
  const auto lead = static_cast<unsigned>((first / static_cast<std::int64_t>(batch)) % 256);
  for (std::size_t i = 0; i < batch; ++i) {
    char e164[32];
    std::snprintf(e164, sizeof e164, "+1415%07lld", static_cast<long long>(first + static_cast<std::int64_t>(i)));
    std::string key(64, '0');
    for (std::size_t j = 0; j < 64; j += 16) {
      std::uint64_t r = rng();
      for (std::size_t k = 0; k < 16; ++k, r >>= 4) key[j + k] = hex[r & 15];
    }
    if (ordered) {
      key[0] = hex[lead >> 4];
      key[1] = hex[lead & 15];
    }
    out.push_back({std::move(key), e164, "", "dnc", "import", 1'800'000'000'000});
  }
  if (ordered) {
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number_key < b.number_key; });
  }
  return out;
}

// redis-server's user + system CPU seconds (INFO cpu); -1 when redis-cli fails.
double redis_cpu_seconds(const std::string& url) {
  std::string cmd = "redis-cli -u '" + url + "' info cpu 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char line[256];
  double total = 0;
  int seen = 0;
  while (std::fgets(line, sizeof line, p)) {
    double v = 0;
    if (std::sscanf(line, "used_cpu_user:%lf", &v) == 1 || std::sscanf(line, "used_cpu_sys:%lf", &v) == 1) {
      total += v;
      ++seen;
    }
  }
  ::pclose(p);
  return seen == 2 ? total : -1;
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
    auto recs = make_batch(next, state.range(0) != 0);  // smsgwctl computes the keys before the call
    next += batch;
    state.ResumeTiming();
    run(*opened.store, std::move(recs));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  opened.store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ImportSuppressionsSqlite)->ArgName("ordered")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

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
  static int run_no = 0;  // a fresh key space for every run: each starts with empty buckets
  o.key_prefix = "smsgw-import-bench:" + std::to_string(::getpid()) + ":" + std::to_string(++run_no) + ":";
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
    double server_cpu = 0;
    for (auto _ : state) {
      state.PauseTiming();
      auto recs = make_batch(next, state.range(0) != 0);
      next += batch;
      const double before = redis_cpu_seconds(url);
      state.ResumeTiming();
      run(*created.store, std::move(recs));
      state.PauseTiming();
      server_cpu += redis_cpu_seconds(url) - before;
      state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
    state.counters["redis_us_per_number"] = server_cpu * 1e6 / static_cast<double>(next);
    state.counters["keys_left_for_memory_check"] = static_cast<double>(next);
  }
  created.store.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  guard.reset();
  io.stop();
  t.join();
}
BENCHMARK(BM_ImportSuppressionsRedis)->ArgName("ordered")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
