// smsc-sim: the SMSC simulator (design.md 5.1 and 5.3; docs/smpp.md "SMSC simulator").
#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "common/cli_usage.hpp"
#include "tools/smsc_sim/control_http.hpp"
#include "tools/smsc_sim/simulator.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

bool parse_endpoint(const std::string& text, tcp::endpoint& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto p = text.data() + colon + 1;
  auto r = std::from_chars(p, text.data() + text.size(), port);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || port > 65535) return false;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return false;
  out = tcp::endpoint(addr, static_cast<unsigned short>(port));
  return true;
}

std::string endpoint_text(const tcp::endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"smsc-sim: SMPP 3.4 SMSC simulator with an HTTP control API"};
  std::string smpp_at = "127.0.0.1:2775";
  std::string http_at = "127.0.0.1:8775";
  smsc_sim::options opts;
  long dlr_delay_ms = 1000;
  long resp_delay_ms = 0;
  app.add_option("--smpp", smpp_at, "SMPP listen HOST:PORT (port 0: any free port)");
  app.add_option("--http", http_at, "control HTTP listen HOST:PORT (port 0: any free port)");
  app.add_option("--system-id", opts.system_id, "required system_id (default: any)");
  app.add_option("--password", opts.password, "required password (default: any)");
  app.add_option("--dlr-delay-ms", dlr_delay_ms, "delay before a delivery receipt")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--dlr-fail-ratio", opts.dlr_fail_ratio, "share of receipts that say UNDELIV")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--throttle-tps", opts.throttle_tps,
                 "answer ESME_RTHROTTLED above this many submit_sm per second (0: never)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--resp-delay-ms", resp_delay_ms, "delay before each submit_sm_resp")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-messages", opts.max_messages,
                 "received messages kept for GET /messages (0: keep none)");
  app.add_option("--window", opts.window, "per-session window for inbound requests");
  app.add_option("--seed", opts.seed, "random seed for receipt failures (0: random)");
  app.add_option("--tls-cert", opts.tls_cert_file, "PEM certificate: SMPP over TLS")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", opts.tls_key_file, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return common::usage_exit(app, e, "smsc-sim");
  }
  opts.dlr_delay = std::chrono::milliseconds(dlr_delay_ms);
  opts.resp_delay = std::chrono::milliseconds(resp_delay_ms);

  tcp::endpoint smpp_ep, http_ep;
  if (!parse_endpoint(smpp_at, smpp_ep) || !parse_endpoint(http_at, http_ep)) {
    std::cerr << "smsc-sim: --smpp and --http take HOST:PORT with a numeric address\n";
    return 2;
  }

  asio::io_context io(1);
  auto sim = std::make_shared<smsc_sim::simulator>(io.get_executor(), opts);
  if (auto ec = sim->listen(smpp_ep)) {
    std::cerr << "smsc-sim: cannot listen on " << smpp_at << ": " << ec.message() << "\n";
    return 1;
  }
  auto http = std::make_shared<smsc_sim::control_http>(io.get_executor(), sim);
  if (auto ec = http->listen(http_ep)) {
    std::cerr << "smsc-sim: cannot listen on " << http_at << ": " << ec.message() << "\n";
    return 1;
  }
  sim->start();
  http->start();
  // First line: the ports really used (tests start the simulator on port 0 and read it).
  std::printf("smsc-sim smpp=%s http=%s\n", endpoint_text(sim->local_endpoint()).c_str(),
              endpoint_text(http->local_endpoint()).c_str());
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    http->stop();
    sim->stop();  // unbinds bound sessions
    // Leave a moment for unbind_resp, then stop.
    auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(300));
    t->async_wait([&io, t](boost::system::error_code) { io.stop(); });
  });
  io.run();
  return 0;
}
