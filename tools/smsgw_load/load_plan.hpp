#pragma once

// What a run sends and when, independent of sockets and clocks (pure, unit-tested):
// `count` messages in requests of `batch` items (0 = one message per POST /v1/messages), the
// message indices of each request, which requests a thread owns, and, in open loop, the intended
// send time of each request relative to the start of the run.

#include <cstdint>

namespace smsgw_load {

struct load_plan {
  std::uint64_t count = 0;   // messages
  unsigned batch = 0;        // 0 = single endpoint
  double rate = 0;           // messages/s; 0 = closed loop

  std::uint64_t per_request() const noexcept { return batch == 0 ? 1 : batch; }
  std::uint64_t requests() const noexcept { return (count + per_request() - 1) / per_request(); }
  // Messages [first, first + size) of request r (the last request may be short).
  std::uint64_t first_message(std::uint64_t r) const noexcept { return r * per_request(); }
  std::uint64_t messages_in(std::uint64_t r) const noexcept {
    const std::uint64_t first = first_message(r);
    return count - first < per_request() ? count - first : per_request();
  }
  bool open_loop() const noexcept { return rate > 0; }
  // Open loop: request r is due at r / (rate / per_request) seconds after the start, in ns.
  // Computed from r (not accumulated) so that rounding never drifts.
  std::uint64_t intended_offset_ns(std::uint64_t r) const noexcept {
    return static_cast<std::uint64_t>(static_cast<double>(r) * static_cast<double>(per_request()) * 1e9 / rate);
  }
  // Thread t of n owns requests t, t + n, t + 2n, ...: the n schedules interleave into one.
  static std::uint64_t nth_request_of_thread(std::uint64_t k, unsigned t, unsigned n) noexcept {
    return k * n + t;
  }
};

}  // namespace smsgw_load
