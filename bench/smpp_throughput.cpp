// smpp-throughput: one carrier-link session submitting to an SMSC as fast as the window allows;
// prints acknowledged submit_sm per second. Not a test (no assertions on time); figures go to
// docs/performance.md "SMPP session throughput".
//
//   smpp-throughput --smpp 127.0.0.1:PORT [--seconds 10] [--window 256] [--sessions 1]
//   smpp-throughput --in-process [...]   (starts the simulator core on a second thread)
#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "smpp/codec.hpp"
#include "smpp/net/esme_client.hpp"
#include "tools/smsc_sim/simulator.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  CLI::App app{"SMPP session throughput against smsc-sim"};
  std::string target;
  bool in_process = false;
  double seconds = 10;
  double warmup = 1;
  std::uint32_t window = 256;
  unsigned sessions = 1;
  app.add_option("--smpp", target, "HOST:PORT of a running smsc-sim");
  app.add_flag("--in-process", in_process, "run the simulator core on a second thread");
  app.add_option("--seconds", seconds, "measured duration");
  app.add_option("--warmup", warmup, "seconds before measuring");
  app.add_option("--window", window, "window per session");
  app.add_option("--sessions", sessions, "sessions");
  CLI11_PARSE(app, argc, argv);

  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  asio::io_context sim_io(1);
  std::shared_ptr<smsc_sim::simulator> sim;
  std::thread sim_thread;
  if (in_process) {
    smsc_sim::options o;
    o.max_messages = 10'000;
    o.window = 4096;
    sim = std::make_shared<smsc_sim::simulator>(sim_io.get_executor(), o);
    if (sim->listen({asio::ip::make_address("127.0.0.1"), 0})) return 1;
    sim->start();
    port = sim->local_endpoint().port();
    sim_thread = std::thread([&] { sim_io.run(); });
  } else {
    auto colon = target.rfind(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "--smpp HOST:PORT or --in-process is required\n");
      return 2;
    }
    host = target.substr(0, colon);
    port = static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1)));
  }

  smpp::submit_sm sm;
  sm.source_addr = "12345";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = "14155550123";
  sm.short_message = "Your code is 123456";
  std::vector<std::uint8_t> body;
  smpp::encode(smpp::pdu{sm}, smpp::command_status::esme_rok, 0, body);
  body.erase(body.begin(), body.begin() + smpp::header_size);

  asio::io_context io(1);
  smpp::net::carrier_link_config c;
  c.host = host;
  c.port = port;
  c.system_id = "bench";
  c.password = "bench";
  c.window = window;
  c.sessions = sessions;
  c.queue_limit = 1'000'000;
  std::shared_ptr<smpp::net::carrier_link> link;
  std::uint64_t acked = 0, errors = 0, next = 0;
  bool stopping = false;
  const std::size_t depth = static_cast<std::size_t>(window) * sessions * 2;
  auto send_one = [&] {
    smpp::net::outbound_message m;
    m.cookie = next++;
    m.body = body;
    link->submit(std::move(m));
  };
  smpp::net::carrier_link_handler h;
  h.on_result = [&](smpp::net::submit_outcome o) {
    if (o.accepted()) {
      ++acked;
    } else {
      ++errors;
    }
    if (!stopping) send_one();  // closed loop: keep `depth` messages queued or in flight
  };
  bool bound = false;
  h.on_event = [&](const smpp::net::link_event& e) {
    if (e.kind == smpp::net::link_event_kind::bound && !bound) {
      bound = true;
      for (std::size_t i = 0; i < depth; ++i) send_one();
    }
  };
  link = smpp::net::carrier_link::create(io.get_executor(), c, h);
  link->start();

  auto t_start = std::chrono::steady_clock::now();
  while (!bound && std::chrono::steady_clock::now() - t_start < 5s) io.run_for(10ms);
  if (!bound) {
    std::fprintf(stderr, "could not bind to %s:%u\n", host.c_str(), port);
    return 1;
  }
  io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(warmup)));
  const std::uint64_t a0 = acked;
  const auto t0 = std::chrono::steady_clock::now();
  io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(seconds)));
  const auto t1 = std::chrono::steady_clock::now();
  const std::uint64_t a1 = acked;
  const double dt = std::chrono::duration<double>(t1 - t0).count();
  std::printf(
      "{\"window\": %u, \"sessions\": %u, \"seconds\": %.2f, \"acknowledged\": %llu, "
      "\"per_second\": %.0f, \"errors\": %llu}\n",
      window, sessions, dt, static_cast<unsigned long long>(a1 - a0), (a1 - a0) / dt,
      static_cast<unsigned long long>(errors));

  std::fflush(stdout);
  stopping = true;
  bool stopped = false;
  link->async_stop([&] { stopped = true; });
  auto t_stop = std::chrono::steady_clock::now();
  while (!stopped && std::chrono::steady_clock::now() - t_stop < 5s) io.run_for(10ms);
  link.reset();
  io.run_for(10ms);
  if (in_process) {
    asio::post(sim_io, [&] { sim->stop(); });
    std::this_thread::sleep_for(100ms);
    sim_io.stop();
    sim_thread.join();
  }
  return 0;
}
