// The gateway's number cache skips inputs that the fast path answers (api_service builds it with
// skip_fast_path_inputs): the answers are the same as normalize(), only other inputs are cached.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/phone_number.hpp"

namespace {

TEST(NumberCacheSkippingFastInputs, AnswersAsNormalizeAndCachesOnlyLibraryInputs) {
  policy::number_cache cache(100, /*skip_fast_path_inputs=*/true);
  const std::vector<std::pair<std::string, std::string>> fast = {
      {"+1 415 555 0123", ""}, {"(415) 555-0123", "US"}, {"+44 20 7946 0958", ""},
      {"4155550123", ""},      {"12", "US"},             {"+33 6 12 34 56 78", "FR"}};
  for (const auto& [in, hint] : fast) {
    const auto a = cache.normalize(in, hint);
    const auto b = cache.normalize(in, hint);
    EXPECT_EQ(*a, policy::normalize(in, hint)) << in;
    EXPECT_EQ(*b, *a) << in;
  }
  // "12" has too few digits for the fast path: cached like the library inputs below.
  EXPECT_EQ(cache.statistics().size, 1u);
  const auto tel = cache.normalize("tel:+1-415-555-0123", "");
  EXPECT_EQ(*tel, policy::normalize("tel:+1-415-555-0123", ""));
  EXPECT_TRUE(tel->valid);
  EXPECT_EQ(cache.normalize("tel:+1-415-555-0123", "").get(), tel.get());  // a hit: the same record
  EXPECT_EQ(cache.normalize("+1 415 555 0123 ext. 5", "")->error, policy::number_error::has_extension);
  EXPECT_EQ(cache.statistics().size, 3u);
  EXPECT_EQ(cache.statistics().hits, 2u);  // "12" and "tel:..." once each
}

}  // namespace
