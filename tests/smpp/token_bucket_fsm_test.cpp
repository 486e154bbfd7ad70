// Token bucket (pure; time passed in).
#include <gtest/gtest.h>

#include "smpp/token_bucket.hpp"

namespace {

using namespace std::chrono_literals;
const smpp::token_bucket::clock::time_point t0{std::chrono::hours(5)};

TEST(TokenBucket, StartsFullThenLimitsToTheRate) {
  smpp::token_bucket b(10, 5, t0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.try_take(1, t0)) << i;
  EXPECT_FALSE(b.try_take(1, t0));
  EXPECT_EQ(b.available_at(1, t0), t0 + 100ms + std::chrono::nanoseconds(1));
  EXPECT_FALSE(b.try_take(1, t0 + 99ms));
  EXPECT_TRUE(b.try_take(1, t0 + 100ms));
  // One second later: 10 tokens earned but only 5 banked.
  EXPECT_DOUBLE_EQ(b.tokens(t0 + 1100ms), 5.0);
}

TEST(TokenBucket, MultiSegmentMessagesTakeOneTokenPerSegment) {
  smpp::token_bucket b(100, 3, t0);
  EXPECT_TRUE(b.try_take(3, t0));
  EXPECT_FALSE(b.try_take(3, t0 + 10ms));  // 1 token back only
  EXPECT_TRUE(b.try_take(3, t0 + 30ms));
}

TEST(TokenBucket, MessageLargerThanBurstWaitsForAFullBucketOnly) {
  smpp::token_bucket b(10, 2, t0);
  EXPECT_TRUE(b.try_take(5, t0));  // full bucket: goes, the bucket runs negative
  EXPECT_FALSE(b.try_take(1, t0 + 200ms));
  EXPECT_TRUE(b.try_take(1, t0 + 400ms));
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  smpp::token_bucket b(0, 1, t0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.try_take(1, t0));
  EXPECT_EQ(b.available_at(50, t0), t0);
}

TEST(TokenBucket, SetRateKeepsEarnedTokens) {
  smpp::token_bucket b(10, 10, t0);
  for (int i = 0; i < 10; ++i) b.try_take(1, t0);
  b.set_rate(1, t0 + 500ms);  // 5 earned at the old rate
  EXPECT_NEAR(b.tokens(t0 + 500ms), 5.0, 1e-6);
  EXPECT_NEAR(b.tokens(t0 + 1500ms), 6.0, 1e-6);
}

TEST(TokenBucket, SetBurstDropsTokensAboveItAndDrainEmptiesIt) {
  smpp::token_bucket b(100, 100, t0);
  b.set_burst(2, t0);
  EXPECT_DOUBLE_EQ(b.tokens(t0), 2.0);
  EXPECT_DOUBLE_EQ(b.tokens(t0 + 1s), 2.0);
  b.drain(t0 + 1s);
  EXPECT_FALSE(b.try_take(1, t0 + 1s));
  EXPECT_EQ(b.available_at(1, t0 + 1s), t0 + 1010ms + std::chrono::nanoseconds(1));
}

}  // namespace
