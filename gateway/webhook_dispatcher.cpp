#include "gateway/webhook_dispatcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

#include "gateway/log.hpp"
#include "gateway/store_call.hpp"
#include "gateway/webhook_client.hpp"
#include "gateway/webhook_event.hpp"

namespace gateway {

namespace asio = boost::asio;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::shared_ptr<webhook_dispatcher> webhook_dispatcher::create(asio::any_io_executor executor, policy::store& store,
                                                               std::shared_ptr<const settings> s, metrics* m,
                                                               webhook_dispatcher_options options) {
  return std::shared_ptr<webhook_dispatcher>(new webhook_dispatcher(std::move(executor), store, std::move(s), m, options));
}

webhook_dispatcher::webhook_dispatcher(asio::any_io_executor executor, policy::store& store,
                                       std::shared_ptr<const settings> s, metrics* m,
                                       webhook_dispatcher_options options)
    : strand_(asio::make_strand(executor)),
      store_(store),
      settings_(std::move(s)),
      metrics_(m),
      options_(options),
      tls_(tls_context_for(settings_->source.webhooks.ca_file)),
      wake_(strand_),
      rng_(std::random_device{}()) {}

std::shared_ptr<asio::ssl::context> webhook_dispatcher::tls_context_for(const std::string& ca_file) {
  std::string error;
  auto ctx = make_webhook_tls_context(ca_file, &error);
  if (!error.empty()) log::error("webhook_ca_file_unusable", {{"error", error}});
  return ctx;
}

void webhook_dispatcher::start() { asio::co_spawn(strand_, claim_loop(shared_from_this()), asio::detached); }

void webhook_dispatcher::notify() {
  asio::post(strand_, [self = shared_from_this()] { self->wake_.cancel(); });
}

void webhook_dispatcher::update_settings(std::shared_ptr<const settings> s) {
  asio::post(strand_, [self = shared_from_this(), s = std::move(s)]() mutable {
    // Deliveries in flight keep the context they started with (they hold a shared_ptr).
    if (s->source.webhooks.ca_file != self->settings_->source.webhooks.ca_file) {
      self->tls_ = tls_context_for(s->source.webhooks.ca_file);
    }
    self->settings_ = std::move(s);
    self->wake_.cancel();
  });
}

void webhook_dispatcher::enqueue(policy::webhook_event ev, std::function<void(std::error_code)> done) {
  std::weak_ptr<webhook_dispatcher> weak = shared_from_this();
  store_.outbox_put(std::move(ev), [weak, done = std::move(done)](std::error_code ec, policy::done) {
    if (!ec) {
      if (auto self = weak.lock()) self->notify();
    }
    if (done) done(ec);
  });
}

void webhook_dispatcher::async_stop(std::function<void()> done) {
  stopping_ = true;
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->stopped_ = std::move(done);
    self->wake_.cancel();
    self->finished_one();  // completes at once when the loop is idle and nothing is in flight
  });
}

// Strand only: calls the stop completion once the loop has ended and nothing is in flight.
void webhook_dispatcher::finished_one() {
  if (stopping_ && loop_done_ && in_flight_ == 0 && stopped_) {
    auto done = std::move(stopped_);
    stopped_ = nullptr;
    done();
  }
}

