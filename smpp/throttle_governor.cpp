#include "smpp/throttle_governor.hpp"

#include <algorithm>
#include <limits>

namespace smpp {

namespace {

// An unlimited link (tps 0) counts as recovered once the probe passes this rate.
constexpr double unlimited_cap = 1e6;

double cap_of(double configured) noexcept { return configured > 0 ? configured : unlimited_cap; }

}  // namespace

throttle_governor::throttle_governor(settings s) noexcept : settings_(s) {
  settings_.window = std::max(settings_.window, std::chrono::milliseconds(slot_count));
  settings_.ramp_step = std::max(settings_.ramp_step, std::chrono::milliseconds(1));
  settings_.min_rate = std::max(settings_.min_rate, 1e-3);
  settings_.decrease = std::clamp(settings_.decrease, 0.01, 1.0);
  settings_.ramp_start = std::max(settings_.ramp_start, 1e-3);
  slot_ids_.fill(-1);
}

throttle_governor::clock::duration throttle_governor::slot_length() const noexcept {
  return std::chrono::duration_cast<clock::duration>(settings_.window) / slot_count;
}

std::int64_t throttle_governor::slot_of(clock::time_point t) const noexcept {
  return static_cast<std::int64_t>(t.time_since_epoch() / slot_length());
}

void throttle_governor::sent(clock::time_point now) noexcept {
  if (!sending_ || now - last_sent_ >= settings_.window) busy_since_ = now;
  sending_ = true;
  last_sent_ = std::max(last_sent_, now);
}

void throttle_governor::accepted(double segments, clock::time_point now) noexcept {
  const std::int64_t id = slot_of(now);
  auto& slot_id = slot_ids_[static_cast<std::size_t>(id) % slot_count];
  auto& slot = slot_segments_[static_cast<std::size_t>(id) % slot_count];
  if (slot_id != id) {
    slot_id = id;
    slot = 0;
  }
  slot += segments;
}

double throttle_governor::accepted_rate(clock::time_point now) const noexcept {
  const std::int64_t id = slot_of(now);
  double total = 0;
  for (std::size_t i = 0; i < slot_count; ++i) {
    if (slot_ids_[i] > id - static_cast<std::int64_t>(slot_count) && slot_ids_[i] <= id) total += slot_segments_[i];
  }
  // The slots cover the current one and the nine before it; a link that started sending later
  // is measured since then, and never over less than one slot (a burst answered at once would
  // otherwise look infinitely fast).
  clock::time_point from = clock::time_point(slot_length() * (id - static_cast<std::int64_t>(slot_count) + 1));
  if (sending_) from = std::max(from, busy_since_);
  const auto span = std::max(now - from, slot_length());
  return total / std::chrono::duration<double>(span).count();
}

bool throttle_governor::throttled(clock::time_point sent_at, clock::time_point now,
                                  double configured) noexcept {
  ++throttles_;
  if (lowered_ && sent_at < lowered_at_) return false;  // the overload already answered
  const double cap = cap_of(configured);
  const bool was_limited = limited(now, configured);
  const std::int64_t step = step_at(now);
  const double current = was_limited ? probe_step(step, cap) : cap;
  double next = std::max(settings_.min_rate, settings_.decrease * std::min(current, accepted_rate(now)));
  // Throttled while probing: the step before this one was taken for a whole step (or the hold)
  // without a throttle, so the carrier's limit lies between the two; go back to it rather than
  // below the measured rate (which trails the probe). Only once: a throttle at that rate too
  // means the carrier got slower, and the next decrease goes below the measured rate.
  if (was_limited && step >= 1) next = std::max(next, probe_step(step - 1, cap));
  base_ = std::min(next, cap);
  lowered_ = true;
  lowered_at_ = now;
  resume_at_ = now + settings_.pause;
  ++decreases_;
  return true;
}

std::int64_t throttle_governor::step_at(clock::time_point now) const noexcept {
  const auto probe_from = resume_at_ + settings_.hold;
  if (now < probe_from) return 0;
  return static_cast<std::int64_t>((now - probe_from) / settings_.ramp_step) + 1;
}

double throttle_governor::probe_step(std::int64_t steps, double cap) const noexcept {
  double r = base_;
  double raise = settings_.ramp_start;
  // Each step multiplies by (1 + raise) and doubles the raise: this passes any cap in a few
  // dozen steps, so the loop is short however long ago the decrease was.
  for (std::int64_t k = 0; k < steps && r < cap; ++k) {
    r *= 1 + raise;
    raise *= 2;
  }
  return std::min(r, cap);
}

bool throttle_governor::limited(clock::time_point now, double configured) const noexcept {
  return lowered_ && probe_step(step_at(now), cap_of(configured)) < cap_of(configured);
}

double throttle_governor::rate(clock::time_point now, double configured) const noexcept {
  if (!limited(now, configured)) return configured;
  return probe_step(step_at(now), cap_of(configured));
}

throttle_governor::clock::time_point throttle_governor::next_change(clock::time_point now,
                                                                    double configured) const noexcept {
  if (!limited(now, configured)) return clock::time_point::max();
  if (now < resume_at_) return resume_at_;
  const auto probe_from = resume_at_ + settings_.hold;
  if (now < probe_from) return probe_from;
  const auto steps = (now - probe_from) / settings_.ramp_step + 1;
  return probe_from + steps * settings_.ramp_step;
}

}  // namespace smpp
