// The HTTP listener over loopback (port 0): limits, deadlines, keep-alive, malformed input.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "gateway/http_server.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

asio::awaitable<gateway::http_response> echo_handler(gateway::http_request request) {
  co_return gateway::json_response(200, "{\"target\":\"" + std::string(request.target()) +
                                            "\",\"bytes\":" + std::to_string(request.body().size()) + "}");
}

class HttpServer : public ::testing::Test {
 protected:
  void start(gateway::http_limits limits, gateway::http_header_check check = nullptr) {
    server_ = std::make_unique<gateway::http_server>(
        io_.get_executor(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), limits,
        echo_handler, std::move(check));
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  tcp::socket connect() {
    tcp::socket socket(client_io_);
    socket.connect(server_->local_endpoint());
    return socket;
  }

  // Reads until the peer closes or `deadline` passes; returns everything read.
  static std::string read_all(tcp::socket& socket) {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      std::size_t n = socket.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  static std::string read_response(tcp::socket& socket) {
    std::string out;
    char buf[4096];
    // Read headers, then Content-Length bytes of body.
    while (out.find("\r\n\r\n") == std::string::npos) {
      std::size_t n = socket.read_some(asio::buffer(buf));
      out.append(buf, n);
    }
    auto header_end = out.find("\r\n\r\n") + 4;
    auto pos = out.find("Content-Length: ");
    std::size_t length = pos == std::string::npos ? 0 : std::stoul(out.substr(pos + 16));
    while (out.size() < header_end + length) {
      std::size_t n = socket.read_some(asio::buffer(buf));
      out.append(buf, n);
    }
    return out;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::io_context client_io_;
  std::unique_ptr<gateway::http_server> server_;
  std::thread thread_;
};

TEST_F(HttpServer, ServesTwoRequestsOnOneKeepAliveConnection) {
  start({});
  auto socket = connect();
  asio::write(socket, asio::buffer(std::string("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")));
  auto first = read_response(socket);
  EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(first.find("{\"target\":\"/a\",\"bytes\":0}"), std::string::npos);
  asio::write(socket, asio::buffer(std::string("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")));
  auto second = read_response(socket);
  EXPECT_NE(second.find("{\"target\":\"/b\",\"bytes\":3}"), std::string::npos);
}

// A HEAD response has headers only: its body would be read as the next response on the
// connection.
TEST_F(HttpServer, HeadResponseHasNoBodyAndTheConnectionStaysUsable) {
  start({});
  auto socket = connect();
  asio::write(socket, asio::buffer(std::string("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                               "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  const auto both = read_all(socket);
  const auto second = both.find("HTTP/1.1 ", 1);
  ASSERT_NE(second, std::string::npos) << both;
  const auto head = both.substr(0, second);
  EXPECT_EQ(head.find("{\"target\""), std::string::npos) << both;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << both;
  EXPECT_NE(head.find("Content-Length: 25\r\n"), std::string::npos) << both;  // what a GET would get
  EXPECT_NE(both.find("{\"target\":\"/b\",\"bytes\":0}", second), std::string::npos) << both;
}

TEST_F(HttpServer, BodyOverTheLimitIs413) {
  gateway::http_limits limits;
  limits.body_limit = 100;
  start(limits);
  auto socket = connect();
  std::string body(200, 'x');
  asio::write(socket, asio::buffer("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" + body));
  auto response = read_all(socket);
  EXPECT_NE(response.find("HTTP/1.1 413"), std::string::npos) << response;
  EXPECT_NE(response.find("\"code\":\"payload_too_large\""), std::string::npos) << response;
  EXPECT_NE(response.find("over the limit of 100 bytes"), std::string::npos) << response;  // which limit
}

TEST_F(HttpServer, HeadersOverTheLimitAre431) {
  gateway::http_limits limits;
  limits.header_limit = 512;
  start(limits);
  auto socket = connect();
  asio::write(socket, asio::buffer("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"));
  auto response = read_all(socket);
  EXPECT_NE(response.find("HTTP/1.1 431"), std::string::npos) << response;
  EXPECT_NE(response.find("over the limit of 512 bytes"), std::string::npos) << response;
}

TEST_F(HttpServer, MalformedRequestIs400NeverA5xx) {
  start({});
  for (std::string garbage : {"HELLO\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                              "POST / HTTP/1.1\r\nContent-Length: zz\r\n\r\n"}) {
    auto socket = connect();
    asio::write(socket, asio::buffer(garbage));
    auto response = read_all(socket);
    EXPECT_NE(response.find("HTTP/1.1 400"), std::string::npos) << garbage << " -> " << response;
    EXPECT_NE(response.find("\"code\":\"bad_request\""), std::string::npos) << response;
  }
}

// curl sends "Expect: 100-continue" for large bodies and waits (1 s) for the go-ahead.
TEST_F(HttpServer, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  gateway::http_limits limits;
  limits.read_timeout = 2s;  // without the 100 the server cuts the connection off here
  start(limits);
  auto socket = connect();
  asio::write(socket, asio::buffer(std::string("POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                                               "Content-Length: 3\r\n\r\n")));
  const std::string go_ahead = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string got(go_ahead.size(), '\0');
  boost::system::error_code ec;
  asio::read(socket, asio::buffer(got), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(got, go_ahead);
  asio::write(socket, asio::buffer(std::string("abc")));
  auto response = read_response(socket);
  EXPECT_NE(response.find("HTTP/1.1 200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("{\"target\":\"/b\",\"bytes\":3}"), std::string::npos) << response;
  // The connection stays usable.
  asio::write(socket, asio::buffer(std::string("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_NE(read_response(socket).find("{\"target\":\"/c\",\"bytes\":0}"), std::string::npos);
}

TEST_F(HttpServer, ExpectContinueOverTheBodyLimitGetsTheFinalAnswerInstead) {
  gateway::http_limits limits;
  limits.body_limit = 100;
  start(limits);
  auto socket = connect();
  asio::write(socket, asio::buffer(std::string("POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                               "Content-Length: 200\r\n\r\n")));
  auto response = read_all(socket);  // the server closes: no body is sent
  EXPECT_TRUE(response.starts_with("HTTP/1.1 413")) << response;
  EXPECT_EQ(response.find("100 Continue"), std::string::npos) << response;
}

TEST_F(HttpServer, ExpectContinueRefusedByTheCheckGetsItsAnswer) {
  gateway::http_limits limits;
  limits.read_timeout = 2s;
  std::atomic<bool> checked_ok{false};
  start(limits, [&](const gateway::http_request& r) -> std::optional<gateway::http_response> {
    if (r.find("X-Key") != r.end()) {
      checked_ok = true;
      return std::nullopt;
    }
    return gateway::json_response(401, "{\"error\":{}}");
  });
  {
    auto socket = connect();
    asio::write(socket, asio::buffer(std::string("POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                                 "Content-Length: 3\r\n\r\n")));
    auto response = read_all(socket);
    EXPECT_TRUE(response.starts_with("HTTP/1.1 401")) << response;
    EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  }
  {
    auto socket = connect();
    asio::write(socket, asio::buffer(std::string("POST /b HTTP/1.1\r\nHost: x\r\nX-Key: 1\r\n"
                                                 "Expect: 100-continue\r\nContent-Length: 3\r\n\r\n")));
    std::string got(25, '\0');
    asio::read(socket, asio::buffer(got));
    EXPECT_EQ(got, "HTTP/1.1 100 Continue\r\n\r\n");
    asio::write(socket, asio::buffer(std::string("abc")));
    EXPECT_NE(read_response(socket).find("\"bytes\":3"), std::string::npos);
    EXPECT_TRUE(checked_ok);
  }
}

// A client that did not wait (the body came with the headers) gets no 100, only the answer; a
// request without a body neither (the check is not called for it).
TEST_F(HttpServer, NoContinueWhenTheBodyIsAlreadyThereOrThereIsNone) {
  std::atomic<int> checks{0};
  start({}, [&](const gateway::http_request&) -> std::optional<gateway::http_response> {
    ++checks;
    return std::nullopt;
  });
  auto socket = connect();
  asio::write(socket, asio::buffer(std::string("POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                               "Content-Length: 3\r\n\r\nabc"
                                               "GET /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                               "Connection: close\r\n\r\n")));
  auto both = read_all(socket);
  EXPECT_TRUE(both.starts_with("HTTP/1.1 200")) << both;
  EXPECT_EQ(both.find("100 Continue"), std::string::npos) << both;
  EXPECT_NE(both.find("{\"target\":\"/c\",\"bytes\":0}"), std::string::npos) << both;
  EXPECT_EQ(checks, 1);
}

TEST_F(HttpServer, TricklingClientIsCutOff) {
  gateway::http_limits limits;
  limits.read_timeout = 300ms;
  start(limits);
  auto socket = connect();
  const std::string request = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789";
  auto started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  // One byte every 50 ms: the whole request would take over 3 s.
  for (char c : request) {
    asio::write(socket, asio::buffer(&c, 1), ec);
    if (ec) break;
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - started > 2s) break;
  }
  auto response = read_all(socket);
  EXPECT_EQ(response.find("HTTP/1.1 200"), std::string::npos) << "the trickled request was served";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
}

}  // namespace

#include "gateway/admin_api.hpp"

namespace {


TEST(AdminApiHandler, LivezReadyzMetricsReload) {
  gateway::metrics m("0.0.0");
  bool ready = false;
  int reloads = 0;
  auto handler = gateway::make_admin_handler(
      {[&] { return ready ? std::string() : std::string("store unreachable"); },
       [&] {
         std::string errors = ++reloads == 1 ? std::string("smsgw.yaml:3:5: unknown key 'tsp'") : std::string();
         m.count_reload(errors.empty());
         return errors;
       },
       &m});
  asio::io_context io;
  auto call = [&](boost::beast::http::verb verb, const char* target) {
    gateway::http_request req{verb, target, 11};
    gateway::http_response res;
    asio::co_spawn(io, handler(std::move(req)), [&](std::exception_ptr, gateway::http_response r) { res = std::move(r); });
    io.restart();
    io.run();
    return res;
  };
  using boost::beast::http::verb;
  EXPECT_EQ(call(verb::get, "/livez").result_int(), 200U);
  auto not_ready = call(verb::get, "/readyz");
  EXPECT_EQ(not_ready.result_int(), 503U);
  EXPECT_NE(not_ready.body().find("store unreachable"), std::string::npos);
  ready = true;
  EXPECT_EQ(call(verb::get, "/readyz").result_int(), 200U);
  auto failed = call(verb::post, "/admin/reload");
  EXPECT_EQ(failed.result_int(), 422U);
  EXPECT_NE(failed.body().find("unknown key 'tsp'"), std::string::npos);
  EXPECT_EQ(call(verb::post, "/admin/reload").result_int(), 200U);
  EXPECT_EQ(call(verb::get, "/admin/reload").result_int(), 405U);
  auto metrics = call(verb::get, "/metrics");
  EXPECT_NE(metrics.body().find("smsgw_config_reloads_total{result=\"failed\"} 1"), std::string::npos);
  EXPECT_NE(metrics.body().find("smsgw_config_reloads_total{result=\"ok\"} 1"), std::string::npos);
  EXPECT_EQ(call(verb::get, "/nope").result_int(), 404U);
}

}  // namespace
