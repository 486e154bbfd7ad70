#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "smpp/gsm7.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;

// TS 23.038 6.2.1 default alphabet by septet value, written out independently of the
// implementation's table. Septet 0x1B is the escape (nullptr here).
const std::array<const char*, 128> default_alphabet = {
    "@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
    "Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", nullptr, "Æ", "æ", "ß", "É",
    " ", "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
    "¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§",
    "¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
};

struct extension {
  const char* utf8;
  std::uint8_t septet;
};
const std::array<extension, 10> extension_alphabet = {{
    {"\f", 0x0A}, {"^", 0x14}, {"{", 0x28}, {"}", 0x29}, {"\\", 0x2F},
    {"[", 0x3C}, {"~", 0x3D}, {"]", 0x3E}, {"|", 0x40}, {"€", 0x65},
}};

bytes septets_of(const std::string& text) {
  auto result = smpp::gsm7::utf8_to_septets(text);
  EXPECT_FALSE(result.bad_offset.has_value()) << text;
  return result.septets;
}

TEST(Gsm7, DefaultTableEncodesEveryCharacter) {
  for (std::size_t i = 0; i < default_alphabet.size(); ++i) {
    if (default_alphabet[i] == nullptr) {
      continue;
    }
    EXPECT_EQ(septets_of(default_alphabet[i]), bytes{static_cast<std::uint8_t>(i)}) << "septet " << i;
    EXPECT_EQ(smpp::gsm7_septet_count(default_alphabet[i]), 1U) << "septet " << i;
  }
}

TEST(Gsm7, DefaultTableDecodesEverySeptet) {
  for (std::size_t i = 0; i < default_alphabet.size(); ++i) {
    if (default_alphabet[i] == nullptr) {
      continue;
    }
    const bytes one{static_cast<std::uint8_t>(i)};
    EXPECT_EQ(smpp::gsm7::septets_to_utf8(one), default_alphabet[i]) << "septet " << i;
  }
}

TEST(Gsm7, ExtensionTableBothWaysCountsTwoSeptets) {
  for (const auto& e : extension_alphabet) {
    EXPECT_EQ(septets_of(e.utf8), (bytes{0x1B, e.septet})) << e.utf8;
    EXPECT_EQ(smpp::gsm7_septet_count(e.utf8), 2U) << e.utf8;
    EXPECT_EQ(smpp::gsm7::septets_to_utf8(bytes{0x1B, e.septet}), e.utf8);
  }
  EXPECT_EQ(smpp::gsm7_septet_count("€[x]"), 7U);
}

TEST(Gsm7, EscapeWithoutExtensionCharacterShowsDefaultCharacter) {
  // TS 23.038 6.2.1.1: ESC + 'A' has no extension character -> 'A'.
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(bytes{0x1B, 0x41, 0x42}), "AB");
  // A trailing lone escape is dropped.
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(bytes{0x41, 0x1B}), "A");
}

TEST(Gsm7, CharactersOutsideTheAlphabet) {
  for (const char* text : {"ç", "`", "Á", "😀", "ą", "\t", "“quoted”", "á"}) {
    EXPECT_FALSE(smpp::fits_gsm7(text)) << text;
    EXPECT_FALSE(smpp::gsm7_septet_count(text).has_value()) << text;
  }
  auto result = smpp::gsm7::utf8_to_septets("abc`d");
  ASSERT_TRUE(result.bad_offset.has_value());
  EXPECT_EQ(*result.bad_offset, 3U);
  EXPECT_TRUE(result.septets.empty());
  EXPECT_FALSE(smpp::fits_gsm7("ab\xC3"));  // truncated UTF-8
  EXPECT_TRUE(smpp::fits_gsm7("Hello {world} 100€ Ñoño"));
  EXPECT_FALSE(smpp::fits_gsm7("Ñandú"));  // ú is not in GSM-7 (ù is)
}

