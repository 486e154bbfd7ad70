#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "smpp/text_encoding.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
using smpp::default_alphabet;
using smpp::text_encoding;
using smpp::text_options;

text_options with_dc0(default_alphabet a) {
  text_options o;
  o.data_coding_0 = a;
  return o;
}

TEST(TextEncoding, ChoosesGsm7WhenTheTextFits) {
  EXPECT_EQ(smpp::choose_encoding("Your code is 123456"), text_encoding::gsm7);
  EXPECT_EQ(smpp::choose_encoding("Prix: 5€ {ok}"), text_encoding::gsm7);
  EXPECT_EQ(smpp::choose_encoding("Привет"), text_encoding::ucs2);
  EXPECT_EQ(smpp::choose_encoding("ok 😀"), text_encoding::ucs2);
  EXPECT_EQ(smpp::choose_encoding("façade"), text_encoding::ucs2);  // ç is not GSM-7
  // On a link where data_coding 0 is Latin-1, € and Greek letters cannot travel as dc 0.
  EXPECT_EQ(smpp::choose_encoding("5€", with_dc0(default_alphabet::latin1)), text_encoding::ucs2);
  EXPECT_EQ(smpp::choose_encoding("Ω", with_dc0(default_alphabet::latin1)), text_encoding::ucs2);
  EXPECT_EQ(smpp::choose_encoding("Ü ñ ä", with_dc0(default_alphabet::latin1)), text_encoding::gsm7);
  EXPECT_EQ(smpp::choose_encoding("Ü", with_dc0(default_alphabet::ia5)), text_encoding::ucs2);
  EXPECT_EQ(smpp::to_string(text_encoding::gsm7), "gsm7");
  EXPECT_EQ(smpp::to_string(text_encoding::ucs2), "ucs2");
}

TEST(TextEncoding, EncodesGsm7PerDataCoding0Setting) {
  auto unpacked = smpp::encode_text("a€", text_encoding::gsm7);
  EXPECT_FALSE(unpacked.error);
  EXPECT_EQ(unpacked.data_coding, 0);
  EXPECT_EQ(unpacked.bytes, (bytes{0x61, 0x1B, 0x65}));
  EXPECT_EQ(unpacked.units, 3U);

  auto packed = smpp::encode_text("hellohello", text_encoding::gsm7, with_dc0(default_alphabet::gsm7_packed));
  EXPECT_EQ(packed.bytes, (bytes{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37}));
  EXPECT_EQ(packed.units, 10U);

  auto latin = smpp::encode_text("Ü[", text_encoding::gsm7, with_dc0(default_alphabet::latin1));
  EXPECT_EQ(latin.data_coding, 0);
  EXPECT_EQ(latin.bytes, (bytes{0xDC, '['}));
  EXPECT_EQ(latin.units, 3U);  // septets on air: [ is an escape

  auto ascii = smpp::encode_text("a{", text_encoding::gsm7, with_dc0(default_alphabet::ia5));
  EXPECT_EQ(ascii.bytes, (bytes{'a', '{'}));
}

