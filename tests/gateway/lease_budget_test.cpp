// How much a carrier worker takes from the queue at the link's current rate, and when a leased
// message is too late to send (gateway/lease_budget.hpp).
#include <gtest/gtest.h>

#include "gateway/lease_budget.hpp"

namespace {

using gateway::messages_within_lease;
using gateway::parts_within_lease;

// The throttled case: window 100 x 1 session (capacity 200), tps 1000, a carrier that takes
// 1/s. A 60 s lease drains 15 messages in its first quarter: the worker claims 15, not 200 (which
// take 200 s to send, over three leases).
TEST(LeaseBudget, AThrottledLinkClaimsWhatItSendsInAQuarterOfTheLease) {
  EXPECT_EQ(messages_within_lease(1.0, 60'000, 200, 1.0), 15U);
  EXPECT_EQ(messages_within_lease(5.0, 60'000, 200, 1.0), 75U);
  EXPECT_EQ(messages_within_lease(13.4, 60'000, 200, 1.0), 200U);  // 201 fit: the capacity
  EXPECT_EQ(parts_within_lease(1.0, 60'000, 100), 15U);
}

// At the configured rate (or unlimited) nothing changes: window x sessions x 2 as before.
TEST(LeaseBudget, AFastOrUnlimitedLinkKeepsTheFullCapacity) {
  EXPECT_EQ(messages_within_lease(1000.0, 60'000, 200, 1.0), 200U);
  EXPECT_EQ(messages_within_lease(0.0, 60'000, 200, 1.0), 200U);
  EXPECT_EQ(parts_within_lease(0.0, 60'000, 100), 100U);
  EXPECT_EQ(parts_within_lease(1000.0, 60'000, 100), 100U);
}

// A link slower than one message per quarter lease still takes one at a time; no link, none.
TEST(LeaseBudget, NeverBelowOneMessageUnlessThereIsNoLink) {
  EXPECT_EQ(messages_within_lease(1.0, 2'000, 200, 1.0), 1U);
  EXPECT_EQ(messages_within_lease(0.001, 60'000, 200, 3.0), 1U);
  EXPECT_EQ(parts_within_lease(0.5, 1'000, 100), 1U);
  EXPECT_EQ(messages_within_lease(1.0, 60'000, 0, 1.0), 0U);
  EXPECT_EQ(parts_within_lease(1.0, 60'000, 0), 0U);
}

// Multi-part messages count by their parts: 3 parts on average at 4 segments/s make 60 parts in
// 15 s, 20 messages.
TEST(LeaseBudget, MultiPartMessagesCountByTheirParts) {
  EXPECT_EQ(messages_within_lease(4.0, 60'000, 200, 3.0), 20U);
  EXPECT_EQ(messages_within_lease(4.0, 60'000, 200, 0.0), 60U);  // below 1 part: counts as 1
}

TEST(LeaseBudget, SendDeadlineIsHalfTheLease) {
  static_assert(gateway::send_deadline_ms(1'000, 60'000) == 31'000);
  EXPECT_EQ(gateway::send_deadline_ms(5'000, 2'000), 6'000);
}

}  // namespace
