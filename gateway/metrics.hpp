#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>

namespace gateway {

// Every metric the gateway exports (Prometheus text format on the admin listener). Labels carry
// routes, codes, reasons and carrier names, never a phone number or a message body.
// Thread-safe (prometheus-cpp metrics are atomic).
class metrics {
 public:
  explicit metrics(std::string_view version);

  // HTTP requests by route template ("/v1/messages/{id}") and status code.
  void count_request(std::string_view route, unsigned status);
  void count_accepted(std::string_view category);
  void count_rejected(std::string_view reason);
  void count_deferred(std::string_view reason);

  // The counters behind count_request / count_accepted, for callers that cache the reference
  // (a label lookup builds a label map and hashes it: about 1 % of the CPU of a message).
  prometheus::Counter& request_counter(std::string_view route, unsigned status);
  prometheus::Counter& accepted_counter(std::string_view category);

  prometheus::Gauge& queue_depth(std::string_view carrier);
  prometheus::Gauge& queue_oldest_age_seconds(std::string_view carrier);
  prometheus::Gauge& window_in_use(std::string_view carrier);
  prometheus::Gauge& binds_up(std::string_view carrier);
  prometheus::Counter& throttle_events(std::string_view carrier);
  // The rate the carrier link sends at now: its tps, or lower after ESME_RTHROTTLED (polled).
  prometheus::Gauge& allowed_tps(std::string_view carrier);
  prometheus::Counter& resent_after_crash(std::string_view carrier);
  prometheus::Counter& handed_off(std::string_view carrier);
  // The direct hand-off buffer (docs/architecture.md): messages held beyond the window, and
  // held or staged messages given back to the store's queue, by reason (held_too_long,
  // carrier_unbound, stopping).
  prometheus::Gauge& hand_off_held(std::string_view carrier);
  prometheus::Counter& hand_off_released(std::string_view carrier, std::string_view reason);
  prometheus::Histogram& submit_latency_seconds(std::string_view carrier);

  void count_reload(bool ok);

  // Webhook delivery attempts by result: delivered, retry, dead (became a dead letter).
  void count_webhook(std::string_view result);
  prometheus::Gauge& webhooks_in_flight();
  prometheus::Gauge& webhook_dead_letters();  // dead letters in the store (polled, capped)

  // The Prometheus text exposition of everything above.
  std::string serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& accepted_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& deferred_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& queue_oldest_age_;
  prometheus::Family<prometheus::Gauge>& window_in_use_;
  prometheus::Family<prometheus::Gauge>& binds_up_;
  prometheus::Family<prometheus::Counter>& throttle_events_;
  prometheus::Family<prometheus::Gauge>& allowed_tps_;
  prometheus::Family<prometheus::Counter>& resent_;
  prometheus::Family<prometheus::Counter>& handed_off_;
  prometheus::Family<prometheus::Gauge>& hand_off_held_;
  prometheus::Family<prometheus::Counter>& hand_off_released_;
  prometheus::Family<prometheus::Histogram>& submit_latency_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Counter>& webhook_deliveries_;
  prometheus::Family<prometheus::Gauge>& webhooks_in_flight_;
  prometheus::Family<prometheus::Gauge>& webhook_dead_letters_;
};

}  // namespace gateway
