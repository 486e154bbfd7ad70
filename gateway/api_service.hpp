#pragma once

// The HTTP API of design.md section 5.2: authentication, per-key rate limits, and one handler
// per endpoint over the store. Include only from gateway sources (Asio/Beast).

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "gateway/api_error.hpp"
#include "gateway/http_server.hpp"
#include "gateway/metrics.hpp"
#include "gateway/settings.hpp"
#include "policy/number_key.hpp"
#include "policy/phone_number.hpp"
#include "policy/store.hpp"
#include "smpp/token_bucket.hpp"

namespace gateway {

// A place reserved in a carrier's worker for a message that the store leases to it at admission
// (direct hand-off: sent without a claim). lease_ms 0: no place; the message is queued.
struct direct_slot {
  std::int64_t lease_ms = 0;
  // Takes the admitted, leased message, or null to give the place back. Called once. (A pointer:
  // the entry passes through several hands and a post to the worker's strand without a copy or
  // a move of its record each time.)
  std::function<void(std::unique_ptr<policy::queue_entry>)> hand_off;
};

class api_service {
 public:
  struct dependencies {
    policy::store* store = nullptr;
    std::shared_ptr<const policy::number_secrets> secrets;
    metrics* metrics_registry = nullptr;  // may be null (tests)
    // Whether a carrier has a bound session (routing failover); null: all are.
    std::function<bool(std::string_view)> is_bound;
    // Wall clock in unix milliseconds; null: the system clock.
    std::function<std::int64_t()> now_ms;
    // Called after a message was queued for `carrier` (wakes its worker); may be null.
    std::function<void(const std::string& carrier)> on_enqueued;
    // Direct hand-off: reserves a place in the carrier's worker before admission. Null: every
    // accepted message is queued for the worker to claim.
    std::function<direct_slot(const std::string& carrier)> reserve_direct;
    // Called after PUT /v1/suppressions stored one (the carrier workers stop what they hold of
    // that number); may be null.
    std::function<void(const std::string& number_key, const std::string& sender, std::int64_t at_ms)> on_suppressed;
  };

  api_service(std::shared_ptr<const settings> s, dependencies deps);

  // Swaps in new settings (reload); requests in progress finish with the old ones.
  void update_settings(std::shared_ptr<const settings> s);
  std::shared_ptr<const settings> current_settings() const;

  // Stops accepting messages (SIGTERM drain): POST /v1/messages answers 503 from now on.
  void stop_accepting() { accepting_ = false; }

  // The request handler for http_server. The service must outlive the server.
  http_handler handler();

  // Completion: the response. Runs on the caller's (connection's) strand.
  boost::asio::awaitable<http_response> handle(http_request request);

  // The check for http_server before it answers 100 Continue: the final answer that the request
  // line and headers decide alone (404, 400 for a malformed target, 401), or nullopt.
  http_header_check header_check();
  std::optional<http_response> check_headers(const http_request& request);

 private:
  struct request_context;

  boost::asio::awaitable<http_response> send_one(request_context ctx);
  boost::asio::awaitable<http_response> send_batch(request_context ctx);
  boost::asio::awaitable<http_response> get_message(request_context ctx, std::string id);
  boost::asio::awaitable<http_response> put_consent(request_context ctx);
  boost::asio::awaitable<http_response> delete_consent(request_context ctx);
  boost::asio::awaitable<http_response> get_number(request_context ctx, std::string number);
  boost::asio::awaitable<http_response> put_suppression(request_context ctx, std::string number);
  boost::asio::awaitable<http_response> delete_suppression(request_context ctx, std::string number);

  // The number of a consent or suppression request, normalised, once the key is known to manage
  // `sender` (empty: every sender): the number or the 403/422 answer.
  std::variant<std::shared_ptr<const policy::phone_number_info>, api_error> managed_number(
      const request_context& ctx, const std::string& number, const std::string& sender, const std::string& region);

  // Retry-After seconds when the key is over its rate limit, 0 when the request may proceed.
  std::int64_t rate_limited(const std::string& key_name, double per_second, std::uint32_t burst);
  std::int64_t now_ms() const;

  // Metrics with cached counter references (the label lookup is done once per label set).
  void count_request(std::size_t route_index, std::string_view route, unsigned status);
  void count_accepted(const std::string& category);

  std::shared_ptr<const settings> settings_;
  mutable std::mutex settings_mutex_;
  dependencies deps_;
  policy::number_cache numbers_{100'000, /*skip_fast_path_inputs=*/true};
  std::mutex limiter_mutex_;
  std::map<std::string, smpp::token_bucket, std::less<>> limiters_;
  std::atomic<bool> accepting_{true};
  // Request counters by route (index of the route template) and status 100..599; filled lazily
  // (two threads may both look one up: they store the same reference).
  static constexpr std::size_t route_count = 7;
  std::array<std::atomic<prometheus::Counter*>, route_count * 500> request_counters_{};
  std::mutex accepted_counters_mutex_;
  std::map<std::string, prometheus::Counter*, std::less<>> accepted_counters_;
};

}  // namespace gateway
