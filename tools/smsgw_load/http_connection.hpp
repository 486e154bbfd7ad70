#pragma once

// One keep-alive HTTP/1.1 client connection of smsgw-load (Asio; included only by the tool's
// driver). One request at a time, no pipelining: the request is written whole, then exactly one
// response is read and parsed with parse_http_response. A closed connection is reopened by the
// next exchange.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <string>
#include <system_error>

#include "tools/smsgw_load/http_response_parser.hpp"

namespace smsgw_load {

class http_connection {
 public:
  // Completion: (error, response). On error the response is empty and the connection closed.
  // The response's body points into this connection's buffer: valid until the next exchange.
  using handler = std::function<void(std::error_code, const http_response_view&)>;

  http_connection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint ep);

  // Connects first if needed, writes `request` (must stay alive until the completion), reads one
  // response. Runs on the io_context's thread; cancelled by close() (completes with an error).
  void exchange(const std::string& request, handler h);
  void close();
  boost::asio::steady_timer& timer() { return timer_; }
  std::uint64_t connects() const noexcept { return connects_; }

 private:
  void write();
  void read();
  void fail(std::error_code ec);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::steady_timer timer_;
  const std::string* request_ = nullptr;
  handler handler_;
  std::string buffer_;
  std::size_t used_ = 0;
  std::uint64_t connects_ = 0;
};

}  // namespace smsgw_load
