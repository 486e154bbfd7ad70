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
