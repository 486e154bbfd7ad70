// The throttle governor (pure; time passed in): its rules one by one, then a link and a carrier
// simulated in 1 ms steps (docs/smpp.md, "Throttling").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>

#include "smpp/throttle_governor.hpp"
#include "smpp/token_bucket.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = smpp::throttle_governor::clock;
const clock_type::time_point t0{std::chrono::hours(5)};
constexpr auto never = clock_type::time_point::max();

TEST(ThrottleGovernor, UnthrottledLinkRunsAtTheConfiguredRate) {
  smpp::throttle_governor g({});
  EXPECT_DOUBLE_EQ(g.rate(t0, 1000), 1000.0);
  EXPECT_DOUBLE_EQ(g.rate(t0, 0), 0.0);  // unlimited stays unlimited
  EXPECT_FALSE(g.limited(t0, 1000));
  EXPECT_FALSE(g.paused(t0));
  EXPECT_EQ(g.next_change(t0, 1000), never);
}

TEST(ThrottleGovernor, MeasuresTheAcceptedRateOverTheWindowSinceSendingStarted) {
  smpp::throttle_governor g({.window = 1000ms});
  g.sent(t0);
  for (int i = 0; i < 20; ++i) g.accepted(1, t0 + i * 50ms);  // 20/s for one second
  EXPECT_NEAR(g.accepted_rate(t0 + 1000ms), 20.0, 1.0);
  // A burst answered at once is measured over one slot (window / 10), not over nothing.
  smpp::throttle_governor burst({.window = 1000ms});
  burst.sent(t0);
  burst.accepted(3, t0 + 1ms);
  EXPECT_DOUBLE_EQ(burst.accepted_rate(t0 + 1ms), 30.0);
  // Nothing accepted for a window: 0.
  EXPECT_DOUBLE_EQ(g.accepted_rate(t0 + 5s), 0.0);
}

TEST(ThrottleGovernor, DecreasesBelowTheAcceptedRateOncePerOverloadAndHoldsThenProbes) {
  smpp::throttle_governor g({.pause = 0ms, .ramp_step = 1000ms, .ramp_start = 0.25, .hold = 2000ms,
                             .window = 1000ms, .decrease = 0.8, .min_rate = 1});
  g.sent(t0);
  for (int i = 0; i < 10; ++i) g.accepted(1, t0 + i * 100ms);  // 10/s
  const auto t = t0 + 1000ms;
  EXPECT_TRUE(g.throttled(t0 + 999ms, t, 1000));
  EXPECT_NEAR(g.rate(t, 1000), 8.0, 0.1);
  EXPECT_TRUE(g.limited(t, 1000));
  // Throttles of submits sent before the decrease: counted, nothing lowered.
  EXPECT_FALSE(g.throttled(t0 + 999ms, t + 5ms, 1000));
  EXPECT_NEAR(g.rate(t + 5ms, 1000), 8.0, 0.1);
  EXPECT_EQ(g.throttle_count(), 2U);
  EXPECT_EQ(g.decrease_count(), 1U);
  // Held for 2 s, then +25 %, +50 %, +100 % ... per second.
  const double r = g.rate(t, 1000);
  EXPECT_EQ(g.next_change(t, 1000), t + 2000ms);
  EXPECT_DOUBLE_EQ(g.rate(t + 1999ms, 1000), r);
  EXPECT_DOUBLE_EQ(g.rate(t + 2000ms, 1000), r * 1.25);
  EXPECT_EQ(g.next_change(t + 2000ms, 1000), t + 3000ms);
  EXPECT_DOUBLE_EQ(g.rate(t + 3000ms, 1000), r * 1.25 * 1.5);
  EXPECT_DOUBLE_EQ(g.rate(t + 4000ms, 1000), r * 1.25 * 1.5 * 2);
  // ... until the configured rate: no longer limited, nothing more to wait for.
  EXPECT_DOUBLE_EQ(g.rate(t + 60s, 1000), 1000.0);
  EXPECT_FALSE(g.limited(t + 60s, 1000));
  EXPECT_EQ(g.next_change(t + 60s, 1000), never);
}

TEST(ThrottleGovernor, AThrottleWhileProbingGoesBackToThePreviousStep) {
  smpp::throttle_governor g({.ramp_step = 1000ms, .ramp_start = 0.25, .hold = 2000ms, .decrease = 0.5});
  g.sent(t0);
  for (int i = 0; i < 10; ++i) g.accepted(1, t0 + i * 100ms);
  ASSERT_TRUE(g.throttled(t0 + 1s, t0 + 1s, 1000));
  const double base = g.rate(t0 + 1s, 1000);  // 5
  ASSERT_NEAR(base, 5.0, 0.1);
  // Throttled in the second probe step (base * 1.25 * 1.5): back to the first step's rate,
  // held again, although the measured accepted rate is lower.
  const auto t = t0 + 1s + 2000ms + 1500ms;
  ASSERT_TRUE(g.throttled(t, t, 1000));
  EXPECT_DOUBLE_EQ(g.rate(t, 1000), base * 1.25);
  EXPECT_EQ(g.next_change(t, 1000), t + 2000ms);
  // Throttled during the hold: the carrier got slower, below the measured rate this time.
  for (int i = 0; i < 4; ++i) g.accepted(1, t + 100ms + i * 250ms);
  const auto t2 = t + 1000ms;
  ASSERT_TRUE(g.throttled(t2, t2, 1000));
  EXPECT_NEAR(g.rate(t2, 1000), 0.5 * g.accepted_rate(t2), 1e-9);
  EXPECT_LT(g.rate(t2, 1000), base);
}

