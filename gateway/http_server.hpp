#pragma once

// The HTTP/1.1 listener shared by the API and the admin endpoints. Include only from gateway
// sources: it pulls in Asio and Beast.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

namespace gateway {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// Produces the response to one request. Runs on the connection's strand; may suspend (store
// calls). Exceptions escaping it are bugs: the connection answers 500 and closes.
using http_handler = std::function<boost::asio::awaitable<http_response>(http_request)>;

// For a request that asks `Expect: 100-continue`, called with its headers (empty body) before
// the server answers 100 Continue: a final answer to send instead (the body is then not read and
// the connection closes), or std::nullopt to ask for the body. Runs on the connection's strand;
// must not block.
using http_header_check = std::function<std::optional<http_response>(const http_request&)>;

struct http_limits {
  std::size_t body_limit = 1024 * 1024;      // larger bodies: 413 payload_too_large
  std::size_t header_limit = 16 * 1024;      // larger headers: 431 headers_too_large
  std::chrono::milliseconds read_timeout{10'000};   // whole request, first byte to last
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 10'000;      // beyond: accepted and closed at once
};

// Accepts connections and serves HTTP/1.1 with keep-alive, one coroutine per connection on its
// own strand. A client that trickles a request slower than `read_timeout` is cut off; a
// malformed request gets a 4xx and the connection is closed, never a 5xx. A request with
// `Expect: 100-continue` (curl sends it for large bodies and then waits a second for it) gets
// `100 Continue` once its headers are read and acceptable: within the limits and passing
// `check`; otherwise its final answer at once.
class http_server {
 public:
  // Binds and listens (port 0 picks a free port). Throws boost::system::system_error when the
  // address cannot be bound. `check` may be null: every request within the limits may continue.
  http_server(boost::asio::any_io_executor executor, const boost::asio::ip::tcp::endpoint& endpoint,
              http_limits limits, http_handler handler, http_header_check check = nullptr);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Starts the accept loop. Must be called once.
  void start();

  // Stops accepting; connections finish the request they are serving and close. Thread-safe.
  void stop();

  std::size_t open_connections() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

// A JSON response with the given status and body (Content-Type application/json).
http_response json_response(unsigned status, std::string body, bool keep_alive = true);

// The bytes of `res` on the wire, as beast's serializer writes them (status line, the fields in
// their order, an empty line, the body), into `out` (cleared first; its capacity is reused).
// The caller prepares the payload (Content-Length) first.
void serialize_response(const http_response& res, std::string& out);

}  // namespace gateway
