#include <gtest/gtest.h>

#include "gateway/metrics.hpp"

namespace {

TEST(Metrics, ExposesCountersInPrometheusTextFormat) {
  gateway::metrics m("1.2.3");
  m.count_request("/v1/messages", 202);
  m.count_request("/v1/messages", 202);
  m.count_rejected("recipient_opted_out");
  m.queue_depth("sim").Set(7);
  m.submit_latency_seconds("sim").Observe(0.003);
  m.count_reload(false);
  const std::string text = m.serialize();
  EXPECT_NE(text.find("smsgw_http_requests_total{code=\"202\",route=\"/v1/messages\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("smsgw_messages_rejected_total{reason=\"recipient_opted_out\"} 1"), std::string::npos);
  EXPECT_NE(text.find("smsgw_queue_depth{carrier=\"sim\"} 7"), std::string::npos);
  EXPECT_NE(text.find("smsgw_submit_latency_seconds_bucket{carrier=\"sim\",le=\"0.005\"} 1"), std::string::npos);
  EXPECT_NE(text.find("smsgw_config_reloads_total{result=\"failed\"} 1"), std::string::npos);
  EXPECT_NE(text.find("smsgw_build_info{version=\"1.2.3\"} 1"), std::string::npos);
}

}  // namespace
