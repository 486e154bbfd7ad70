#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "tools/smsgw_load/histogram.hpp"

using smsgw_load::histogram;

TEST(Histogram, EmptyReportsZero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.value_at(0.99), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.value_at(0.5), 50u);
  EXPECT_EQ(h.value_at(0.99), 99u);
  EXPECT_EQ(h.value_at(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
}

TEST(Histogram, BucketsCoverEveryValueWithinOnePart128) {
  for (std::uint64_t v : {127ull, 128ull, 129ull, 255ull, 256ull, 1000ull, 123456ull, 999'999'999ull,
                          (1ull << 40) - 1}) {
    const auto i = histogram::index_of(v);
    const auto ub = histogram::upper_bound_of(i);
    EXPECT_GE(ub, v) << v;
    EXPECT_LE(static_cast<double>(ub - v), static_cast<double>(v) / 128.0) << v;
    if (i > 0) {
      EXPECT_LT(histogram::upper_bound_of(i - 1), v) << v;
    }
  }
}

// Percentiles against the exact sorted values of a skewed (log-normal) latency sample.
TEST(Histogram, PercentilesMatchSortedSampleWithinResolution) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(13.0, 1.0);  // median ~ 0.44 ms in ns
  std::vector<std::uint64_t> values;
  histogram h;
  for (int i = 0; i < 100'000; ++i) {
    const auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = values[static_cast<std::size_t>(std::ceil(q * values.size())) - 1];
    const auto got = h.value_at(q);
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1 + 1.0 / 128)) << q;
  }
  EXPECT_EQ(h.value_at(1.0), values.back());
  EXPECT_EQ(h.max(), values.back());
}

// One slow request in a thousand shows at p99.9, not at p99.
TEST(Histogram, TailOutlierAtTheRightPercentile) {
  histogram h;
  for (int i = 0; i < 999; ++i) h.record(1'000'000);  // 1 ms
  h.record(2'000'000'000);                            // 2 s
  EXPECT_LE(h.value_at(0.99), 1'010'000u);
  EXPECT_LE(h.value_at(0.999), 1'010'000u);
  EXPECT_EQ(h.value_at(0.9999), 2'000'000'000u);
  EXPECT_EQ(h.max(), 2'000'000'000u);
}

TEST(Histogram, MergeAddsCounts) {
  histogram a, b;
  for (int i = 0; i < 90; ++i) a.record(1000);
  for (int i = 0; i < 10; ++i) b.record(50'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_LE(a.value_at(0.9), 1008u);
  EXPECT_GE(a.value_at(0.91), 50'000u);
  EXPECT_EQ(a.max(), 50'000u);
  EXPECT_EQ(a.min(), 1000u);
}

TEST(Histogram, HugeValuesAreClampedNotLost) {
  histogram h;
  h.record(UINT64_MAX / 2);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), UINT64_MAX / 2);
  EXPECT_GT(h.value_at(0.5), 1ull << 40);
}
