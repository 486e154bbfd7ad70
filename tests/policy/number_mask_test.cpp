#include <gtest/gtest.h>

#include "policy/number_mask.hpp"

namespace {

TEST(NumberMask, KeepsCountryPrefixAndLastTwoDigits) {
  EXPECT_EQ(policy::mask_number("+14155550123"), "+1415*****23");
  EXPECT_EQ(policy::mask_number("+447911123456"), "+4479******56");
}

TEST(NumberMask, MasksShortInputsWhole) {
  EXPECT_EQ(policy::mask_number("12345"), "*****");
  EXPECT_EQ(policy::mask_number(""), "");
}

}  // namespace

#include "policy/reason.hpp"

namespace {

TEST(Reason, MapsToHttpErrorCodes) {
  EXPECT_EQ(policy::to_string(policy::reason::recipient_opted_out), "recipient_opted_out");
  EXPECT_EQ(policy::to_string(policy::reason::frequency_capped), "frequency_capped");
  EXPECT_EQ(policy::to_string(policy::reason::none), "");
}

}  // namespace
