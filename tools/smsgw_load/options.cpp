#include "tools/smsgw_load/options.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <iostream>

#include "common/cli_usage.hpp"
#include "tools/smsgw_load/number_generator.hpp"

namespace smsgw_load {

std::optional<http_url> parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  http_url out;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (out.path == "/") out.path.clear();
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  out.host = std::string(host);
  if (!port.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc{} || p != port.data() + port.size() || v == 0 || v > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(v);
  }
  return out;
}

parse_result parse_options(int argc, char** argv) {
  options o;
  CLI::App app{"smsgw-load: HTTP load generator for smsgw; prints a JSON summary on stdout"};
  app.add_option("--url", o.url, "gateway API base URL, e.g. http://127.0.0.1:8080")->required();
  app.add_option("--key", o.key, "API key (Authorization: Bearer)")->required();
  app.add_option("--count", o.count, "messages to send (a batch request carries --batch of them)")
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency", o.concurrency, "keep-alive connections = requests in flight")
      ->check(CLI::Range(1u, 10000u));
  app.add_option("--threads", o.threads, "I/O threads (the connections are split between them)")
      ->check(CLI::Range(1u, 64u));
  app.add_option("--rate", o.rate,
                 "open loop: messages per second on a fixed schedule, latency from the intended send "
                 "time; 0 = closed loop")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--batch", o.batch, "use POST /v1/messages/batch with this many items per request")
      ->check(CLI::Range(0u, 1000u));
  app.add_option("--from", o.from, "sender (\"from\") of every message");
  app.add_option("--category", o.category, "category of every message (default: the gateway's)");
  app.add_option("--seed", o.seed, "seed of the recipient numbers (same seed = same numbers)");
  app.add_option("--first-index", o.first_index, "index of the first recipient in the number sequence");
  app.add_option("--regions", o.regions, "comma-separated regions of the recipients");
  app.add_option("--wait-sim", o.wait_sim,
                 "smsc-sim control URL: wait until it has received every accepted message and "
                 "report the end-to-end rate");
  app.add_option("--wait-timeout", o.wait_timeout_s, "seconds to wait for smsc-sim")->check(CLI::NonNegativeNumber);
  app.add_option("--max-seconds", o.max_seconds, "hard bound of the load phase (in-flight requests are then counted as errors)")
      ->check(CLI::PositiveNumber);
  app.add_option("--latency-log", o.latency_log,
                 "write one line per answered request to this file: its (intended) send time and its latency, in "
                 "ms from the start of the run, ordered by send time");
  app.add_flag("--print-numbers", o.print_numbers, "print the recipients of this run, one a line, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, common::usage_exit(app, e, "smsgw-load")};
  }
  auto api = parse_http_url(o.url);
  if (!api) {
    std::cerr << "smsgw-load: --url must look like http://HOST:PORT\n";
    return {std::nullopt, 2};
  }
  o.api = *api;
  std::string unknown;
  if (!select_regions(o.regions, &unknown)) {
    std::cerr << "smsgw-load: unknown region '" << unknown << "' in --regions\n";
    return {std::nullopt, 2};
  }
  if (!o.wait_sim.empty() && !parse_http_url(o.wait_sim)) {
    std::cerr << "smsgw-load: --wait-sim must look like http://HOST:PORT\n";
    return {std::nullopt, 2};
  }
  return {std::move(o), 0};
}

}  // namespace smsgw_load
