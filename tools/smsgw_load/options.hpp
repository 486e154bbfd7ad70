#pragma once

// Command line of smsgw-load (design.md 5.1; docs/performance.md "End to end").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smsgw_load {

struct http_url {
  std::string host;  // name or address
  std::uint16_t port = 80;
  std::string path;  // "" when the URL has none
};
// "http://127.0.0.1:8080[/path]" (only http://; IPv6 in brackets). nullopt when malformed.
std::optional<http_url> parse_http_url(std::string_view url);

struct options {
  std::string url;                 // gateway API base URL
  http_url api;                    // parsed url
  std::string key;                 // API key
  std::uint64_t count = 10'000;    // messages (not requests)
  unsigned concurrency = 32;       // connections = requests in flight
  unsigned threads = 1;            // I/O threads, connections split between them
  double rate = 0;                 // messages/s; 0 = closed loop (as fast as possible)
  unsigned batch = 0;              // 0: POST /v1/messages; N: /v1/messages/batch with N items
  std::string from = "12345";
  std::string category;            // empty: the gateway's default
  std::uint64_t seed = 1;
  std::uint64_t first_index = 0;   // number index of the first message
  std::string regions = "US,CA,GB,FR,DE,ES,IT,NL,AU,BR,MX,IN";
  std::string wait_sim;            // smsc-sim control URL; empty = do not wait
  double wait_timeout_s = 60;
  double max_seconds = 600;        // hard bound of the load phase
  bool print_numbers = false;      // print the numbers the run would use, one a line, and exit
  std::string latency_log;         // file: one line per answered request (send offset, latency)
};

struct parse_result {
  std::optional<options> opts;  // empty: exit with exit_code (help printed, or an error)
  int exit_code = 0;
};

parse_result parse_options(int argc, char** argv);

}  // namespace smsgw_load
