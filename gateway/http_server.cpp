#include "gateway/http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/api_error.hpp"
#include "gateway/io_strand.hpp"

namespace gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct http_server::state {
  tcp::acceptor acceptor;
  http_limits limits;
  http_handler handler;
  http_header_check check;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};

  state(asio::any_io_executor executor, const tcp::endpoint& endpoint, http_limits l, http_handler h,
        http_header_check c)
      : acceptor(executor), limits(l), handler(std::move(h)), check(std::move(c)) {
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }
};

http_response json_response(unsigned status, std::string body, bool keep_alive) {
  http_response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

void serialize_response(const http_response& res, std::string& out) {
  const std::string_view reason(res.reason().data(), res.reason().size());
  std::size_t size = 32 + reason.size() + res.body().size();
  for (const auto& f : res) size += f.name_string().size() + f.value().size() + 4;
  out.clear();
  out.reserve(size);
  const unsigned version = res.version();
  if (version == 11) {
    out += "HTTP/1.1 ";
  } else {
    out += "HTTP/";
    out += static_cast<char>('0' + version / 10 % 10);
    out += '.';
    out += static_cast<char>('0' + version % 10);
    out += ' ';
  }
  const unsigned code = res.result_int();
  out += static_cast<char>('0' + code / 100 % 10);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  out += reason;
  out += "\r\n";
  for (const auto& f : res) {
    out.append(f.name_string().data(), f.name_string().size());
    out += ": ";
    out.append(f.value().data(), f.value().size());
    out += "\r\n";
  }
  out += "\r\n";
  out += res.body();
}

namespace {

// Content-Length as prepare_payload() sets it for this body, and no Transfer-Encoding (what
// json_response() leaves): prepare_payload() would change nothing.
bool payload_prepared(const http_response& res) {
  if (res.find(bhttp::field::transfer_encoding) != res.end()) return false;
  auto it = res.find(bhttp::field::content_length);
  if (it == res.end()) return false;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, res.body().size());
  return ec == std::errc() && std::string_view(it->value().data(), it->value().size()) ==
                                  std::string_view(digits, static_cast<std::size_t>(end - digits));
}

// The answer to a request that could not be read; std::nullopt when the connection should just
// close (peer gone, timeout before anything arrived).
std::optional<http_response> answer_read_error(const boost::system::error_code& ec, const http_limits& limits) {
  if (ec == bhttp::error::body_limit) {
    const std::string message =
        "the request body is over the limit of " + std::to_string(limits.body_limit) + " bytes";
    return json_response(413, to_json({413, "payload_too_large", message, ""}), false);
  }
  if (ec == bhttp::error::header_limit) {
    const std::string message =
        "the request headers are over the limit of " + std::to_string(limits.header_limit) + " bytes";
    return json_response(431, to_json({431, "headers_too_large", message, ""}), false);
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    return json_response(400, to_json(bad_request("malformed HTTP request: " + ec.message())), false);
  }
  return std::nullopt;
}

// Whether the client waits for 100 Continue before sending the body (RFC 9110 10.1.1): an
// HTTP/1.1 request with "Expect: 100-continue" (case-insensitive) and a body to come.
bool expects_continue(const bhttp::request_parser<bhttp::string_body>& parser) {
  const auto& req = parser.get();
  if (parser.is_done() || req.version() < 11) return false;
  auto it = req.find(bhttp::field::expect);
  if (it == req.end()) return false;
  return beast::iequals(it->value(), "100-continue");
}

constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

struct connection_count {
  std::shared_ptr<http_server::state> s;
  explicit connection_count(std::shared_ptr<http_server::state> st) : s(std::move(st)) { ++s->connections; }
  ~connection_count() { --s->connections; }
  connection_count(const connection_count&) = delete;
  connection_count& operator=(const connection_count&) = delete;
};

// The socket of one connection and its deadline. Setting the deadline is an assignment: one
// timer per connection is armed at (or before) the deadline and, when it fires early because
// the deadline moved later, re-arms itself for the new one. A request therefore costs no timer
// operation (beast::tcp_stream arms and cancels a timer for every read and write, which cost
// about 3 % of the gateway's CPU per message), and a connection's timer wakes up about once
// per timeout period. When the deadline passes, the socket is closed: the pending read or
// write completes with an error and the connection ends, as a beast timeout did.
struct connection : std::enable_shared_from_this<connection> {
  using clock = std::chrono::steady_clock;
  tcp::socket socket;
  asio::steady_timer timer;
  clock::time_point deadline = clock::time_point::max();  // max: no operation is timed
  clock::time_point armed = clock::time_point::max();     // the timer's expiry; max: not armed
  bool finished = false;

  explicit connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}

  void expires_after(std::chrono::milliseconds d) { set_deadline(clock::now() + d); }
  void no_deadline() { deadline = clock::time_point::max(); }

  void set_deadline(clock::time_point d) {
    deadline = d;
    if (d >= armed) return;  // the armed timer fires first and re-arms for `d`
    arm(d);
  }

  void arm(clock::time_point at) {
    armed = at;
    timer.expires_at(at);  // cancels a wait in progress (it completes with operation_aborted)
    timer.async_wait([self = shared_from_this(), at](boost::system::error_code ec) {
      if (ec || self->finished || self->armed != at) return;  // cancelled or superseded
      self->armed = clock::time_point::max();
      if (self->deadline == clock::time_point::max()) return;  // re-armed by the next deadline
      if (clock::now() < self->deadline) {
        self->arm(self->deadline);
        return;
      }
      boost::system::error_code ignored;
      self->socket.close(ignored);  // the pending operation completes with an error
    });
  }

  void finish() {
    finished = true;
    timer.cancel();
  }
};

