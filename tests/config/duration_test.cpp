#include <gtest/gtest.h>

#include "config/duration.hpp"

namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(config::parse_duration("90s"), 90s);
  EXPECT_EQ(config::parse_duration("15m"), 15min);
  EXPECT_EQ(config::parse_duration("24h"), 24h);
  EXPECT_EQ(config::parse_duration("7d"), 7 * 24h);
  EXPECT_EQ(config::parse_duration("2w"), 14 * 24h);
}

TEST(Duration, RejectsMalformed) {
  for (const char* bad : {"", "h", "24", "0h", "-1h", "1.5h", " 1h", "1 h", "1y", "99999999999999999999d"}) {
    EXPECT_FALSE(config::parse_duration(bad).has_value()) << bad;
  }
}

}  // namespace

namespace {

using namespace std::chrono_literals;

TEST(DurationMs, AcceptsMillisecondsAndEveryOtherUnit) {
  EXPECT_EQ(config::parse_duration_ms("250ms"), 250ms);
  EXPECT_EQ(config::parse_duration_ms("30s"), 30s);
  EXPECT_EQ(config::parse_duration_ms("5m"), 5min);
  EXPECT_EQ(config::parse_duration_ms("1d"), 24h);
}

TEST(DurationMs, RejectsMalformed) {
  for (const char* bad : {"", "ms", "0ms", "1.5ms", "-5ms", "5 ms", "5mss", "5", "9999999999999999ms",
                          "99999999999999w"}) {
    EXPECT_FALSE(config::parse_duration_ms(bad).has_value()) << bad;
  }
}

}  // namespace
