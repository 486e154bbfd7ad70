#include "tools/smsgw_load/sim_stats.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <nlohmann/json.hpp>

#include "tools/smsgw_load/http_response_parser.hpp"

namespace smsgw_load {

namespace asio = boost::asio;

std::optional<std::uint64_t> read_sim_submitted(const http_url& sim, std::string* error) {
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::socket socket(io);
    asio::connect(socket, resolver.resolve(sim.host, std::to_string(sim.port)));
    const std::string req = "GET " + (sim.path.empty() ? std::string() : sim.path) + "/stats HTTP/1.1\r\nHost: " +
                            sim.host + "\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(req));
    std::string buf;
    char chunk[4096];
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
      buf.append(chunk, n);
      auto r = parse_http_response(buf);
      if (r.st == http_response_view::state::complete) {
        if (r.status != 200) {
          if (error) *error = "smsc-sim /stats answered " + std::to_string(r.status);
          return std::nullopt;
        }
        auto j = nlohmann::json::parse(r.body);
        return j.at("submit_sm_ok").get<std::uint64_t>();
      }
      if (r.st == http_response_view::state::bad) {
        if (error) *error = "smsc-sim /stats: " + r.error;
        return std::nullopt;
      }
      if (ec) {
        if (error) *error = "smsc-sim /stats: " + ec.message();
        return std::nullopt;
      }
    }
  } catch (const std::exception& e) {
    if (error) *error = std::string("smsc-sim /stats: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace smsgw_load