// Serves one connection until the peer closes, keep-alive ends, an error occurs or the server
// stops. Runs on the connection's strand.
asio::awaitable<void> serve_connection(std::shared_ptr<http_server::state> s, tcp::socket socket) {
  connection_count counted(s);
  auto conn = std::make_shared<connection>(std::move(socket));
  auto& stream = conn->socket;
  beast::flat_buffer buffer;
  std::string out;  // the serialised response (its capacity is reused across requests)
  for (bool first = true;; first = false) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(s->limits.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(s->limits.header_limit));
    if (!first && buffer.size() == 0) {
      // Keep-alive: wait for the next request's first bytes under the idle deadline.
      boost::system::error_code ec;
      conn->expires_after(s->limits.idle_timeout);
      std::size_t n = co_await stream.async_read_some(buffer.prepare(4096),
                                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    // The deadline covers the whole request, so a client trickling bytes is cut off.
    conn->expires_after(s->limits.read_timeout);
    boost::system::error_code ec;
    // The headers first: a client sending "Expect: 100-continue" waits for our go-ahead before
    // the body (the size limits were checked on the headers: Content-Length over the body limit
    // is a body_limit error here already).
    co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    std::optional<http_response> refused;
    if (!ec && expects_continue(parser)) {
      if (s->check) refused = s->check(parser.get());
      // Bytes of the body already buffered: the client did not wait; no 100 is needed (RFC 9110
      // 10.1.1 lets the server omit it).
      if (!refused && buffer.size() == 0) {
        co_await asio::async_write(stream, asio::buffer(continue_line.data(), continue_line.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    // A body that came with the headers (most requests) is parsed from the buffer here, without
    // a second read operation (its completion would be posted: one more scheduler round trip).
    if (!ec && !refused && !parser.is_done() && buffer.size() > 0) {
      parser.eager(true);
      while (!parser.is_done() && buffer.size() > 0) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == bhttp::error::need_more) ec = {};
        if (ec || used == 0) break;
      }
    }
    if (!ec && !refused && !parser.is_done()) {
      co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (refused) {
      // The final answer instead of the body: the body may still come (a client that stopped
      // waiting), so the connection is not reused.
      refused->keep_alive(false);
      if (!payload_prepared(*refused)) refused->prepare_payload();
    }
    if (ec || refused) {
      std::optional<http_response> answer = refused ? std::move(refused) : answer_read_error(ec, s->limits);
      if (answer) {
        conn->expires_after(s->limits.write_timeout);
        co_await bhttp::async_write(stream, *answer, asio::redirect_error(asio::use_awaitable, ec));
        // Lingering close: the client may still be sending the body we refused. Closing now
        // would reset the connection before it reads the answer, so stop sending, then read and
        // discard for a bounded time and amount.
        boost::system::error_code ignored;
        stream.shutdown(tcp::socket::shutdown_send, ignored);
        conn->expires_after(std::chrono::seconds(2));
        std::size_t drained = 0;
        while (drained < 16 * 1024 * 1024) {
          buffer.consume(buffer.size());
          std::size_t n = co_await stream.async_read_some(buffer.prepare(64 * 1024),
                                                          asio::redirect_error(asio::use_awaitable, ignored));
          if (ignored) break;
          drained += n;
        }
      }
      break;
    }
    conn->no_deadline();  // the handler is not timed (store calls always complete)
    http_request request = parser.release();
    const bool keep_alive = request.keep_alive() && !s->stopping;
    const bool head = request.method() == bhttp::verb::head;
    http_response response;
    try {
      response = co_await s->handler(std::move(request));
    } catch (const std::exception& e) {
      response = json_response(500, to_json({500, "internal", "internal error", ""}), false);
    }
    // keep_alive(true) on a keep-alive response and prepare_payload() on a prepared one change
    // nothing (json_response() did both): skipped, they cost a field lookup and re-insertion.
    if (!keep_alive && response.keep_alive()) response.keep_alive(false);
    if (!payload_prepared(response)) response.prepare_payload();
    // Written as one buffer (the same bytes as beast's serializer, without its buffer sequence
    // machinery): see serialize_response().
    serialize_response(response, out);
    // A response to HEAD has no body (RFC 9110 9.3.2): its Content-Length stays, its bytes are
    // not sent, or the client would read them as the start of the next response.
    if (head) out.resize(out.size() - response.body().size());
    conn->expires_after(s->limits.write_timeout);
    co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  conn->finish();
  boost::system::error_code ignored;
  stream.shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<http_server::state> s) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await s->acceptor.async_accept(make_io_strand(s->acceptor.get_executor()),
                                                           asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || s->stopping) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    if (s->connections >= s->limits.max_connections) continue;  // socket closes here
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_connection(s, std::move(socket)), asio::detached);
  }
}

}  // namespace

http_server::http_server(asio::any_io_executor executor, const tcp::endpoint& endpoint,
                         http_limits limits, http_handler handler, http_header_check check)
    : state_(std::make_shared<state>(std::move(executor), endpoint, limits, std::move(handler), std::move(check))) {}

http_server::~http_server() { stop(); }

tcp::endpoint http_server::local_endpoint() const { return state_->acceptor.local_endpoint(); }

void http_server::start() {
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), asio::detached);
}

void http_server::stop() {
  if (state_->stopping.exchange(true)) return;
  asio::post(state_->acceptor.get_executor(), [s = state_] {
    boost::system::error_code ignored;
    s->acceptor.close(ignored);
  });
}

std::size_t http_server::open_connections() const { return state_->connections; }

}  // namespace gateway
