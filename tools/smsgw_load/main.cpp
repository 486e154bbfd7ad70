// smsgw-load: HTTP load generator for smsgw (design.md 5.1; docs/performance.md "End to end").
// Prints one JSON summary on stdout; progress and errors go to stderr.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "tools/smsgw_load/load_driver.hpp"
#include "tools/smsgw_load/number_generator.hpp"
#include "tools/smsgw_load/options.hpp"
#include "tools/smsgw_load/sim_stats.hpp"
#include "tools/smsgw_load/summary.hpp"

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using namespace smsgw_load;

namespace {

double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// --latency-log: "SENT_MS LATENCY_MS" per answered request, in the order they were sent.
bool write_latency_log(const std::string& path, std::vector<latency_sample> samples) {
  std::sort(samples.begin(), samples.end(),
            [](const latency_sample& a, const latency_sample& b) { return a.sent_ns < b.sent_ns; });
  std::ofstream out(path);
  char line[64];
  for (const auto& s : samples) {
    const int n = std::snprintf(line, sizeof line, "%.3f %.3f\n", static_cast<double>(s.sent_ns) / 1e6,
                                static_cast<double>(s.latency_ns) / 1e6);
    out.write(line, n);
  }
  out.close();
  if (!out) {
    std::cerr << "smsgw-load: cannot write the latency log " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed.opts) return parsed.exit_code;
  const options& o = *parsed.opts;

  const number_generator numbers(*select_regions(o.regions, nullptr), o.seed);
  if (o.first_index + o.count > numbers.capacity()) {
    std::cerr << "smsgw-load: --first-index + --count exceeds the " << numbers.capacity()
              << " distinct numbers of these regions\n";
    return 2;
  }
  if (o.print_numbers) {
    std::string line;
    for (std::uint64_t i = 0; i < o.count; ++i) {
      line = numbers.at(o.first_index + i);
      line += '\n';
      std::cout << line;
    }
    return 0;
  }

  asio::ip::tcp::endpoint ep;
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    ep = *resolver.resolve(o.api.host, std::to_string(o.api.port)).begin();
  } catch (const std::exception& e) {
    std::cerr << "smsgw-load: cannot resolve " << o.api.host << ": " << e.what() << "\n";
    return 2;
  }

  std::optional<http_url> sim;
  std::uint64_t sim_before = 0;
  if (!o.wait_sim.empty()) {
    sim = parse_http_url(o.wait_sim);
    std::string err;
    auto v = read_sim_submitted(*sim, &err);
    if (!v) {
      std::cerr << "smsgw-load: " << err << "\n";
      return 2;
    }
    sim_before = *v;
  }

  const unsigned threads = std::min(o.threads, o.concurrency);
  const auto start = clock_type::now();
  driver_settings base;
  base.address = ep.address().to_string();
  base.port = ep.port();
  base.host_header = o.api.host + ":" + std::to_string(o.api.port);
  base.path = o.api.path + (o.batch == 0 ? "/v1/messages" : "/v1/messages/batch");
  base.key = o.key;
  base.from = o.from;
  base.category = o.category;
  base.plan = load_plan{o.count, o.batch, o.rate};
  base.first_index = o.first_index;
  base.thread_count = threads;
  base.start = start;
  base.keep_samples = !o.latency_log.empty();
  base.deadline = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.max_seconds));

  std::vector<driver_result> results(threads);
  std::vector<driver_settings> settings(threads, base);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    settings[t].thread_index = t;
    settings[t].connections = o.concurrency / threads + (t < o.concurrency % threads ? 1 : 0);
    workers.emplace_back([&, t] { results[t] = run_driver(settings[t], numbers); });
  }
  for (auto& w : workers) w.join();
  driver_result total;
  for (const auto& r : results) total.merge(r);
  const auto load_end = total.responses ? total.last_response : clock_type::now();
  const double seconds = seconds_between(start, load_end);

  std::optional<end_to_end> e2e;
  if (sim) {
    end_to_end e;
    const auto wait_deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                       std::chrono::duration<double>(o.wait_timeout_s));
    for (;;) {
      std::string err;
      auto v = read_sim_submitted(*sim, &err);
      const auto now = clock_type::now();
      if (v) e.submitted = *v - sim_before;
      e.seconds = seconds_between(start, now);
      if (v && e.submitted >= total.outcomes.accepted) {
        e.complete = true;
        break;
      }
      if (!v) std::cerr << "smsgw-load: " << err << "\n";
      if (now >= wait_deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    e2e = e;
  }

  if (!o.latency_log.empty() && !write_latency_log(o.latency_log, std::move(total.samples))) return 2;
  std::cout << make_summary(o, total, seconds, e2e).dump(2) << std::endl;
  if (total.responses == 0) return 1;
  return 0;
}
