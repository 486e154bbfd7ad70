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
#include <cstdio>
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

// The whole life of a message in the store as bench/e2e drives it (docs/performance.md, "SQLite
// CPU and WAL per message"): admissions of unique numbers with a cap rule (64 in flight), then
// claims of up to 64 entries (argument 0; argument 1: every message leased at admission, the
// gateway's direct hand-off, and no claim), then completions as `submitted` with a carrier
// message id in calls of 16. No checkpoint runs (checkpoint_pages is huge), so the growth of
// the WAL file is every frame written: `wal_bytes` per message. Run it under
// `valgrind --tool=callgrind` for the writer thread's instructions per message and job
// (argument 2 makes both repeatable).
void BM_SqliteCycle(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("smsgw-bench-cycle-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  sqlite_options o;
  o.path = (dir / "bench.db").string();
  o.secrets = secrets();
  o.checkpoint_pages = 1 << 30;
  auto r = sqlite_store::open(o);
  if (!r.store) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  store& s = *r.store;
  const bool hand_off = state.range(0) != 0;
  constexpr int per_iter = 1024;
  constexpr int inflight = 64;
  constexpr int serial_per_iter = 4096;
  std::int64_t now = 1'800'000'000'000;
  std::uint64_t seq = 0;
  auto wal_size = [&] {
    std::error_code ec;
    auto n = std::filesystem::file_size(o.path + "-wal", ec);
    return ec ? 0.0 : static_cast<double>(n);
  };
  const double wal0 = wal_size();
  // Argument 2: one job at a time (admit_batch of 64, claim, complete of 64), so that every
  // group transaction is exactly one job and the WAL bytes and instructions are repeatable.
  auto wait = [](auto&& start) {
    std::promise<void> p;
    start([&p] { p.set_value(); });
    p.get_future().wait();
  };
  if (state.range(0) == 2) {
    for (auto _ : state) {
      ++now;
      for (int wave = 0; wave < serial_per_iter / 64; ++wave) {
        std::vector<admit_request> batch;
        for (int i = 0; i < 64; ++i) {
          admit_request q = make_request(now);
          char id[40];
          std::snprintf(id, sizeof id, "msg_%016llX%010llu", static_cast<unsigned long long>(now),
                        static_cast<unsigned long long>(seq++));
          q.message.id = id;
          batch.push_back(std::move(q));
        }
        wait([&](auto done) {
          s.admit_batch(std::move(batch), [done](std::error_code ec, std::vector<admit_result> rs) {
            for (auto& a : rs) {
              if (ec || !a.admitted) std::abort();
            }
            done();
          });
        });
        claim_result c;
        wait([&](auto done) {
          s.claim({"bench", 64, 60'000, now}, [&c, done](std::error_code ec, claim_result r) {
            if (ec || r.entries.size() != 64) std::abort();
            c = std::move(r);
            done();
          });
        });
        std::vector<completion> items;
        for (auto& e : c.entries) {
          completion x;
          x.carrier = "bench";
          x.lease_id = e.lease_id;
          x.update.message_id = e.message.id;
          x.update.status = message_status::submitted;
          x.update.carrier_message_id = "c" + e.message.id.substr(20);
          x.update.at_ms = now;
          items.push_back(std::move(x));
        }
        wait([&](auto done) {
          s.complete(std::move(items), [done](std::error_code ec, std::vector<completion_result> rs) {
            for (auto& x : rs) {
              if (ec || !x.applied || !x.released) std::abort();
            }
            done();
          });
        });
      }
    }
  }
  if (state.range(0) != 2) for (auto _ : state) {
    ++now;
    // Admissions, closed loop.
    std::vector<std::pair<std::string, std::string>> leased;  // (message id, lease id)
    std::mutex mu;
    std::atomic<int> issued{0}, completed{0};
    std::promise<void> admitted;
    std::function<void()> issue = [&] {
      if (issued++ >= per_iter) return;
      admit_request q = make_request(now);
      char id[40];
      std::snprintf(id, sizeof id, "msg_%016llX%010llu", static_cast<unsigned long long>(now),
                    static_cast<unsigned long long>(seq++));
      q.message.id = id;
      q.lease_ms = hand_off ? 60'000 : 0;
      s.admit(std::move(q), [&, mid = std::string(id)](std::error_code ec, admit_result a) {
        if (ec || !a.admitted) std::abort();
        if (hand_off) {
          std::lock_guard lk(mu);
          leased.emplace_back(mid, a.lease_id);
        }
        if (++completed == per_iter) {
          admitted.set_value();
        } else {
          issue();
        }
      });
    };
    for (int i = 0; i < inflight; ++i) issue();
    admitted.get_future().wait();
    // Claims.
    while (!hand_off) {
      std::promise<claim_result> p;
      s.claim({"bench", 64, 60'000, now}, [&p](std::error_code ec, claim_result c) {
        if (ec) std::abort();
        p.set_value(std::move(c));
      });
      auto c = p.get_future().get();
      if (c.entries.empty()) break;
      for (auto& e : c.entries) leased.emplace_back(e.message.id, e.lease_id);
    }
    // Completions, 4 calls in flight at a time.
    std::atomic<int> calls{0};
    std::promise<void> completed_all;
    const int n_calls = static_cast<int>((leased.size() + 15) / 16);
    for (std::size_t i = 0; i < leased.size(); i += 16) {
      std::vector<completion> items;
      for (std::size_t k = i; k < std::min(leased.size(), i + 16); ++k) {
        completion c;
        c.carrier = "bench";
        c.lease_id = leased[k].second;
        c.update.message_id = leased[k].first;
        c.update.status = message_status::submitted;
        c.update.carrier_message_id = "c" + std::to_string(k) + "-" + std::to_string(now);
        c.update.at_ms = now;
        items.push_back(std::move(c));
      }
      s.complete(std::move(items), [&](std::error_code ec, std::vector<completion_result> res) {
        if (ec) std::abort();
        for (auto& x : res) {
          if (!x.applied || !x.released) std::abort();
        }
        if (++calls == n_calls) completed_all.set_value();
      });
    }
    completed_all.get_future().wait();
  }
  const double msgs = static_cast<double>(state.iterations()) * (state.range(0) == 2 ? serial_per_iter : per_iter);
  state.SetItemsProcessed(static_cast<std::int64_t>(msgs));
  state.counters["wal_bytes"] = (wal_size() - wal0) / msgs;
  r.store.reset();
  std::filesystem::remove_all(dir);
}
// Argument: 1 = leased at admission (direct hand-off), 0 = claimed, 2 = claimed, one job at a time.
BENCHMARK(BM_SqliteCycle)->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

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
