#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "smpp/gsm7.hpp"
#include "smpp/segmentation.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
using smpp::concatenation;
using smpp::segmentation_options;
using smpp::text_encoding;

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += s;
  }
  return out;
}

segmentation_options mode(concatenation c) {
  segmentation_options o;
  o.mode = c;
  return o;
}

bytes concat(std::initializer_list<bytes> pieces) {
  bytes out;
  for (const auto& p : pieces) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

TEST(Segmentation, Exactly160Gsm7CharactersIsOnePart) {
  auto result = smpp::segment_text(repeat("a", 160), 7, {});
  ASSERT_FALSE(result.error);
  EXPECT_EQ(result.encoding, text_encoding::gsm7);
  EXPECT_EQ(result.segments, 1U);
  ASSERT_EQ(result.parts.size(), 1U);
  EXPECT_EQ(result.parts[0].short_message, bytes(160, 0x61));
  EXPECT_FALSE(result.parts[0].udhi);
  EXPECT_FALSE(result.parts[0].sar.has_value());
  EXPECT_EQ(result.parts[0].data_coding, 0);
  EXPECT_EQ(result.parts[0].units, 160U);
}

TEST(Segmentation, Gsm7161CharactersIsTwoPartsWithUdh8ByteExact) {
  auto result = smpp::segment_text(repeat("a", 161), 0x1234, {});
  ASSERT_FALSE(result.error);
  EXPECT_EQ(result.segments, 2U);
  ASSERT_EQ(result.parts.size(), 2U);
  // The 8-bit reference is the low byte of the counter.
  EXPECT_EQ(result.parts[0].short_message, concat({{0x05, 0x00, 0x03, 0x34, 0x02, 0x01}, bytes(153, 0x61)}));
  EXPECT_EQ(result.parts[1].short_message, concat({{0x05, 0x00, 0x03, 0x34, 0x02, 0x02}, bytes(8, 0x61)}));
  EXPECT_TRUE(result.parts[0].udhi);
  EXPECT_TRUE(result.parts[1].udhi);
  EXPECT_EQ(result.parts[0].units, 153U);
  EXPECT_EQ(result.parts[1].units, 8U);
}

TEST(Segmentation, EscapesCountTwoSeptetsInTheSingleLimit) {
  EXPECT_EQ(smpp::segment_text(repeat("a", 158) + "€", 1, {}).segments, 1U);  // 160 septets
  EXPECT_EQ(smpp::segment_text(repeat("a", 159) + "€", 1, {}).segments, 2U);  // 161 septets
}

TEST(Segmentation, EscapeSequenceAtPosition153MovesToTheNextPart) {
  // 152 'a' then '€' (septets 153 and 154): the escape would be split, so part 1 ends at 152.
  auto result = smpp::segment_text(repeat("a", 152) + "€" + repeat("b", 10), 9, {});
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.parts.size(), 2U);
  EXPECT_EQ(result.parts[0].units, 152U);
  EXPECT_EQ(result.parts[0].short_message, concat({{0x05, 0x00, 0x03, 0x09, 0x02, 0x01}, bytes(152, 0x61)}));
  EXPECT_EQ(result.parts[1].short_message,
            concat({{0x05, 0x00, 0x03, 0x09, 0x02, 0x02}, {0x1B, 0x65}, bytes(10, 0x62)}));
  // When it fits exactly (septets 152 and 153) it stays.
  auto fits = smpp::segment_text(repeat("a", 151) + "€" + repeat("b", 10), 9, {});
  ASSERT_EQ(fits.parts.size(), 2U);
  EXPECT_EQ(fits.parts[0].units, 153U);
  EXPECT_EQ(bytes(fits.parts[0].short_message.end() - 2, fits.parts[0].short_message.end()), (bytes{0x1B, 0x65}));
}

TEST(Segmentation, Ucs2SeventyAndSeventyOneUnits) {
  auto one = smpp::segment_text(repeat("ж", 70), 1, {});
  ASSERT_FALSE(one.error);
  EXPECT_EQ(one.encoding, text_encoding::ucs2);
  ASSERT_EQ(one.parts.size(), 1U);
  EXPECT_EQ(one.parts[0].data_coding, 8);
  EXPECT_EQ(one.parts[0].short_message.size(), 140U);
  EXPECT_EQ(one.parts[0].short_message[0], 0x04);
  EXPECT_EQ(one.parts[0].short_message[1], 0x36);

  auto two = smpp::segment_text(repeat("ж", 71), 0x42, {});
  ASSERT_EQ(two.parts.size(), 2U);
  EXPECT_EQ(two.parts[0].units, 67U);
  EXPECT_EQ(two.parts[1].units, 4U);
  EXPECT_EQ(two.parts[0].short_message.size(), 6U + 134U);
  EXPECT_EQ(bytes(two.parts[1].short_message.begin(), two.parts[1].short_message.begin() + 8),
            (bytes{0x05, 0x00, 0x03, 0x42, 0x02, 0x02, 0x04, 0x36}));
}

