#include "smpp/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace smpp {

token_bucket::token_bucket(double rate, double burst, clock::time_point now) noexcept
    : rate_(std::max(rate, 0.0)), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

void token_bucket::refill(clock::time_point now) noexcept {
  if (now <= last_) return;
  if (rate_ > 0) {
    double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
  }
  last_ = now;
}

double token_bucket::tokens(clock::time_point now) noexcept {
  refill(now);
  return tokens_;
}

bool token_bucket::try_take(double n, clock::time_point now) noexcept {
  if (rate_ <= 0) return true;
  refill(now);
  // A request larger than the burst may go when the bucket is full (it then runs negative).
  double need = std::min(n, burst_);
  if (tokens_ + 1e-9 < need) return false;
  tokens_ -= n;
  return true;
}

token_bucket::clock::time_point token_bucket::available_at(double n,
                                                           clock::time_point now) noexcept {
  if (rate_ <= 0) return now;
  refill(now);
  double need = std::min(n, burst_);
  if (tokens_ + 1e-9 >= need) return now;
  double seconds = (need - tokens_) / rate_;
  auto wait = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  return now + wait + clock::duration(1);
}

void token_bucket::set_rate(double rate, clock::time_point now) noexcept {
  refill(now);
  rate_ = std::max(rate, 0.0);
}

void throttle_governor::throttled(clock::time_point now) noexcept {
  ++count_;
  throttled_ = true;
  resume_at_ = now + settings_.pause;
}

double throttle_governor::factor(clock::time_point now) const noexcept {
  if (!throttled_) return 1.0;
  if (now < resume_at_) return 0.0;
  auto steps = (now - resume_at_) / std::max(settings_.ramp_step, std::chrono::milliseconds(1));
  double f = settings_.ramp_start * std::pow(2.0, static_cast<double>(steps));
  return std::min(f, 1.0);
}

throttle_governor::clock::time_point throttle_governor::next_change(
    clock::time_point now) const noexcept {
  if (!throttled_ || factor(now) >= 1.0) return clock::time_point::max();
  if (now < resume_at_) return resume_at_;
  auto step = std::max(settings_.ramp_step, std::chrono::milliseconds(1));
  auto steps = (now - resume_at_) / step;
  return resume_at_ + (steps + 1) * step;
}

}  // namespace smpp
