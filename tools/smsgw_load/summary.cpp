#include "tools/smsgw_load/summary.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace smsgw_load {
namespace {

double ms(std::uint64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; }
double per_s(double n, double seconds) { return seconds > 0 ? std::round(n / seconds * 10) / 10 : 0.0; }

}  // namespace

nlohmann::json make_summary(const options& o, const driver_result& r, double seconds,
                            const std::optional<end_to_end>& e2e) {
  nlohmann::json rejected = nlohmann::json::object();
  for (const auto& [code, n] : r.outcomes.rejected) rejected[code] = n;
  const std::uint64_t answered = r.outcomes.accepted + r.outcomes.rejected_total();
  nlohmann::json j = {
      {"mode", o.rate > 0 ? "open" : "closed"},
      {"url", o.url},
      {"endpoint", o.batch == 0 ? "/v1/messages" : "/v1/messages/batch"},
      {"batch", o.batch},
      {"concurrency", o.concurrency},
      {"threads", o.threads},
      {"target_rate", o.rate},
      {"count", o.count},
      {"requests_sent", r.requests_sent},
      {"responses", r.responses},
      {"sent", r.messages_sent},
      {"accepted", r.outcomes.accepted},
      {"rejected", rejected},
      {"rejected_total", r.outcomes.rejected_total()},
      {"http_errors", r.http_errors},
      {"connects", r.connects},
      {"duration_s", std::round(seconds * 1000) / 1000},
      {"requests_per_s", per_s(static_cast<double>(r.responses), seconds)},
      {"messages_per_s", per_s(static_cast<double>(answered), seconds)},
      {"accepted_per_s", per_s(static_cast<double>(r.outcomes.accepted), seconds)},
      {"latency_ms",
       {{"p50", ms(r.latency.value_at(0.50))},
        {"p90", ms(r.latency.value_at(0.90))},
        {"p99", ms(r.latency.value_at(0.99))},
        {"p99_9", ms(r.latency.value_at(0.999))},
        {"max", ms(r.latency.max())},
        {"mean", ms(static_cast<std::uint64_t>(r.latency.mean()))},
        {"measured_from", o.rate > 0 ? "intended send time" : "send time"}}},
  };
  if (!r.first_error.empty()) j["first_error"] = r.first_error;
  if (e2e) {
    j["end_to_end"] = {
        {"complete", e2e->complete},
        {"submitted", e2e->submitted},
        {"duration_s", std::round(e2e->seconds * 1000) / 1000},
        {"messages_per_s", per_s(static_cast<double>(e2e->submitted), e2e->seconds)},
    };
  }
  return j;
}

}  // namespace smsgw_load