TEST(ThrottleGovernor, PauseStopsSendingAfterADecrease) {
  smpp::throttle_governor g({.pause = 300ms, .hold = 1000ms});
  g.sent(t0);
  g.accepted(5, t0);
  EXPECT_TRUE(g.throttled(t0, t0 + 100ms, 100));
  EXPECT_TRUE(g.paused(t0 + 399ms));
  EXPECT_EQ(g.next_change(t0 + 200ms, 100), t0 + 400ms);
  EXPECT_FALSE(g.paused(t0 + 400ms));
  EXPECT_EQ(g.next_change(t0 + 400ms, 100), t0 + 1400ms);  // hold counts from the resume
}

TEST(ThrottleGovernor, RepeatedThrottlesNeverGoBelowTheFloor) {
  smpp::throttle_governor g({.hold = 1000ms, .min_rate = 1});
  auto t = t0;
  for (int i = 0; i < 1000; ++i, t += 10ms) {
    g.sent(t);
    g.throttled(t, t, 1000);  // nothing is ever accepted
    EXPECT_GE(g.rate(t, 1000), 1.0) << i;
  }
  EXPECT_DOUBLE_EQ(g.rate(t, 1000), 1.0);
  EXPECT_FALSE(g.paused(t));
  // And it climbs back once the throttles stop.
  EXPECT_DOUBLE_EQ(g.rate(t + 10min, 1000), 1000.0);
}

TEST(ThrottleGovernor, UnlimitedLinkIsLimitedByThrottlesThenUnlimitedAgain) {
  smpp::throttle_governor g({.hold = 1000ms});
  g.sent(t0);
  for (int i = 0; i < 50; ++i) g.accepted(1, t0 + i * 20ms);
  ASSERT_TRUE(g.throttled(t0 + 1s, t0 + 1s, 0));
  EXPECT_NEAR(g.rate(t0 + 1s, 0), 45.0, 1.0);
  EXPECT_TRUE(g.limited(t0 + 1s, 0));
  EXPECT_DOUBLE_EQ(g.rate(t0 + 1h, 0), 0.0);
  EXPECT_FALSE(g.limited(t0 + 1h, 0));
}

// A link with a backlog (always something to send) against a carrier that refuses submits above
// its own token bucket (rate `limit`, burst max(1, limit / 5), like smsc-sim --throttle-tps).
// Responses come `rtt` after the submit. `limit_at(t)` may change the carrier's limit (0 = none).
struct simulation {
  double configured = 1000;
  std::chrono::milliseconds rtt{2};
  std::function<double(std::chrono::milliseconds)> limit_at;
  smpp::throttle_governor::settings settings{};

  struct result {
    std::vector<int> accepted_per_second;
    std::vector<int> throttled_per_second;
    std::vector<double> rate_at_second;  // the governor's rate at the end of each second
  };

  result run(std::chrono::seconds length) const {
    smpp::throttle_governor g(settings);
    smpp::token_bucket link(configured, std::max(1.0, configured / 10), t0);
    double limit = limit_at(0ms);
    smpp::token_bucket carrier(limit, std::max(1.0, limit / 5), t0);
    struct pending {
      clock_type::time_point sent_at, answer_at;
      bool accepted;
    };
    std::deque<pending> in_flight;
    const std::uint32_t full_window = 64;
    result out;
    const auto seconds = static_cast<std::size_t>(length.count());
    out.accepted_per_second.assign(seconds, 0);
    out.throttled_per_second.assign(seconds, 0);
    for (auto ms = 0ms; ms < length; ++ms) {
      const auto now = t0 + ms;
      const auto second = static_cast<std::size_t>(ms / 1s);
      if (double l = limit_at(ms); l != limit) {
        limit = l;
        carrier = smpp::token_bucket(limit, std::max(1.0, limit / 5), now);
      }
      while (!in_flight.empty() && in_flight.front().answer_at <= now) {
        auto p = in_flight.front();
        in_flight.pop_front();
        if (p.accepted) {
          g.accepted(1, now);
          ++out.accepted_per_second[second];
        } else {
          ++out.throttled_per_second[second];
          if (g.throttled(p.sent_at, now, configured)) {
            link.set_rate(g.rate(now, configured), now);
            link.drain(now);
          }
        }
      }
      if (g.paused(now)) continue;
      const double r = g.rate(now, configured);
      link.set_rate(r, now);
      link.set_burst(g.limited(now, configured) ? std::max(1.0, r / 10) : std::max(1.0, configured / 10), now);
      // The link's window shrinks with the rate (esme_client.cpp).
      const std::uint32_t window =
          g.limited(now, configured) && configured > 0
              ? std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::ceil(full_window * r / configured)))
              : full_window;
      while (in_flight.size() < window && link.try_take(1, now)) {
        g.sent(now);
        in_flight.push_back({now, now + rtt, limit <= 0 || carrier.try_take(1, now)});
      }
      if ((ms + 1ms) % 1s == 0ms) out.rate_at_second.push_back(r);
    }
    return out;
  }
};

