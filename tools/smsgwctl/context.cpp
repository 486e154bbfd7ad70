#include "tools/smsgwctl/context.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdlib>
#include <thread>

#include "config/load.hpp"
#include "gateway/message_request.hpp"
#include "gateway/settings.hpp"
#include "gateway/store_setup.hpp"

namespace smsgwctl {

class context::runner {
 public:
  runner() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~runner() {
    // Lets the handlers already queued (a store's shutdown) run, then stops.
    std::promise<void> p;
    boost::asio::post(io_, [&] { p.set_value(); });
    p.get_future().wait_for(std::chrono::seconds(5));
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

context::~context() {
  store_.reset();
  runner_.reset();
}

std::unique_ptr<context> context::open(const global_options& g, std::string& error, bool with_store) {
  std::unique_ptr<context> c(new context());
  if (g.config_file.empty()) {
    error = "--config: a configuration file is required (e.g. --config /etc/smsgw/smsgw.yaml)";
    return nullptr;
  }
  auto loaded = config::load_config(g.config_file);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) error += config::to_string(e) + "\n";
    if (!error.empty()) error.pop_back();
    return nullptr;
  }
  if (g.now.empty()) {
    c->now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  } else if (auto t = parse_time(g.now)) {
    c->now_ms_ = *t;
  } else {
    error = "--now: \"" + g.now + "\" is not an RFC 3339 time such as 2026-11-29T12:00:00Z";
    return nullptr;
  }
  c->actor_ = g.actor;
  if (c->actor_.empty()) {
    const char* user = std::getenv("USER");
    c->actor_ = user && *user ? user : "unknown";
  }
  c->config_ = std::move(loaded.config);
  c->policy_ = gateway::make_policy_config(c->config_.policy);
  if (!with_store) return c;
  c->runner_ = std::make_unique<runner>();
  auto opened = gateway::open_configured_store(c->config_, c->runner_->executor());
  if (!opened.store) {
    error = opened.failed_part == "secrets" ? "secrets.number_key_file " + c->config_.secrets.number_key_file + ": " +
                                                  opened.error
                                            : "store: " + opened.error;
    return nullptr;
  }
  c->secrets_ = opened.secrets;
  c->store_ = std::move(opened.store);
  // Redis becomes ready in the background: wait for it (it refuses without appendonly etc.).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string detail;
  for (;;) {
    auto [ec, h] = c->call<policy::health_info>([&](auto cb) { c->store_->health(cb); });
    if (!ec && h.ok) break;
    detail = h.detail.empty() ? ec.message() : h.detail;
    if (std::chrono::steady_clock::now() > until) {
      error = "store not ready: " + detail;
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return c;
}

std::string format_time(std::int64_t ms) { return gateway::format_rfc3339(ms / 1000); }

std::optional<std::int64_t> parse_time(const std::string& text) {
  auto s = gateway::parse_rfc3339(text);
  if (!s) return std::nullopt;
  return *s * 1000;
}

std::optional<policy::phone_number_info> number_argument(const std::string& input, const std::string& region,
                                                          std::string& error) {
  auto n = policy::normalize(input, region);
  if (!n.valid) {
    error = "NUMBER \"" + input + "\": " + n.error_message;
    return std::nullopt;
  }
  return n;
}

}  // namespace smsgwctl
