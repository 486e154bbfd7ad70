#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "smpp/text_encoding.hpp"
#include "smpp/udh.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;

TEST(Udh, ParsesEightBitConcatenation) {
  const bytes data{0x05, 0x00, 0x03, 0xA7, 0x03, 0x02, 'h', 'i'};
  auto result = smpp::parse_udh(data);
  ASSERT_FALSE(result.error);
  EXPECT_EQ(result.udh.length, 6U);
  ASSERT_TRUE(result.udh.concat.has_value());
  EXPECT_EQ(*result.udh.concat, (smpp::concat_info{0xA7, 3, 2, false}));
  EXPECT_EQ(result.udh.other_elements, 0U);
}

TEST(Udh, ParsesSixteenBitConcatenation) {
  const bytes data{0x06, 0x08, 0x04, 0x12, 0x34, 0x05, 0x05, 0x00, 0x41};
  auto result = smpp::parse_udh(data);
  ASSERT_FALSE(result.error);
  EXPECT_EQ(result.udh.length, 7U);
  EXPECT_EQ(*result.udh.concat, (smpp::concat_info{0x1234, 5, 5, true}));
}

TEST(Udh, SkipsOtherElements) {
  // Application port addressing (IEI 05) before the concatenation IE.
  const bytes data{0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0xAA, 0x02, 0x01, 'x'};
  auto result = smpp::parse_udh(data);
  ASSERT_FALSE(result.error);
  EXPECT_EQ(result.udh.length, 12U);
  EXPECT_EQ(result.udh.other_elements, 1U);
  EXPECT_EQ(*result.udh.concat, (smpp::concat_info{0xAA, 2, 1, false}));
  // Only non-concatenation IEs.
  auto no_concat = smpp::parse_udh(bytes{0x03, 0x24, 0x01, 0x01, 'y'});  // national language shift
  ASSERT_FALSE(no_concat.error);
  EXPECT_FALSE(no_concat.udh.concat.has_value());
  EXPECT_EQ(no_concat.udh.length, 4U);
  // UDHL 0: an empty header.
  auto empty = smpp::parse_udh(bytes{0x00, 'z'});
  ASSERT_FALSE(empty.error);
  EXPECT_EQ(empty.udh.length, 1U);
}

TEST(Udh, MalformedHeaders) {
  const std::vector<bytes> cases = {
      {},                                    // no UDHL
      {0x05, 0x00, 0x03, 0x01},              // UDHL past the end
      {0x05, 0x00, 0x05, 0x01, 0x02, 0x01},  // IE runs past the UDH
      {0x04, 0x00, 0x02, 0x01, 0x02},        // 8-bit concatenation IE of length 2
      {0x05, 0x08, 0x03, 0x01, 0x02, 0x01},  // 16-bit concatenation IE of length 3
      {0x01, 0x00},                          // IEI without its length
  };
  for (const auto& data : cases) {
    auto result = smpp::parse_udh(data);
    EXPECT_EQ(result.error, smpp::text_errc::malformed_udh) << data.size();
    EXPECT_EQ(result.udh.length, 0U);
  }
}

TEST(Udh, WritesConcatenationHeadersByteExact) {
  bytes out;
  smpp::append_concat_udh(out, {0x1234, 3, 1, false});
  EXPECT_EQ(out, (bytes{0x05, 0x00, 0x03, 0x34, 0x03, 0x01}));
  out.clear();
  smpp::append_concat_udh(out, {0x1234, 3, 1, true});
  EXPECT_EQ(out, (bytes{0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x01}));
  EXPECT_EQ(smpp::parse_udh(out).udh.concat, (smpp::concat_info{0x1234, 3, 1, true}));
}

}  // namespace
