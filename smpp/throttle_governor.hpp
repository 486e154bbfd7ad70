#pragma once

// How a carrier link finds the rate a carrier really takes (pure: no clocks, time is passed in).
//
// The link reports every submit it sends and every segment the carrier accepts; on
// ESME_RTHROTTLED / ESME_RMSGQFUL it asks the governor for the new rate and sets its token bucket
// from rate(). Why this shape (docs/smpp.md, "Throttling"): a carrier's real limit can be far
// below the configured tps, so restarting at a fixed fraction of the configured rate (the old
// pause-and-ramp) is throttled again at once and delivers a fraction of what the carrier allows.
//
// 1. Measure: the accepted segments of the last `window` (in ten slots) give the rate the
//    carrier took just before it said no.
// 2. Decrease: on a throttle the rate becomes `decrease` times the lower of that accepted rate
//    and the current rate, never below `min_rate` (so repeated throttles never stop the link).
//    Throttles of submits sent before that decrease answer the same overload: they are counted
//    but lower nothing more (one decrease per round trip, as in TCP).
// 3. Hold: the rate stays there for `pause + hold`, so a carrier at its limit sees one
//    over-limit probe per hold period rather than a storm.
// 4. Probe: then the rate rises every `ramp_step` by ramp_start, 2 * ramp_start, 4 * ramp_start,
//    ... of itself: gently near the limit just found, quickly back to the configured rate when
//    the carrier allows more again. A throttle during the probe goes back to the previous step's
//    rate (it held for a whole step, the limit lies between the two) if that is above the rate
//    of 2, and holds there: a carrier at a steady limit sees about one over-limit submit per
//    `hold` plus a step, and the link sends just under the limit.

#include <array>
#include <chrono>
#include <cstdint>

namespace smpp {

class throttle_governor {
 public:
  using clock = std::chrono::steady_clock;

  struct settings {
    // No sending at all after a rate decrease (on top of the token bucket, which is emptied).
    std::chrono::milliseconds pause{0};
    // Probe step length, and the first step's increase (a fraction of the rate; it doubles
    // every step).
    std::chrono::milliseconds ramp_step{1000};
    double ramp_start = 0.05;
    // Time at the decreased rate (after `pause`) before probing upwards.
    std::chrono::milliseconds hold{5000};
    // The accepted rate is measured over this much of the recent past.
    std::chrono::milliseconds window{1000};
    double decrease = 0.9;  // new rate = decrease * accepted rate
    double min_rate = 1;    // segments per second, the floor of every decrease
  };

  explicit throttle_governor(settings s) noexcept;

  // A submit went out at `now` (starts the measurement after an idle `window`).
  void sent(clock::time_point now) noexcept;
  // The carrier accepted a submit of `segments` at `now`.
  void accepted(double segments, clock::time_point now) noexcept;

  // ESME_RTHROTTLED / ESME_RMSGQFUL at `now` for a submit sent at `sent_at`, on a link configured
  // at `configured` segments per second (0 = unlimited). True when it lowered the rate (the
  // link then empties its token bucket); false for a throttle of a submit sent before the last
  // decrease.
  bool throttled(clock::time_point sent_at, clock::time_point now, double configured) noexcept;

  // True while sending is paused (`pause` after a decrease).
  bool paused(clock::time_point now) const noexcept { return lowered_ && now < resume_at_; }
  clock::time_point resume_at() const noexcept { return resume_at_; }

  // The allowed segments per second at `now`: `configured` (0 = unlimited) when no throttle
  // holds the link below it, otherwise the adapted rate (at least min_rate, above 0).
  double rate(clock::time_point now, double configured) const noexcept;
  // True while the adapted rate is below `configured`.
  bool limited(clock::time_point now, double configured) const noexcept;
  // When rate() or paused() changes next, for re-arming a timer; max() when it will not.
  clock::time_point next_change(clock::time_point now, double configured) const noexcept;

  // Accepted segments per second over the last `window` (or since sending started, if later).
  double accepted_rate(clock::time_point now) const noexcept;

  std::uint64_t throttle_count() const noexcept { return throttles_; }
  std::uint64_t decrease_count() const noexcept { return decreases_; }

 private:
  static constexpr std::size_t slot_count = 10;

  clock::duration slot_length() const noexcept;
  std::int64_t slot_of(clock::time_point t) const noexcept;
  // Probe steps taken at `now` (0 during the pause and the hold).
  std::int64_t step_at(clock::time_point now) const noexcept;
  // The adapted rate after `steps` probe steps, at most `cap`.
  double probe_step(std::int64_t steps, double cap) const noexcept;

  settings settings_;
  std::array<double, slot_count> slot_segments_{};
  std::array<std::int64_t, slot_count> slot_ids_{};
  bool sending_ = false;
  clock::time_point busy_since_{};
  clock::time_point last_sent_{};
  bool lowered_ = false;
  double base_ = 0;  // the rate set by the last decrease
  clock::time_point lowered_at_{};
  clock::time_point resume_at_{};
  std::uint64_t throttles_ = 0;
  std::uint64_t decreases_ = 0;
};

}  // namespace smpp
