#pragma once

// Delivers the webhook outbox (docs/webhooks.md): claims due events from the store with a lease,
// POSTs them signed, at most `webhooks.concurrency` in flight; 2xx acknowledges, anything else
// (or a timeout) is retried with exponential back-off and jitter, and after `max_attempts` the
// event becomes a dead letter. Runs on its own strand of the gateway's io_context: a slow or dead
// receiver only delays webhooks, never the SMPP sessions. Include only from gateway sources.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <system_error>

#include "gateway/metrics.hpp"
#include "gateway/settings.hpp"
#include "policy/store.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gateway {

struct webhook_dispatcher_options {
  std::int64_t idle_poll_ms = 200;       // nothing due: look again after this long (or on notify)
  std::int64_t store_retry_ms = 500;     // store unavailable: try again after this long
  std::int64_t lease_margin_ms = 30'000;  // lease = attempt timeout + this
};

class webhook_dispatcher : public std::enable_shared_from_this<webhook_dispatcher> {
 public:
  static std::shared_ptr<webhook_dispatcher> create(boost::asio::any_io_executor executor, policy::store& store,
                                                    std::shared_ptr<const settings> s, metrics* m,
                                                    webhook_dispatcher_options options = {});

  // Starts the claim loop.
  void start();
  // Wakes the claim loop (an event was just stored). Thread-safe.
  void notify();
  // New URLs, secrets, attempts, back-off, timeout, concurrency: for the next claims. Thread-safe.
  void update_settings(std::shared_ptr<const settings> s);
  // Stores an event in the outbox (idempotent on event_id), then wakes the loop. `done` gets the
  // store's error code (empty: stored durably) on the store's completion thread. Thread-safe.
  void enqueue(policy::webhook_event ev, std::function<void(std::error_code)> done);
  // No more claims; deliveries in flight finish (bounded by the attempt timeout); events not
  // delivered stay in the outbox (their lease expires; they go out after a restart). `done`
  // runs on the dispatcher's strand. Thread-safe.
  void async_stop(std::function<void()> done);

 private:
  webhook_dispatcher(boost::asio::any_io_executor executor, policy::store& store, std::shared_ptr<const settings> s,
                     metrics* m, webhook_dispatcher_options options);
  static boost::asio::awaitable<void> claim_loop(std::shared_ptr<webhook_dispatcher> self);
  static boost::asio::awaitable<void> deliver(std::shared_ptr<webhook_dispatcher> self, policy::webhook_event ev);
  void finished_one();

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  policy::store& store_;
  std::shared_ptr<const settings> settings_;  // strand only
  metrics* metrics_;
  webhook_dispatcher_options options_;
  static std::shared_ptr<boost::asio::ssl::context> tls_context_for(const std::string& ca_file);

  std::shared_ptr<boost::asio::ssl::context> tls_;  // strand only; rebuilt when webhooks.ca_file changes
  boost::asio::steady_timer wake_;
  std::size_t in_flight_ = 0;  // strand only
  std::atomic<bool> stopping_{false};
  bool loop_done_ = false;                  // strand only
  std::function<void()> stopped_;           // strand only
  std::minstd_rand rng_;                    // strand only (jitter)
};

}  // namespace gateway