TEST(Segmentation, SurrogatePairAtPartBoundaryMovesToTheNextPart) {
  // 66 units, then an emoji (units 67 and 68): the pair goes to part 2 whole.
  auto result = smpp::segment_text(repeat("ж", 66) + "😀" + repeat("x", 5), 3, {});
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.parts.size(), 2U);
  EXPECT_EQ(result.parts[0].units, 66U);
  EXPECT_EQ(result.parts[0].short_message.size(), 6U + 132U);
  EXPECT_EQ(bytes(result.parts[1].short_message.begin() + 6, result.parts[1].short_message.begin() + 10),
            (bytes{0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(result.parts[1].units, 7U);
  // Exactly 70 units including the pair: one part.
  EXPECT_EQ(smpp::segment_text(repeat("ж", 68) + "😀", 3, {}).segments, 1U);
  EXPECT_EQ(smpp::segment_text(repeat("ж", 69) + "😀", 3, {}).segments, 2U);
}

TEST(Segmentation, MaxPartsExceededIsMessageTooLong) {
  segmentation_options options;
  options.max_parts = 2;
  EXPECT_FALSE(smpp::segment_text(repeat("a", 306), 1, options).error);
  auto result = smpp::segment_text(repeat("a", 307), 1, options);
  EXPECT_EQ(result.error, smpp::text_errc::message_too_long);
  EXPECT_EQ(result.segments, 3U);
  EXPECT_TRUE(result.parts.empty());
  auto count = smpp::count_segments(repeat("a", 307), options);
  EXPECT_EQ(count.error, smpp::text_errc::message_too_long);
  EXPECT_EQ(count.segments, 3U);
  // A hard ceiling of 255 parts (the total is one octet) whatever is configured.
  options.max_parts = 1000;
  EXPECT_EQ(smpp::segment_text(repeat("a", 153 * 255 + 1), 1, options).error, smpp::text_errc::message_too_long);
  EXPECT_FALSE(smpp::segment_text(repeat("a", 153 * 255), 1, options).error);
}

TEST(Segmentation, Udh16ByteExact) {
  auto result = smpp::segment_text(repeat("a", 161), 0x1234, mode(concatenation::udh16));
  ASSERT_EQ(result.parts.size(), 2U);
  EXPECT_EQ(result.parts[0].short_message, concat({{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01}, bytes(152, 0x61)}));
  EXPECT_EQ(result.parts[1].short_message, concat({{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02}, bytes(9, 0x61)}));
  EXPECT_TRUE(result.parts[0].udhi);
  // UCS-2: 66 per part.
  auto ucs2 = smpp::segment_text(repeat("ж", 71), 1, mode(concatenation::udh16));
  ASSERT_EQ(ucs2.parts.size(), 2U);
  EXPECT_EQ(ucs2.parts[0].units, 66U);
  EXPECT_EQ(ucs2.parts[1].units, 5U);
}

TEST(Segmentation, SarValuesWithoutUdh) {
  auto result = smpp::segment_text(repeat("a", 200), 0xBEEF, mode(concatenation::sar));
  ASSERT_EQ(result.parts.size(), 2U);
  EXPECT_EQ(result.parts[0].short_message, bytes(153, 0x61));
  EXPECT_EQ(result.parts[1].short_message, bytes(47, 0x61));
  EXPECT_FALSE(result.parts[0].udhi);
  EXPECT_EQ(result.parts[0].sar, (smpp::sar_values{0xBEEF, 2, 1}));
  EXPECT_EQ(result.parts[1].sar, (smpp::sar_values{0xBEEF, 2, 2}));
  // A single part carries no SAR values.
  EXPECT_FALSE(smpp::segment_text("hi", 1, mode(concatenation::sar)).parts[0].sar.has_value());
  // SMSC using 16-bit UDH for SAR: 152 per part.
  auto options = mode(concatenation::sar);
  options.sar_assume_16bit_udh = true;
  EXPECT_EQ(smpp::segment_text(repeat("a", 200), 1, options).parts[0].units, 152U);
}

TEST(Segmentation, MessagePayloadIsOnePart) {
  auto result = smpp::segment_text(repeat("a", 400), 1, mode(concatenation::message_payload));
  ASSERT_FALSE(result.error);
  EXPECT_EQ(result.segments, 3U);  // what the SMSC will send
  ASSERT_EQ(result.parts.size(), 1U);
  EXPECT_TRUE(result.parts[0].use_message_payload);
  EXPECT_FALSE(result.parts[0].udhi);
  EXPECT_EQ(result.parts[0].short_message, bytes(400, 0x61));
  EXPECT_EQ(result.parts[0].units, 400U);
  // max_parts still applies to the segments on air.
  auto options = mode(concatenation::message_payload);
  options.max_parts = 2;
  EXPECT_EQ(smpp::segment_text(repeat("a", 400), 1, options).error, smpp::text_errc::message_too_long);
}

TEST(Segmentation, PackedGsm7UsesFillBitsAfterTheUdh) {
  segmentation_options options;
  options.text.data_coding_0 = smpp::default_alphabet::gsm7_packed;
  auto result = smpp::segment_text(repeat("a", 151) + "hellohello", 0x0A, options);
  ASSERT_EQ(result.parts.size(), 2U);
  EXPECT_EQ(result.parts[0].short_message.size(), 140U);  // 6 octets UDH + 153 septets with 1 fill bit
  // Part 2 holds "llohello" (part 1 is 151 a + "he"): check against an independent pack of those septets.
  const bytes expected_payload = smpp::gsm7::pack(bytes{0x6C, 0x6C, 0x6F, 0x68, 0x65, 0x6C, 0x6C, 0x6F}, 1);
  EXPECT_EQ(result.parts[1].short_message, concat({{0x05, 0x00, 0x03, 0x0A, 0x02, 0x02}, expected_payload}));
  // And the hellohello vector with one fill bit, byte-exact.
  auto hello = smpp::segment_text(repeat("a", 153) + "hellohello", 0x0A, options);
  ASSERT_EQ(hello.parts.size(), 2U);
  EXPECT_EQ(hello.parts[1].short_message,
            (bytes{0x05, 0x00, 0x03, 0x0A, 0x02, 0x02, 0xD0, 0x65, 0x36, 0xFB, 0x8D, 0x2E, 0xB3, 0xD9, 0x6F}));
  // Single packed message: no UDH, no fill bits.
  EXPECT_EQ(smpp::segment_text("hellohello", 1, options).parts[0].short_message,
            (bytes{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37}));
}

TEST(Segmentation, Latin1Link) {
  segmentation_options options;
  options.text.data_coding_0 = smpp::default_alphabet::latin1;
  auto result = smpp::segment_text("Ü [x]", 1, options);
  ASSERT_FALSE(result.error);
  EXPECT_EQ(result.encoding, text_encoding::gsm7);
  EXPECT_EQ(result.parts[0].short_message, (bytes{0xDC, ' ', '[', 'x', ']'}));
  EXPECT_EQ(result.parts[0].units, 7U);  // septets on air
  // Forced Latin-1 (data_coding 3): 140 / 134 octets.
  options.encoding = text_encoding::latin1;
  auto forced = smpp::segment_text(repeat("é", 141), 1, options);
  ASSERT_EQ(forced.parts.size(), 2U);
  EXPECT_EQ(forced.parts[0].data_coding, 3);
  EXPECT_EQ(forced.parts[0].units, 134U);
}

TEST(Segmentation, ForcedEncodingAndErrors) {
  segmentation_options options;
  options.encoding = text_encoding::ucs2;
  auto ucs2 = smpp::segment_text("hi", 1, options);
  EXPECT_EQ(ucs2.parts[0].short_message, (bytes{0x00, 'h', 0x00, 'i'}));
  options.encoding = text_encoding::gsm7;
  auto bad = smpp::segment_text("hi 😀", 1, options);
  EXPECT_EQ(bad.error, smpp::text_errc::not_representable);
  EXPECT_EQ(bad.bad_offset, 3U);
  auto invalid = smpp::segment_text("hi\xFF", 1, {});
  EXPECT_EQ(invalid.error, smpp::text_errc::invalid_utf8);
  EXPECT_EQ(invalid.bad_offset, 2U);
  EXPECT_EQ(smpp::count_segments("hi\xFF", {}).error, smpp::text_errc::invalid_utf8);
  // Empty text: one empty part.
  auto empty = smpp::segment_text("", 1, {});
  ASSERT_EQ(empty.parts.size(), 1U);
  EXPECT_TRUE(empty.parts[0].short_message.empty());
}

TEST(Segmentation, CountAgreesWithSegmentText) {
  const std::vector<std::string> pieces = {"a", "€", "ж", "😀", "{", "Ω", " "};
  for (auto c : {concatenation::udh8, concatenation::udh16, concatenation::sar, concatenation::message_payload}) {
    for (std::size_t n = 0; n < 420; n += 7) {
      std::string text;
      for (std::size_t i = 0; i < n; ++i) {
        text += pieces[(i * 7 + n) % (n % 3 == 0 ? 2 : pieces.size())];
      }
      auto options = mode(c);
      auto count = smpp::count_segments(text, options);
      auto full = smpp::segment_text(text, 1, options);
      EXPECT_EQ(count.segments, full.segments) << n;
      EXPECT_EQ(count.encoding, full.encoding) << n;
      EXPECT_EQ(count.error, full.error) << n;
      if (c != concatenation::message_payload && !full.error) {
        EXPECT_EQ(full.parts.size(), full.segments);
        std::size_t units = 0;
        for (const auto& p : full.parts) {
          units += p.units;
        }
        EXPECT_EQ(units, count.units);
      }
    }
  }
}

TEST(Segmentation, ConfigurationNames) {
  EXPECT_EQ(smpp::concatenation_from_string("udh16"), concatenation::udh16);
  EXPECT_EQ(smpp::concatenation_from_string("message_payload"), concatenation::message_payload);
  EXPECT_FALSE(smpp::concatenation_from_string("udh").has_value());
  EXPECT_EQ(smpp::default_alphabet_from_string("gsm7_packed"), smpp::default_alphabet::gsm7_packed);
  EXPECT_EQ(smpp::to_string(smpp::default_alphabet::latin1), "latin1");
}

}  // namespace