int sum(const std::vector<int>& v, std::size_t from, std::size_t to) {
  int s = 0;
  for (std::size_t i = from; i < to && i < v.size(); ++i) s += v[i];
  return s;
}

struct convergence_case {
  const char* name;
  double configured;
  double limit;
  std::chrono::milliseconds rtt;
  double min_rate;  // accepted per second after convergence, at least (fraction of the limit)
};

TEST(ThrottleGovernorSimulation, ConvergesJustBelowTheCarrierLimitWithFewThrottles) {
  const convergence_case cases[] = {
      {"5/s under 1000", 1000, 5, 2ms, 0.8},
      {"5/s under 1000, 50 ms round trip", 1000, 5, 50ms, 0.8},
      {"5/s, link unlimited", 0, 5, 2ms, 0.8},
      {"50/s under 1000", 1000, 50, 5ms, 0.8},
      {"400/s under 1000", 1000, 400, 20ms, 0.8},
      {"900/s under 1000", 1000, 900, 20ms, 0.8},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    simulation sim;
    sim.configured = c.configured;
    sim.rtt = c.rtt;
    sim.limit_at = [&](std::chrono::milliseconds) { return c.limit; };
    auto r = sim.run(60s);
    // Within a few seconds: near the limit, never above it.
    const int first = sum(r.accepted_per_second, 3, 6);
    EXPECT_GE(first, static_cast<int>(3 * c.limit * 0.7)) << "seconds 3-5";
    // Sustained: between min_rate * limit and the limit; throttles a small share of submits.
    const int accepted = sum(r.accepted_per_second, 5, 60);
    const int throttled = sum(r.throttled_per_second, 5, 60);
    EXPECT_GE(accepted, static_cast<int>(55 * c.limit * c.min_rate));
    EXPECT_LE(accepted, static_cast<int>(55 * c.limit + c.limit));
    EXPECT_LE(throttled, std::max(15, (accepted + throttled) / 20)) << "accepted " << accepted;
    // Finding the limit costs the first window (64 submits at once) and a few more.
    EXPECT_LE(sum(r.throttled_per_second, 0, 5), static_cast<int>(64 + 20 + c.limit / 5));
  }
}

TEST(ThrottleGovernorSimulation, ClimbsBackToTheConfiguredRateWhenTheLimitGoesAway) {
  simulation sim;
  sim.limit_at = [](std::chrono::milliseconds t) { return t < 30s ? 5.0 : 0.0; };
  auto r = sim.run(60s);
  EXPECT_LE(r.rate_at_second[29], 6.0);
  // Hold (5 s) and probe steps (1 s each): back to 1000/s within 20 s.
  EXPECT_DOUBLE_EQ(r.rate_at_second[50], 1000.0);
  EXPECT_GE(sum(r.accepted_per_second, 55, 60), 5 * 990);
}

TEST(ThrottleGovernorSimulation, FollowsALimitThatDropsAndRises) {
  simulation sim;
  sim.limit_at = [](std::chrono::milliseconds t) { return t < 20s ? 200.0 : t < 40s ? 20.0 : 100.0; };
  auto r = sim.run(70s);
  EXPECT_GE(sum(r.accepted_per_second, 10, 20), static_cast<int>(10 * 200 * 0.8));
  EXPECT_GE(sum(r.accepted_per_second, 25, 40), static_cast<int>(15 * 20 * 0.8));
  EXPECT_LE(sum(r.throttled_per_second, 25, 40), 15);
  EXPECT_GE(sum(r.accepted_per_second, 55, 70), static_cast<int>(15 * 100 * 0.8));
}

TEST(ThrottleGovernorSimulation, ACarrierThatRefusesEverythingGetsTheFloorRateNotZero) {
  simulation sim;
  sim.limit_at = [](std::chrono::milliseconds t) { return t < 30s ? 1e-9 : 0.0; };
  auto r = sim.run(60s);
  // Refused throughout: about min_rate submits a second (plus the probes), never stopped.
  for (std::size_t s = 5; s < 30; ++s) {
    EXPECT_GE(r.throttled_per_second[s], 1) << s;
    EXPECT_LE(r.throttled_per_second[s], 3) << s;
  }
  // Then the carrier takes everything again and the link climbs back.
  EXPECT_DOUBLE_EQ(r.rate_at_second[59], 1000.0);
}

}  // namespace
