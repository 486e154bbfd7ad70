#include <gtest/gtest.h>

#include <set>

#include "tools/smsgw_load/load_plan.hpp"
#include "tools/smsgw_load/options.hpp"

using namespace smsgw_load;

TEST(LoadPlan, SingleAndBatchSplit) {
  load_plan single{1000, 0, 0};
  EXPECT_EQ(single.requests(), 1000u);
  EXPECT_EQ(single.messages_in(999), 1u);
  load_plan batch{1050, 100, 0};
  EXPECT_EQ(batch.requests(), 11u);
  EXPECT_EQ(batch.first_message(10), 1000u);
  EXPECT_EQ(batch.messages_in(9), 100u);
  EXPECT_EQ(batch.messages_in(10), 50u);
}

// Open loop: 10,000 msg/s is a request every 100 µs, computed from the index (no drift); a batch
// of 100 at 10,000 msg/s is a request every 10 ms.
TEST(LoadPlan, OpenLoopSchedule) {
  load_plan p{1'000'000, 0, 10'000};
  EXPECT_TRUE(p.open_loop());
  EXPECT_EQ(p.intended_offset_ns(0), 0u);
  EXPECT_EQ(p.intended_offset_ns(1), 100'000u);
  EXPECT_EQ(p.intended_offset_ns(999'999), 99'999'900'000u);
  load_plan b{1'000'000, 100, 10'000};
  EXPECT_EQ(b.intended_offset_ns(3), 30'000'000u);
  EXPECT_FALSE((load_plan{10, 0, 0}.open_loop()));
}

TEST(LoadPlan, ThreadsShareRequestsWithoutOverlap) {
  std::set<std::uint64_t> seen;
  for (unsigned t = 0; t < 3; ++t)
    for (std::uint64_t k = 0; k < 10; ++k) EXPECT_TRUE(seen.insert(load_plan::nth_request_of_thread(k, t, 3)).second);
  EXPECT_EQ(*seen.rbegin(), 29u);
}

TEST(HttpUrl, Parses) {
  auto u = parse_http_url("http://127.0.0.1:8080");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "");
  auto p = parse_http_url("http://localhost/api/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->port, 80);
  EXPECT_EQ(p->path, "/api/");
  auto v6 = parse_http_url("http://[::1]:9");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(parse_http_url("https://x:1"));
  EXPECT_FALSE(parse_http_url("http://x:"));
  EXPECT_FALSE(parse_http_url("http://x:70000"));
  EXPECT_FALSE(parse_http_url("http://:80"));
}