asio::awaitable<void> webhook_dispatcher::claim_loop(std::shared_ptr<webhook_dispatcher> self) {
  bool store_down_logged = false;
  while (!self->stopping_) {
    const auto& w = self->settings_->source.webhooks;
    const std::size_t concurrency = std::max<std::uint32_t>(1, w.concurrency);
    std::int64_t wait_ms = 0;
    if (self->in_flight_ >= concurrency) {
      wait_ms = self->options_.idle_poll_ms;  // woken by the next delivery that finishes
    } else {
      const int max = static_cast<int>(concurrency - self->in_flight_);
      const std::int64_t lease = w.timeout.count() + self->options_.lease_margin_ms;
      const std::int64_t now = wall_ms();
      auto reply = co_await call_store<std::vector<policy::webhook_event>>(
          [&self, max, lease, now](auto done) { self->store_.outbox_claim(max, lease, now, std::move(done)); });
      if (reply.ec) {
        if (!store_down_logged) log::error("webhook_claim_failed", {{"error", reply.ec.message()}});
        store_down_logged = true;
        wait_ms = self->options_.store_retry_ms;
      } else {
        store_down_logged = false;
        for (auto& ev : reply.value) {
          ++self->in_flight_;
          asio::co_spawn(self->strand_, deliver(self, std::move(ev)), asio::detached);
        }
        if (static_cast<int>(reply.value.size()) < max) wait_ms = self->options_.idle_poll_ms;
      }
      if (self->metrics_) self->metrics_->webhooks_in_flight().Set(static_cast<double>(self->in_flight_));
    }
    if (wait_ms > 0 && !self->stopping_) {
      self->wake_.expires_after(std::chrono::milliseconds(wait_ms));
      boost::system::error_code ec;
      co_await self->wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  self->loop_done_ = true;
  self->finished_one();
}

asio::awaitable<void> webhook_dispatcher::deliver(std::shared_ptr<webhook_dispatcher> self, policy::webhook_event ev) {
  auto settings = self->settings_;  // one configuration for the whole attempt
  const auto& w = settings->source.webhooks;
  const auto receiver = resolve_receiver(settings->source, ev.target, ev.kind);
  webhook_response response;
  bool give_up = false;
  if (receiver.url.empty()) {
    response.error = "no " + ev.kind + " URL is configured for " + ev.target;
    give_up = true;
  } else if (auto url = parse_webhook_url(receiver.url)) {
    const std::int64_t now_s = wall_ms() / 1000;
    std::vector<std::pair<std::string, std::string>> headers{
        {"Smsgw-Signature", signature_header(receiver.secret, ev.body, now_s)},
        {"Smsgw-Event-Id", ev.event_id},
        {"Smsgw-Event-Type", ev.kind},
    };
    try {
      response = co_await post_webhook(std::move(*url), ev.body, std::move(headers), w.timeout, self->tls_);
    } catch (const std::exception& e) {
      response.error = e.what();
    }
  } else {
    response.error = "unusable URL " + receiver.url;
    give_up = true;
  }

  const int attempts = ev.attempts + 1;
  if (response.delivered) {
    auto acked = co_await call_store<policy::done>(
        [&self, &ev](auto done) { self->store_.outbox_ack(ev.event_id, ev.lease_id, std::move(done)); });
    if (self->metrics_) self->metrics_->count_webhook("delivered");
    log::info("webhook_delivered", {{"event_id", ev.event_id}, {"type", ev.kind}, {"target", ev.target},
                                    {"attempts", std::int64_t{attempts}}, {"status", std::int64_t{response.status}},
                                    {"ack_error", acked.ec ? acked.ec.message() : std::string()}});
  } else {
    const bool dead = give_up || attempts >= static_cast<int>(std::max<std::uint32_t>(1, w.max_attempts));
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(self->rng_);
    const std::int64_t next = wall_ms() + webhook_backoff_ms(w, attempts, unit);
    auto retried = co_await call_store<policy::done>([&self, &ev, next, &response, dead](auto done) {
      self->store_.outbox_retry(ev.event_id, ev.lease_id, next, response.error, dead, std::move(done));
    });
    if (self->metrics_) self->metrics_->count_webhook(dead ? "dead" : "retry");
    const std::string store_error = retried.ec ? retried.ec.message() : std::string();
    if (dead) {
      log::error("webhook_dead_letter", {{"event_id", ev.event_id}, {"type", ev.kind}, {"target", ev.target},
                                         {"attempts", std::int64_t{attempts}}, {"error", response.error},
                                         {"store_error", store_error}});
    } else {
      log::warn("webhook_retry", {{"event_id", ev.event_id}, {"type", ev.kind}, {"target", ev.target},
                                  {"attempts", std::int64_t{attempts}}, {"error", response.error},
                                  {"store_error", store_error}});
    }
  }
  --self->in_flight_;
  if (self->metrics_) self->metrics_->webhooks_in_flight().Set(static_cast<double>(self->in_flight_));
  self->wake_.cancel();  // a slot is free
  self->finished_one();
}

}  // namespace gateway