TEST(Gsm7, PacksHelloHelloByteExact) {
  const bytes packed = smpp::gsm7::pack(septets_of("hellohello"));
  EXPECT_EQ(packed, (bytes{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37}));
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(smpp::gsm7::unpack(packed)), "hellohello");
}

TEST(Gsm7, PacksWithFillBitsAfterUdh) {
  // After the 6-octet UDH 05 00 03 ..: 48 bits, 1 fill bit to reach 49.
  EXPECT_EQ(smpp::gsm7::fill_bits_after_udh(6), 1U);
  // After the 7-octet 16-bit UDH: 56 bits = 8 septets, no fill.
  EXPECT_EQ(smpp::gsm7::fill_bits_after_udh(7), 0U);
  EXPECT_EQ(smpp::gsm7::fill_bits_after_udh(0), 0U);
  EXPECT_EQ(smpp::gsm7::fill_bits_after_udh(1), 6U);

  const bytes one_fill = smpp::gsm7::pack(septets_of("hellohello"), 1);
  EXPECT_EQ(one_fill, (bytes{0xD0, 0x65, 0x36, 0xFB, 0x8D, 0x2E, 0xB3, 0xD9, 0x6F}));
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(smpp::gsm7::unpack(one_fill, 1)), "hellohello");

  const bytes six_fill = smpp::gsm7::pack(septets_of("hellohello"), 6);
  EXPECT_EQ(six_fill, (bytes{0x00, 0xBA, 0xCC, 0x66, 0xBF, 0xD1, 0x65, 0x36, 0xFB, 0x0D}));
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(smpp::gsm7::unpack(six_fill, 6)), "hellohello");
}

TEST(Gsm7, PackedSizes) {
  EXPECT_EQ(smpp::gsm7::packed_size(160), 140U);
  EXPECT_EQ(smpp::gsm7::packed_size(153, 1), 134U);  // + 6 octets of UDH = 140
  EXPECT_EQ(smpp::gsm7::packed_size(152, 0), 133U);  // + 7 octets of UDH = 140
  EXPECT_EQ(smpp::gsm7::pack(bytes(160, 0x41)).size(), 140U);
}

TEST(Gsm7, UnpackDropsPaddingSeptetInSpareBits) {
  // 7 septets fill 49 of 56 bits: the 7 spare bits are not an '@'.
  const bytes seven = smpp::gsm7::pack(septets_of("1234567"));
  ASSERT_EQ(seven.size(), 7U);
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(smpp::gsm7::unpack(seven)), "1234567");
  // 8 septets use all 56 bits.
  const bytes eight = smpp::gsm7::pack(septets_of("12345678"));
  ASSERT_EQ(eight.size(), 7U);
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(smpp::gsm7::unpack(eight)), "12345678");
  // CR padding (TS 23.038 6.1.2.3.1) in the spare bits is dropped too.
  const bytes cr_padded = smpp::gsm7::pack(septets_of("1234567\r"));
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(smpp::gsm7::unpack(cr_padded)), "1234567");
  // With a known count nothing is guessed.
  const bytes at_end = smpp::gsm7::pack(septets_of("1234567@"));
  EXPECT_EQ(smpp::gsm7::septets_to_utf8(smpp::gsm7::unpack(at_end, 0, 8)), "1234567@");
}

TEST(Gsm7, PackUnpackRoundTripsEveryLengthAndFill) {
  bytes septets;
  for (std::size_t n = 0; n <= 40; ++n) {
    for (unsigned fill = 0; fill < 7; ++fill) {
      const bytes packed = smpp::gsm7::pack(septets, fill);
      EXPECT_EQ(packed.size(), smpp::gsm7::packed_size(n, fill));
      EXPECT_EQ(smpp::gsm7::unpack(packed, fill, n), septets) << n << " fill " << fill;
    }
    septets.push_back(static_cast<std::uint8_t>((n * 37 + 5) & 0x7F) | 0x01);  // never 0 (no '@' padding)
  }
}

}  // namespace
