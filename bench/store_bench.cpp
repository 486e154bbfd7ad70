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
// until `total` completed, as a busy HTTP front end would. `next` makes each request (default:
// make_request(now)); `admitted` sees each message id and result (called on the store's thread).
using admitted_hook = std::function<void(const std::string& id, const admit_result&)>;
void run_closed_loop(store& s, int total, int inflight, std::int64_t now,
                     const std::function<admit_request()>& next = {}, const admitted_hook& admitted = {}) {
  std::atomic<int> issued{0};
  std::atomic<int> completed{0};
  std::promise<void> all_done;
  std::function<void()> issue = [&] {
    if (issued++ >= total) return;
    admit_request q = next ? next() : make_request(now);
    std::string id = admitted ? q.message.id : std::string();
    s.admit(std::move(q), [&, id = std::move(id)](std::error_code ec, admit_result a) {
      if (ec) std::abort();
      if (admitted) admitted(id, a);
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
namespace cycle {

// What the store is asked during one message's life, shaped as the gateway asks it: message ids
// of the gateway's length (the row size decides the WAL bytes), completions as `submitted`.
admit_request request(std::int64_t now, std::uint64_t& seq) {
  admit_request q = make_request(now);
  char id[40];
  std::snprintf(id, sizeof id, "msg_%016llX%010llu", static_cast<unsigned long long>(now),
                static_cast<unsigned long long>(seq++));
  q.message.id = id;
  return q;
}

completion submitted(const std::string& message_id, const std::string& lease_id, std::string carrier_id,
                     std::int64_t now) {
  completion c;
  c.carrier = "bench";
  c.lease_id = lease_id;
  c.update.message_id = message_id;
  c.update.status = message_status::submitted;
  c.update.carrier_message_id = std::move(carrier_id);
  c.update.at_ms = now;
  return c;
}

// Waits for `start(done)` to call done().
template <class Start>
void wait(Start&& start) {
  std::promise<void> p;
  start([&p] { p.set_value(); });
  p.get_future().wait();
}

void complete_all(store& s, std::vector<completion> items, std::function<void()> done) {
  s.complete(std::move(items), [done = std::move(done)](std::error_code ec, std::vector<completion_result> rs) {
    if (ec) std::abort();
    for (auto& x : rs) {
      if (!x.applied || !x.released) std::abort();
    }
    done();
  });
}

// One job at a time (admit_batch of 64, claim, complete of 64): every group transaction is one
// job, so the WAL bytes and instructions repeat exactly.
void serial(store& s, std::int64_t now, std::uint64_t& seq, int messages) {
  for (int wave = 0; wave < messages / 64; ++wave) {
    std::vector<admit_request> batch;
    for (int i = 0; i < 64; ++i) batch.push_back(request(now, seq));
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
    for (auto& e : c.entries) items.push_back(submitted(e.message.id, e.lease_id, "c" + e.message.id.substr(20), now));
    wait([&](auto done) { complete_all(s, std::move(items), done); });
  }
}

// As bench/e2e drives the store: 64 admissions in flight, then claims of 64 (unless every
// message was leased at admission), then completions in calls of 16, all in flight at once.
void pipelined(store& s, std::int64_t now, std::uint64_t& seq, int messages, bool hand_off) {
  std::vector<std::pair<std::string, std::string>> leased;  // (message id, lease id)
  std::mutex mu;
  run_closed_loop(
      s, messages, 64, now,
      [&] {
        admit_request q = request(now, seq);
        q.lease_ms = hand_off ? 60'000 : 0;
        return q;
      },
      [&](const std::string& id, const admit_result& a) {
        if (!a.admitted) std::abort();
        if (!hand_off) return;
        std::lock_guard lk(mu);
        leased.emplace_back(id, a.lease_id);
      });
  while (!hand_off) {
    claim_result c;
    wait([&](auto done) {
      s.claim({"bench", 64, 60'000, now}, [&c, done](std::error_code ec, claim_result r) {
        if (ec) std::abort();
        c = std::move(r);
        done();
      });
    });
    if (c.entries.empty()) break;
    for (auto& e : c.entries) leased.emplace_back(e.message.id, e.lease_id);
  }
  const std::size_t calls = (leased.size() + 15) / 16;
  std::atomic<std::size_t> finished{0};
  wait([&](auto done) {
    for (std::size_t i = 0; i < leased.size(); i += 16) {
      std::vector<completion> items;
      for (std::size_t k = i; k < std::min(leased.size(), i + 16); ++k) {
        items.push_back(submitted(leased[k].first, leased[k].second, "c" + std::to_string(k) + "-" + std::to_string(now), now));
      }
      complete_all(s, std::move(items), [&finished, calls, done] {
        if (++finished == calls) done();
      });
    }
  });
}

}  // namespace cycle

// The whole life of a message in the store as bench/e2e drives it (docs/performance.md, "SQLite
// CPU and WAL per message"): admissions of unique numbers with a cap rule (64 in flight), then
// claims of up to 64 entries (argument 0; argument 1: every message leased at admission, the
// gateway's direct hand-off, and no claim), then completions as `submitted` with a carrier
// message id in calls of 16. No checkpoint runs (checkpoint_pages is huge), so the growth of
// the WAL file is every frame written: `wal_bytes` per message. Run it under
// `valgrind --tool=callgrind` for the writer thread's instructions per message and job
// (argument 2, one job at a time, makes both repeatable).
void BM_SqliteCycle(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("smsgw-bench-cycle-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  sqlite_options o;
  o.path = (dir / "bench.db").string();
  o.secrets = secrets();
  o.checkpoint_pages = 1 << 30;
  o.checkpoint_copy_pages = 1 << 30;  // no copies either: a copy may restart the WAL (session 8)
  auto r = sqlite_store::open(o);
  if (!r.store) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  const bool serial = state.range(0) == 2;
  const int per_iter = serial ? 4096 : 1024;
  std::int64_t now = 1'800'000'000'000;
  std::uint64_t seq = 0;
  auto wal_size = [&] {
    std::error_code ec;
    auto n = std::filesystem::file_size(o.path + "-wal", ec);
    return ec ? 0.0 : static_cast<double>(n);
  };
  const double wal0 = wal_size();
  for (auto _ : state) {
    ++now;
    if (serial) {
      cycle::serial(*r.store, now, seq, per_iter);
    } else {
      cycle::pipelined(*r.store, now, seq, per_iter, state.range(0) == 1);
    }
  }
  const double msgs = static_cast<double>(state.iterations()) * per_iter;
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
  o.key_prefix = "b" + std::to_string(::getpid()) + ":";
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
