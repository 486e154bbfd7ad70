#include "gateway/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace gateway {
namespace {

template <typename Metric>
prometheus::Family<Metric>& family(prometheus::Registry& registry, const char* name, const char* help);

template <>
prometheus::Family<prometheus::Counter>& family(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
template <>
prometheus::Family<prometheus::Gauge>& family(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
template <>
prometheus::Family<prometheus::Histogram>& family(prometheus::Registry& r, const char* name,
                                                  const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

std::string s(std::string_view v) { return std::string(v); }

}  // namespace

metrics::metrics(std::string_view version)
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(family<prometheus::Counter>(*registry_, "smsgw_http_requests_total",
                                            "HTTP API requests by route and status code")),
      accepted_(family<prometheus::Counter>(*registry_, "smsgw_messages_accepted_total",
                                            "Messages accepted (queued) by category")),
      rejected_(family<prometheus::Counter>(*registry_, "smsgw_messages_rejected_total",
                                            "Messages refused, by reason code")),
      deferred_(family<prometheus::Counter>(*registry_, "smsgw_messages_deferred_total",
                                            "Messages scheduled for later, by reason")),
      queue_depth_(family<prometheus::Gauge>(*registry_, "smsgw_queue_depth",
                                             "Messages waiting in the outbound queue per carrier")),
      queue_oldest_age_(family<prometheus::Gauge>(*registry_, "smsgw_queue_oldest_age_seconds",
                                                  "Age of the oldest ready message per carrier")),
      window_in_use_(family<prometheus::Gauge>(*registry_, "smsgw_smpp_window_in_use",
                                               "Outstanding SMPP requests per carrier")),
      binds_up_(family<prometheus::Gauge>(*registry_, "smsgw_smpp_binds_up", "Bound SMPP sessions per carrier")),
      throttle_events_(family<prometheus::Counter>(*registry_, "smsgw_smpp_throttle_events_total",
                                                   "ESME_RTHROTTLED / ESME_RMSGQFUL answers per carrier")),
      allowed_tps_(family<prometheus::Gauge>(*registry_, "smsgw_smpp_allowed_tps",
                                             "Segments per second the carrier link sends at now (tps, or lower after throttles)")),
      resent_(family<prometheus::Counter>(*registry_, "smsgw_messages_resent_after_crash_total",
                                          "Messages that were in flight at a crash and were sent again")),
      handed_off_(family<prometheus::Counter>(*registry_, "smsgw_messages_handed_off_total",
                                              "Messages leased to their carrier worker at admission (sent without a claim)")),
      hand_off_held_(family<prometheus::Gauge>(*registry_, "smsgw_hand_off_held",
                                               "Handed-off messages held in memory for room in the window, per carrier")),
      hand_off_released_(family<prometheus::Counter>(
          *registry_, "smsgw_hand_off_released_total",
          "Leased messages given back to the store's queue unsent, per carrier and reason")),
      submit_latency_(family<prometheus::Histogram>(*registry_, "smsgw_submit_latency_seconds",
                                                    "submit_sm to submit_sm_resp per carrier")),
      reloads_(family<prometheus::Counter>(*registry_, "smsgw_config_reloads_total",
                                           "Configuration reloads by result")),
      build_info_(family<prometheus::Gauge>(*registry_, "smsgw_build_info", "Version of this binary")),
      webhook_deliveries_(family<prometheus::Counter>(*registry_, "smsgw_webhook_deliveries_total",
                                                      "Webhook delivery attempts by result (delivered, retry, dead)")),
      webhooks_in_flight_(family<prometheus::Gauge>(*registry_, "smsgw_webhooks_in_flight",
                                                    "Webhook deliveries in progress")),
      webhook_dead_letters_(family<prometheus::Gauge>(*registry_, "smsgw_webhook_dead_letters",
                                                      "Webhook events in the dead letters (counted up to 1000)")) {
  build_info_.Add({{"version", s(version)}}).Set(1);
}

void metrics::count_request(std::string_view route, unsigned status) {
  requests_.Add({{"route", s(route)}, {"code", std::to_string(status)}}).Increment();
}
void metrics::count_accepted(std::string_view category) {
  accepted_.Add({{"category", s(category)}}).Increment();
}
prometheus::Counter& metrics::request_counter(std::string_view route, unsigned status) {
  return requests_.Add({{"route", s(route)}, {"code", std::to_string(status)}});
}
prometheus::Counter& metrics::accepted_counter(std::string_view category) {
  return accepted_.Add({{"category", s(category)}});
}
void metrics::count_rejected(std::string_view reason) { rejected_.Add({{"reason", s(reason)}}).Increment(); }
void metrics::count_deferred(std::string_view reason) { deferred_.Add({{"reason", s(reason)}}).Increment(); }

prometheus::Gauge& metrics::queue_depth(std::string_view c) { return queue_depth_.Add({{"carrier", s(c)}}); }
prometheus::Gauge& metrics::queue_oldest_age_seconds(std::string_view c) {
  return queue_oldest_age_.Add({{"carrier", s(c)}});
}
prometheus::Gauge& metrics::window_in_use(std::string_view c) { return window_in_use_.Add({{"carrier", s(c)}}); }
prometheus::Gauge& metrics::binds_up(std::string_view c) { return binds_up_.Add({{"carrier", s(c)}}); }
prometheus::Gauge& metrics::allowed_tps(std::string_view c) { return allowed_tps_.Add({{"carrier", s(c)}}); }

prometheus::Counter& metrics::throttle_events(std::string_view c) {
  return throttle_events_.Add({{"carrier", s(c)}});
}
prometheus::Counter& metrics::resent_after_crash(std::string_view c) { return resent_.Add({{"carrier", s(c)}}); }
prometheus::Counter& metrics::handed_off(std::string_view c) { return handed_off_.Add({{"carrier", s(c)}}); }
prometheus::Gauge& metrics::hand_off_held(std::string_view c) { return hand_off_held_.Add({{"carrier", s(c)}}); }
prometheus::Counter& metrics::hand_off_released(std::string_view c, std::string_view reason) {
  return hand_off_released_.Add({{"carrier", s(c)}, {"reason", s(reason)}});
}
prometheus::Histogram& metrics::submit_latency_seconds(std::string_view c) {
  static const prometheus::Histogram::BucketBoundaries buckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                  0.05,  0.1,    0.25,  0.5,  1,     2.5};
  return submit_latency_.Add({{"carrier", s(c)}}, buckets);
}

void metrics::count_reload(bool ok) { reloads_.Add({{"result", ok ? "ok" : "failed"}}).Increment(); }

void metrics::count_webhook(std::string_view result) {
  webhook_deliveries_.Add({{"result", s(result)}}).Increment();
}
prometheus::Gauge& metrics::webhooks_in_flight() { return webhooks_in_flight_.Add({}); }
prometheus::Gauge& metrics::webhook_dead_letters() { return webhook_dead_letters_.Add({}); }

std::string metrics::serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace gateway
