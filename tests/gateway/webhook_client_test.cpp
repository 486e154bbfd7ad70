// The webhook client over loopback (port 0): what it sends, 2xx vs other answers, refused
// connections and the per-attempt timeout.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "gateway/webhook_client.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A one-shot server: accepts one connection, reads the request head and body, answers `reply`
// (or nothing when empty, holding the connection open until the test ends).
class one_shot_server {
 public:
  explicit one_shot_server(std::string reply)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), reply_(std::move(reply)) {
    thread_ = std::thread([this] {
      tcp::socket s(io_);
      acceptor_.accept(s);
      boost::system::error_code ec;
      char buf[4096];
      while (request_.find("\r\n\r\n") == std::string::npos || !body_complete()) {
        std::size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) return;
        request_.append(buf, n);
      }
      if (!reply_.empty()) {
        asio::write(s, asio::buffer(reply_), ec);
        s.shutdown(tcp::socket::shutdown_both, ec);
      } else {
        std::this_thread::sleep_for(1500ms);  // longer than the client's timeout
      }
    });
  }
  ~one_shot_server() {
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  bool body_complete() const {
    auto head_end = request_.find("\r\n\r\n");
    auto cl = request_.find("Content-Length: ");
    if (cl == std::string::npos) return true;
    std::size_t len = std::stoul(request_.substr(cl + 16));
    return request_.size() >= head_end + 4 + len;
  }
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::string reply_;
  std::string request_;
  std::thread thread_;
};

gateway::webhook_response post(std::uint16_t port, std::chrono::milliseconds timeout = 1000ms) {
  asio::io_context io;
  gateway::webhook_url url{false, "127.0.0.1", port, "/hooks?x=1"};
  auto f = asio::co_spawn(io,
                          gateway::post_webhook(url, R"({"event_id":"evt_1"})", {{"Smsgw-Signature", "t=1,v1=ab"}},
                                                timeout, nullptr),
                          asio::use_future);
  io.run();
  return f.get();
}

TEST(WebhookClient, PostsTheBodyWithItsHeadersAndAccepts2xx) {
  one_shot_server server("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
  auto r = post(server.port());
  EXPECT_TRUE(r.delivered) << r.error;
  EXPECT_EQ(r.status, 204u);
  const auto& req = server.request();
  EXPECT_EQ(req.rfind("POST /hooks?x=1 HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("Content-Type: application/json\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("Smsgw-Signature: t=1,v1=ab\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("\r\n\r\n{\"event_id\":\"evt_1\"}"), std::string::npos) << req;
}

TEST(WebhookClient, AnythingButSuccessIsAFailedAttempt) {
  one_shot_server server("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops");
  auto r = post(server.port());
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.error, "http 500");
  one_shot_server redirect("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(post(redirect.port()).delivered);
}

TEST(WebhookClient, ARefusedConnectionIsAnError) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  auto r = post(port);
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.status, 0u);
  EXPECT_FALSE(r.error.empty());
}

TEST(WebhookClient, AReceiverThatNeverAnswersTimesOut) {
  one_shot_server server("");
  auto r = post(server.port(), 300ms);
  EXPECT_FALSE(r.delivered);
  EXPECT_EQ(r.error, "timeout");
}

}  // namespace
