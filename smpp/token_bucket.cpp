#include "smpp/token_bucket.hpp"

#include <algorithm>

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

void token_bucket::set_burst(double burst, clock::time_point now) noexcept {
  refill(now);
  burst_ = std::max(burst, 1.0);
  tokens_ = std::min(tokens_, burst_);
}

void token_bucket::drain(clock::time_point now) noexcept {
  refill(now);
  tokens_ = std::min(tokens_, 0.0);
}

}  // namespace smpp
