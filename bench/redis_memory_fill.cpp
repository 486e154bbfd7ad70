// redis-memory-fill: stores N global suppressions through redis_store::import_suppressions (the
// real bucketed layout, docs/stores.md "Suppressions") and prints Redis' used_memory growth per
// number. Used for the "Redis memory per suppressed number" figure (docs/performance.md, Stores).
//
//   redis-server --port PORT --save '' --appendonly no --daemonize no &
//   redis-memory-fill --url redis://127.0.0.1:PORT/0 --count 10000000
//
// Numbers are "+1" followed by 2,000,000,000 + i (12 characters, like a US number); reason "dnc",
// source "import". The Redis must be empty of these numbers (re-imports count as existing). With
// --first, a run continues an earlier one (the figure is then for the whole database: pass
// --before with the used_memory of the empty server).

#include <CLI/CLI.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "policy/number_key.hpp"
#include "policy/redis_connection.hpp"
#include "policy/redis_store.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

long long used_memory(const std::string& url) {
  auto ep = policy::parse_redis_url(url, nullptr);
  std::string cmd = "redis-cli -h " + ep->host + " -p " + std::to_string(ep->port) + " -n " + std::to_string(ep->db) +
                    " info memory";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char line[256];
  long long v = -1;
  while (std::fgets(line, sizeof line, p)) {
    if (std::sscanf(line, "used_memory:%lld", &v) == 1) break;
  }
  ::pclose(p);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  long long count = 1'000'000, first = 0, before = -1;
  long batch = 5000;
  int in_flight = 8;
  CLI::App app{"redis-memory-fill: Redis memory per suppressed number with the store's layout"};
  app.add_option("--url", url, "Redis URL")->required();
  app.add_option("--count", count, "suppressions to store")->check(CLI::Range(1LL, 100'000'000LL));
  app.add_option("--first", first, "index of the first number");
  app.add_option("--before", before, "used_memory before the first run (default: read now)");
  app.add_option("--batch", batch, "records per import_suppressions call")->check(CLI::Range(1L, 100000L));
  app.add_option("--in-flight", in_flight, "calls in flight")->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  std::string err;
  if (!policy::parse_redis_url(url, &err)) {
    std::cerr << "redis-memory-fill: " << err << "\n";
    return 2;
  }
  if (before < 0) before = used_memory(url);

  auto secrets = policy::number_secrets::from_secret("redis-memory-fill-secret-0123456789abcdef");
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  policy::redis_options o;
  o.url = url;
  o.secrets = secrets;
  o.require_durability = false;  // a memory measurement: no need to write gigabytes of AOF
  o.request_timeout = std::chrono::milliseconds(30000);
  auto created = policy::redis_store::create(io.get_executor(), o);
  if (!created.store) {
    std::cerr << "redis-memory-fill: " << created.error << "\n";
    return 2;
  }
  auto& store = *created.store;
  const auto ready_by = clock_type::now() + std::chrono::seconds(10);
  for (;;) {
    std::atomic<int> ok{-1};
    store.health([&](std::error_code ec, policy::health_info h) { ok = !ec && h.ok; });
    while (ok < 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (ok) break;
    if (clock_type::now() > ready_by) {
      std::cerr << "redis-memory-fill: Redis not ready\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  std::atomic<long long> done{0}, added{0}, errors{0};
  std::atomic<int> pending{0};
  const auto start = clock_type::now();
  for (long long i = first; i < first + count;) {
    while (pending >= in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::vector<policy::suppression_record> recs;
    for (; i < first + count && static_cast<long>(recs.size()) < batch; ++i) {
      char e164[32];
      std::snprintf(e164, sizeof e164, "+1%010lld", 2'000'000'000LL + i);
      recs.push_back({secrets->key(e164), e164, "", "dnc", "import", 1'800'000'000'000LL});
    }
    const auto n = static_cast<long long>(recs.size());
    ++pending;
    store.import_suppressions(std::move(recs), [&, n](std::error_code ec, policy::import_result r) {
      if (ec) ++errors;
      added += r.added;
      done += n;
      --pending;
    });
  }
  while (done < count) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  const long long after = used_memory(url);
  const long long total = first + count;
  std::printf(
      "{\"stored\": %lld, \"added\": %lld, \"errors\": %lld, \"seconds\": %.1f, \"used_memory_before\": %lld, "
      "\"used_memory_after\": %lld, \"bytes_per_suppressed_number\": %.1f}\n",
      count, added.load(), errors.load(), seconds, before, after,
      static_cast<double>(after - before) / static_cast<double>(total));
  created.store.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  guard.reset();
  io.stop();
  t.join();
  return errors == 0 ? 0 : 1;
}
