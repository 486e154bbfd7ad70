#pragma once

// Pure rate limiting for carrier links (no clocks: time is passed in).
//
// token_bucket: the throughput limit in segments per second with a burst capacity.
// throttle_governor: what a link does when the carrier answers ESME_RTHROTTLED or
// ESME_RMSGQFUL: pause, then ramp the rate back up step by step.

#include <chrono>
#include <cstdint>

namespace smpp {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // `rate` tokens per second (0 = unlimited), at most `burst` tokens banked (at least 1).
  // The bucket starts full.
  token_bucket(double rate, double burst, clock::time_point now) noexcept;

  // Takes `n` tokens when available; false (nothing taken) otherwise.
  bool try_take(double n, clock::time_point now) noexcept;

  // The earliest time at which `n` tokens are available (`now` when they already are). A request
  // above the burst is allowed once the bucket is full, so it never waits forever.
  clock::time_point available_at(double n, clock::time_point now) noexcept;

  // Changes the rate, keeping the tokens earned so far at the old rate.
  void set_rate(double rate, clock::time_point now) noexcept;

  double rate() const noexcept { return rate_; }
  double burst() const noexcept { return burst_; }
  double tokens(clock::time_point now) noexcept;

 private:
  void refill(clock::time_point now) noexcept;

  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

// Link-wide reaction to carrier throttling. `throttled(now)` pauses sending for `pause`; after
// the pause the allowed fraction of the configured rate starts at `ramp_start` and doubles every
// `ramp_step` until it is back to 1. Another throttle during the ramp restarts the pause.
class throttle_governor {
 public:
  using clock = std::chrono::steady_clock;

  struct settings {
    std::chrono::milliseconds pause{1000};
    std::chrono::milliseconds ramp_step{1000};
    double ramp_start = 0.125;
  };

  explicit throttle_governor(settings s) noexcept : settings_(s) {}

  void throttled(clock::time_point now) noexcept;

  // True while sending is paused.
  bool paused(clock::time_point now) const noexcept { return throttled_ && now < resume_at_; }
  clock::time_point resume_at() const noexcept { return resume_at_; }

  // Fraction of the configured rate allowed at `now` (0 while paused, 1 when not throttled).
  double factor(clock::time_point now) const noexcept;

  // When factor() changes next (for re-arming a timer); nullopt-like `max()` when it will not.
  clock::time_point next_change(clock::time_point now) const noexcept;

  std::uint64_t throttle_count() const noexcept { return count_; }

 private:
  settings settings_;
  bool throttled_ = false;
  clock::time_point resume_at_{};
  std::uint64_t count_ = 0;
};

}  // namespace smpp
