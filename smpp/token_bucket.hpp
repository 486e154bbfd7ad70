#pragma once

// Pure rate limiting for carrier links (no clocks: time is passed in).
//
// token_bucket: the throughput limit in segments per second with a burst capacity. What a link
// does when the carrier answers ESME_RTHROTTLED is in throttle_governor.hpp.

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
  // Changes the capacity (at least 1); tokens above it are dropped.
  void set_burst(double burst, clock::time_point now) noexcept;
  // Drops every banked token: the next one comes 1 / rate from `now`.
  void drain(clock::time_point now) noexcept;

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

}  // namespace smpp
