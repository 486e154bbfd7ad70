#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <unordered_set>

#include "policy/phone_number.hpp"
#include "tools/smsgw_load/number_generator.hpp"

using smsgw_load::builtin_regions;
using smsgw_load::number_generator;
using smsgw_load::select_regions;

// Every built-in region gives numbers the gateway accepts: valid for libphonenumber through
// policy::normalize, of a type that can receive SMS, in the announced region, and already E.164.
TEST(NumberGenerator, EveryRegionGivesNumbersTheGatewayAccepts) {
  const number_generator gen(builtin_regions(), 42);
  std::map<std::string, int> per_region;
  for (std::uint64_t i = 0; i < 12 * 150; ++i) {
    const std::string n = gen.at(i);
    const auto info = policy::normalize(n, "");
    ASSERT_TRUE(info.valid) << n << ": " << info.error_message;
    EXPECT_EQ(info.e164, n);
    EXPECT_EQ(info.region, gen.region_of(i)) << n;
    EXPECT_EQ(policy::check_number(info, policy::number_type_set::sms_default()), policy::reason::none) << n;
    ++per_region[info.region];
  }
  EXPECT_EQ(per_region.size(), builtin_regions().size());
  for (const auto& [region, n] : per_region) EXPECT_EQ(n, 150) << region;
}

// Far indices (where bench/e2e puts its suppression list) are valid too.
TEST(NumberGenerator, FarIndicesAreValid) {
  const number_generator gen(builtin_regions(), 1);
  for (std::uint64_t i = 100'000'000; i < 100'000'000 + 240; ++i) {
    const auto info = policy::normalize(gen.at(i), "");
    ASSERT_TRUE(info.valid) << gen.at(i);
  }
  const auto last = policy::normalize(gen.at(gen.capacity() - 1), "");
  EXPECT_TRUE(last.valid) << gen.at(gen.capacity() - 1);
}

TEST(NumberGenerator, IndicesGiveDistinctNumbersAndDisjointRanges) {
  const number_generator gen(builtin_regions(), 7);
  std::unordered_set<std::string> seen;
  for (std::uint64_t i = 0; i < 300'000; ++i) ASSERT_TRUE(seen.insert(gen.at(i)).second) << "index " << i;
  for (std::uint64_t i = 100'000'000; i < 100'000'000 + 300'000; ++i)
    ASSERT_FALSE(seen.count(gen.at(i))) << "index " << i << " repeats a number of [0, 300000)";
}

TEST(NumberGenerator, SameSeedSameNumbersOtherSeedOtherNumbers) {
  const number_generator a(builtin_regions(), 5), b(builtin_regions(), 5), c(builtin_regions(), 6);
  int same_as_c = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.at(i), b.at(i));
    if (a.at(i) == c.at(i)) ++same_as_c;
  }
  EXPECT_LT(same_as_c, 5);
  // A fixed vector: runs stay reproducible across builds (a change here changes every bench run).
  EXPECT_EQ(a.at(0).substr(0, 2), "+1");
  EXPECT_EQ(a.at(2).substr(0, 3), "+44");
}

TEST(NumberGenerator, SelectsRegionsByName) {
  std::string unknown;
  auto two = select_regions("GB,FR", &unknown);
  ASSERT_TRUE(two);
  const number_generator gen(*two, 1);
  EXPECT_EQ(gen.region_count(), 2u);
  EXPECT_EQ(gen.at(0).substr(0, 3), "+44");
  EXPECT_EQ(gen.at(1).substr(0, 3), "+33");
  EXPECT_FALSE(select_regions("GB,XX", &unknown));
  EXPECT_EQ(unknown, "XX");
  EXPECT_FALSE(select_regions("", &unknown));
}

TEST(NumberGenerator, CapacityCoversTheBenchRanges) {
  const number_generator gen(builtin_regions(), 1);
  // bench/e2e: a million suppressions from index 100,000,000, the load from 0.
  EXPECT_GT(gen.capacity(), 101'000'000u);
}
