#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "smpp/ia5.hpp"
#include "smpp/latin1.hpp"
#include "smpp/ucs2.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;

TEST(Ucs2, EncodesBmpAndSurrogatePairsBigEndian) {
  auto result = smpp::utf8_to_utf16be("Aé€😀");
  ASSERT_FALSE(result.bad_offset.has_value());
  EXPECT_EQ(result.bytes, (bytes{0x00, 0x41, 0x00, 0xE9, 0x20, 0xAC, 0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(smpp::utf16_length("Aé€😀"), 5U);
  EXPECT_EQ(smpp::utf16be_to_utf8(result.bytes), "Aé€😀");
}

TEST(Ucs2, RefusesInvalidUtf8WithOffset) {
  for (const auto& [text, offset] : std::vector<std::pair<std::string, std::size_t>>{
           {"ab\xFF", 2},            // never valid
           {"a\xC3", 1},             // truncated
           {"a\xC0\xAF", 1},         // overlong '/'
           {"xy\xED\xA0\x80", 2},    // UTF-8 encoded surrogate
           {"\xF4\x90\x80\x80", 0},  // above U+10FFFF
           {"\x80", 0}}) {           // stray continuation
    auto result = smpp::utf8_to_utf16be(text);
    ASSERT_TRUE(result.bad_offset.has_value()) << text;
    EXPECT_EQ(*result.bad_offset, offset);
    EXPECT_TRUE(result.bytes.empty());
    EXPECT_FALSE(smpp::utf16_length(text).has_value());
  }
}

TEST(Ucs2, DecodesBadUtf16WithReplacementCharacters) {
  // Unpaired high surrogate, unpaired low surrogate, odd trailing byte.
  EXPECT_EQ(smpp::utf16be_to_utf8(bytes{0xD8, 0x3D, 0x00, 0x41}), "\uFFFDA");
  EXPECT_EQ(smpp::utf16be_to_utf8(bytes{0x00, 0x41, 0xDE, 0x00}), "A\uFFFD");
  EXPECT_EQ(smpp::utf16be_to_utf8(bytes{0x00, 0x41, 0x00}), "A\uFFFD");
  EXPECT_EQ(smpp::utf16be_to_utf8(bytes{0xD8, 0x3D}), "\uFFFD");
  // A leading byte-order mark is dropped.
  EXPECT_EQ(smpp::utf16be_to_utf8(bytes{0xFE, 0xFF, 0x00, 0x53}), "S");
}

TEST(Utf8, LenientDecodingReplacesEachBadSequence) {
  EXPECT_EQ(smpp::utf8::to_code_points_lenient("a\xFF" "b"), (std::u32string{U'a', 0xFFFD, U'b'}));
  EXPECT_FALSE(smpp::utf8::to_code_points("a\xFF").has_value());
  EXPECT_EQ(smpp::utf8::from_code_points(U"Ω😀"), "Ω😀");
}

TEST(Latin1, BothWays) {
  auto result = smpp::utf8_to_latin1("Ça coûte 5£ ÿ");
  ASSERT_FALSE(result.bad_offset.has_value());
  EXPECT_EQ(result.bytes, (bytes{0xC7, 'a', ' ', 'c', 'o', 0xFB, 't', 'e', ' ', '5', 0xA3, ' ', 0xFF}));
  EXPECT_EQ(smpp::latin1_to_utf8(result.bytes), "Ça coûte 5£ ÿ");
  EXPECT_TRUE(smpp::fits_latin1("ÿ"));
  EXPECT_FALSE(smpp::fits_latin1("€"));
  auto euro = smpp::utf8_to_latin1("5€");
  ASSERT_TRUE(euro.bad_offset.has_value());
  EXPECT_EQ(*euro.bad_offset, 1U);
}

TEST(Ia5, AsciiOnly) {
  auto result = smpp::utf8_to_ia5("STOP 1");
  ASSERT_FALSE(result.bad_offset.has_value());
  EXPECT_EQ(result.bytes, (bytes{'S', 'T', 'O', 'P', ' ', '1'}));
  EXPECT_FALSE(smpp::fits_ia5("é"));
  EXPECT_EQ(smpp::utf8_to_ia5("aé").bad_offset, 1U);
  EXPECT_EQ(smpp::ia5_to_utf8(bytes{'o', 'k', 0xE9}), "ok\uFFFD");
}

}  // namespace
