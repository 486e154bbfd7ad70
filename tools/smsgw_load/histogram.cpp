#include "tools/smsgw_load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace smsgw_load {

// Values below 2^sub_bits get one bucket each (group 0). A larger value with its highest bit at
// position p (p >= sub_bits) is in group p - sub_bits + 1, sub-bucket = its top sub_bits + 1 bits
// minus sub_count (the leading 1 is implicit), i.e. a linear split of [2^p, 2^(p+1)).
std::size_t histogram::index_of(std::uint64_t v) noexcept {
  if (v < static_cast<std::uint64_t>(sub_count)) return static_cast<std::size_t>(v);
  int p = std::bit_width(v) - 1;
  if (p > max_exponent) return bucket_count - 1;
  const int shift = p - sub_bits;
  const std::uint64_t sub = (v >> shift) - static_cast<std::uint64_t>(sub_count);
  return static_cast<std::size_t>(shift + 1) * sub_count + static_cast<std::size_t>(sub);
}

std::uint64_t histogram::upper_bound_of(std::size_t index) noexcept {
  const std::size_t group = index / sub_count;
  const std::uint64_t sub = index % sub_count;
  if (group == 0) return sub;
  const int shift = static_cast<int>(group) - 1;
  // Bucket covers [(sub_count + sub) << shift, (sub_count + sub + 1) << shift).
  return ((static_cast<std::uint64_t>(sub_count) + sub + 1) << shift) - 1;
}

void histogram::record(std::uint64_t v) noexcept {
  ++counts_[index_of(v)];
  ++count_;
  sum_ += v;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void histogram::merge(const histogram& o) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::uint64_t histogram::value_at(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the wanted value, 1-based: ceil(q * count), at least 1.
  std::uint64_t rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(upper_bound_of(i), max_);
  }
  return max_;
}

}  // namespace smsgw_load
