#include <gtest/gtest.h>

#include "common/ascii.hpp"

namespace {

TEST(Ascii, UpperCasesAsciiLettersOnly) {
  EXPECT_EQ(common::upper_ascii("gb"), "GB");
  EXPECT_EQ(common::upper_ascii("us-fl 1_a"), "US-FL 1_A");
  EXPECT_EQ(common::upper_ascii("arr\xC3\xAAt"), "ARR\xC3\xAAT");  // bytes of UTF-8 untouched
  EXPECT_EQ(common::upper_ascii(""), "");
}

}  // namespace
