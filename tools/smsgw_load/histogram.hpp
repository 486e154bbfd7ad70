#pragma once

// A latency histogram in the HDR style: values (nanoseconds) land in log-linear buckets, 2^k
// ranges each split into 128 linear sub-buckets, so any recorded value is reported within 1/128
// (< 0.8 %) of its true value, from 1 ns to about 10 minutes, in a fixed 40 KB array. Recording is
// an index computation and an increment; histograms of several threads merge by adding counts.
// Pure: no clock, no I/O.

#include <array>
#include <cstdint>

namespace smsgw_load {

class histogram {
 public:
  static constexpr int sub_bits = 7;  // 128 sub-buckets per power of two
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int max_exponent = 40;  // 2^40 ns ~ 18 minutes; larger values are clamped

  void record(std::uint64_t value_ns) noexcept;
  void merge(const histogram& other) noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // The value at quantile q in [0, 1]: the smallest recorded bucket such that at least q of
  // the values are at or below it, reported as the bucket's upper bound (never below the true
  // value, within 1/128 above it) and capped by the exact max. 0 when empty.
  std::uint64_t value_at(double q) const noexcept;

  // Bucket arithmetic, public for the tests.
  static std::size_t index_of(std::uint64_t v) noexcept;
  static std::uint64_t upper_bound_of(std::size_t index) noexcept;

 private:
  static constexpr std::size_t bucket_count = static_cast<std::size_t>(max_exponent - sub_bits + 2) * sub_count;
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

}  // namespace smsgw_load