TEST(TextEncoding, EncodesOtherCodings) {
  auto ucs2 = smpp::encode_text("Hi😀", text_encoding::ucs2);
  EXPECT_EQ(ucs2.data_coding, 8);
  EXPECT_EQ(ucs2.bytes, (bytes{0x00, 'H', 0x00, 'i', 0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(ucs2.units, 4U);
  auto latin1 = smpp::encode_text("é", text_encoding::latin1);
  EXPECT_EQ(latin1.data_coding, 3);
  EXPECT_EQ(latin1.bytes, bytes{0xE9});
  auto ia5 = smpp::encode_text("A", text_encoding::ia5);
  EXPECT_EQ(ia5.data_coding, 1);
  EXPECT_EQ(ia5.bytes, bytes{'A'});
}

TEST(TextEncoding, ReportsErrorsWithOffsets) {
  auto not_gsm = smpp::encode_text("abc😀", text_encoding::gsm7);
  EXPECT_EQ(not_gsm.error, smpp::text_errc::not_representable);
  EXPECT_EQ(not_gsm.bad_offset, 3U);
  EXPECT_TRUE(not_gsm.bytes.empty());
  auto bad_utf8 = smpp::encode_text("ab\xFF", text_encoding::ucs2);
  EXPECT_EQ(bad_utf8.error, smpp::text_errc::invalid_utf8);
  EXPECT_EQ(bad_utf8.bad_offset, 2U);
  auto bad_gsm_utf8 = smpp::encode_text("a\xC3", text_encoding::gsm7);
  EXPECT_EQ(bad_gsm_utf8.error, smpp::text_errc::invalid_utf8);
  EXPECT_EQ(smpp::encode_text("€", text_encoding::latin1).error, smpp::text_errc::not_representable);
  EXPECT_EQ(std::string(smpp::text_category().name()), "smpp.text");
  EXPECT_FALSE(smpp::make_error_code(smpp::text_errc::message_too_long).message().empty());
}

TEST(TextEncoding, DecodesInboundDataCodings) {
  EXPECT_EQ(smpp::decode_text(0, bytes{0x53, 0x54, 0x4F, 0x50}).text, "STOP");
  EXPECT_EQ(smpp::decode_text(0, bytes{0x1B, 0x65, 0x00}).text, "€@");
  EXPECT_EQ(smpp::decode_text(0, bytes{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37},
                              with_dc0(default_alphabet::gsm7_packed))
                .text,
            "hellohello");
  EXPECT_EQ(smpp::decode_text(0, bytes{0xC9, 0x74, 0xE9}, with_dc0(default_alphabet::latin1)).text, "Été");
  EXPECT_EQ(smpp::decode_text(1, bytes{'S', 'T', 'O', 'P'}).text, "STOP");
  EXPECT_EQ(smpp::decode_text(3, bytes{0x41, 0x52, 0x52, 0xCA, 0x54}).text, "ARRÊT");
  EXPECT_EQ(smpp::decode_text(8, bytes{0x04, 0x1F, 0x04, 0x40, 0xD8, 0x3D, 0xDE, 0x00}).text, "Пр😀");
  // Packed GSM-7 after a 6-octet UDH: the caller passes the fill bits.
  EXPECT_EQ(smpp::decode_text(0, bytes{0xD0, 0x65, 0x36, 0xFB, 0x8D, 0x2E, 0xB3, 0xD9, 0x6F},
                              with_dc0(default_alphabet::gsm7_packed), 1)
                .text,
            "hellohello");
}

TEST(TextEncoding, DecodesCodingGroups) {
  // 0xF0 class 0 GSM-7 (flash), 0xF4 8-bit data, 0x08-like UCS-2 in group 0x48, message waiting 0xE0.
  EXPECT_EQ(smpp::decode_text(0xF0, bytes{0x48, 0x49}).text, "HI");
  EXPECT_EQ(smpp::decode_text(0xF1, bytes{0xE8, 0x32, 0x9B, 0xFD, 0x06}, with_dc0(default_alphabet::gsm7_packed)).text,
            "hello");
  auto binary = smpp::decode_text(0xF4, bytes{0x41, 0xFF});
  EXPECT_TRUE(binary.binary);
  EXPECT_FALSE(binary.error);
  EXPECT_EQ(smpp::decode_text(0x48, bytes{0x00, 0x41}).text, "A");
  EXPECT_EQ(smpp::decode_text(0x18, bytes{0x00, 0x43}).text, "C");  // UCS-2, class 0
  EXPECT_EQ(smpp::decode_text(0x11, bytes{0x44}).text, "D");        // GSM-7, class 1
  EXPECT_EQ(smpp::wire_alphabet_of(0x38), smpp::wire_alphabet::unsupported);  // compressed
  EXPECT_EQ(smpp::decode_text(0xE0, bytes{0x00, 0x42}).text, "B");
  EXPECT_TRUE(smpp::decode_text(4, bytes{0x01}).binary);
  EXPECT_EQ(smpp::wire_alphabet_of(0x02), smpp::wire_alphabet::binary);
}

TEST(TextEncoding, UnsupportedDataCodingStillGivesAsciiText) {
  auto jis = smpp::decode_text(0x05, bytes{'S', 'T', 'O', 'P', 0x90});
  EXPECT_EQ(jis.error, smpp::text_errc::unsupported_data_coding);
  EXPECT_EQ(jis.text, "STOP\uFFFD");
  EXPECT_EQ(smpp::decode_text(0x0E, bytes{}).error, smpp::text_errc::unsupported_data_coding);
  EXPECT_EQ(smpp::decode_text(0x60, bytes{}).error, smpp::text_errc::unsupported_data_coding);  // compressed
}

}  // namespace
