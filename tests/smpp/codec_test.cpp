#include <gtest/gtest.h>

#include <set>

#include "smpp/codec.hpp"
#include "smpp/pdu_print.hpp"
#include "tests/smpp/pdu_vectors.hpp"

namespace {

using smpp_test::all_vectors;
using smpp_test::from_hex;
using smpp_test::to_hex;

class Vectors : public ::testing::TestWithParam<smpp_test::vector_case> {};

TEST_P(Vectors, DecodesToExpectedStruct) {
  const auto& c = GetParam();
  const auto bytes = from_hex(c.hex);
  auto result = smpp::decode(bytes);
  ASSERT_TRUE(result.ok()) << c.name << ": " << make_error_code(result.error.code).message() << " in "
                           << result.error.field;
  EXPECT_EQ(result.value, c.frame) << smpp::to_json(result.value) << "\nexpected\n"
                                   << smpp::to_json(c.frame);
  EXPECT_EQ(result.header.command_length, bytes.size());
}

TEST_P(Vectors, EncodesToExactBytes) {
  const auto& c = GetParam();
  std::vector<std::uint8_t> out = {0xAA};  // encode appends
  auto err = smpp::encode(c.frame, out);
  ASSERT_FALSE(err) << make_error_code(err.code).message() << " in " << err.field;
  ASSERT_EQ(out.front(), 0xAA);
  out.erase(out.begin());
  EXPECT_EQ(to_hex(out), to_hex(from_hex(c.hex)));
}

TEST_P(Vectors, RoundTrips) {
  const auto& c = GetParam();
  std::vector<std::uint8_t> out;
  ASSERT_FALSE(smpp::encode(c.frame, out));
  auto result = smpp::decode(out);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value, c.frame);
}

INSTANTIATE_TEST_SUITE_P(Codec, Vectors, ::testing::ValuesIn(all_vectors()),
                         [](const auto& info) { return info.param.name; });

TEST(Codec, VectorsCoverEveryPdu) {
  std::set<std::size_t> seen;
  for (const auto& c : all_vectors()) seen.insert(c.frame.body.index());
  EXPECT_EQ(seen.size(), std::variant_size_v<smpp::pdu>);
}

smpp::decode_result decode_hex(std::string_view hex) { return smpp::decode(from_hex(hex)); }

TEST(Codec, HeaderOnlyErrorResponseDecodesToDefaults) {
  // submit_sm_resp ESME_RTHROTTLED without a body (section 4.4.2 allows omitting it).
  auto r = decode_hex("00000010 80000004 00000058 00000007");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.status, smpp::command_status::esme_rthrottled);
  EXPECT_EQ(r.value.sequence_number, 7U);
  EXPECT_EQ(r.value.body, smpp::pdu{smpp::submit_sm_resp{}});
}

TEST(Codec, MissingNulNamesTheField) {
  // submit_sm_resp whose message_id "abc" is not terminated.
  auto r = decode_hex("00000013 80000004 00000000 00000001 616263");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.code, smpp::errc::missing_nul);
  EXPECT_EQ(r.error.field, "message_id");
  EXPECT_FALSE(r.error.fatal);
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvmsgid);
}

TEST(Codec, SystemIdLongerThanSixteenIsRejected) {
  // 16 characters + NUL = 17 octets > 16.
  auto r = decode_hex(
      "00000028 00000002 00000000 00000001 41414141414141414141414141414141 00 7000 00 34 00 00 00");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.code, smpp::errc::string_too_long);
  EXPECT_EQ(r.error.field, "system_id");
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvsysid);
  // 15 characters fit.
  auto ok = decode_hex("00000027 00000002 00000000 00000001 414141414141414141414141414141 00 7000 00 34 00 00 00");
  EXPECT_TRUE(ok.ok()) << ok.error.field;
}

TEST(Codec, SourceAddrLongerThanTwentyIsRejected) {
  smpp::submit_sm s;
  s.source_addr = std::string(21, '1');
  std::vector<std::uint8_t> out;
  auto err = smpp::encode(s, smpp::command_status::esme_rok, 1, out);
  EXPECT_EQ(err.code, smpp::errc::string_too_long);
  EXPECT_EQ(err.field, "source_addr");
  EXPECT_TRUE(out.empty());
  s.source_addr = std::string(20, '1');
  EXPECT_FALSE(smpp::encode(s, smpp::command_status::esme_rok, 1, out));
  // Decoding the 21-character form: the NUL is outside the 21-octet window.
  auto bytes = out;
  auto pos = 16 + 1 + 2;  // service_type NUL, ton, npi
  bytes.insert(bytes.begin() + pos, '1');
  bytes[3] = static_cast<std::uint8_t>(bytes.size());
  auto r = smpp::decode(bytes);
  EXPECT_EQ(r.error.code, smpp::errc::string_too_long);
  EXPECT_EQ(r.error.field, "source_addr");
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvsrcadr);
}

TEST(Codec, ShortMessageRunningPastTheEnd) {
  // sm_length says 11 but only 2 octets follow.
  auto r = decode_hex(
      "00000033 00000004 00000000 0000000a"
      "00 01 01 313233343500 01 01 313431353535353031323300 00 00 00 00 00 01 00 00 00 0b 4865");
  EXPECT_EQ(r.error.code, smpp::errc::truncated);
  EXPECT_EQ(r.error.field, "short_message");
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvmsglen);
  EXPECT_FALSE(r.error.fatal);
}

TEST(Codec, ShortMessageOver254Octets) {
  smpp::submit_sm s;
  s.short_message = std::string(255, 'x');
  std::vector<std::uint8_t> out;
  EXPECT_EQ(smpp::encode(s, smpp::command_status::esme_rok, 1, out).code,
            smpp::errc::message_too_long);
  s.short_message.pop_back();
  EXPECT_FALSE(smpp::encode(s, smpp::command_status::esme_rok, 1, out));
  out[16 + 1 + 2 + 1 + 2 + 1 + 3 + 2 + 4] = 0xFF;  // sm_length 255
  auto r = smpp::decode(out);
  EXPECT_EQ(r.error.code, smpp::errc::message_too_long);
  EXPECT_EQ(r.error.field, "sm_length");
}

TEST(Codec, TlvWithWrongLengthForItsTypeIsRecoverable) {
  // sar_msg_ref_num is int2 but carries 3 octets.
  auto r = decode_hex("0000001a 80000103 00000000 00000001 643100 020c 0003 123456");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.code, smpp::errc::tlv_bad_length);
  EXPECT_EQ(r.error.field, "sar_msg_ref_num");
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvparlen);
  EXPECT_FALSE(r.error.fatal);
  auto answer = smpp::error_response(r.header, r.error);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, smpp::pdu{smpp::generic_nack{}});  // a malformed response: generic_nack
}

TEST(Codec, TlvRunningPastTheEnd) {
  // message_payload claims 16 octets, 2 present.
  auto r = decode_hex(
      "00000030 00000103 00000000 00000041"
      "00 01 01 313233343500 01 01 313431353535353031323300 00 01 08 0424 0010 0048");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.code, smpp::errc::tlv_truncated);
  EXPECT_EQ(r.error.field, "message_payload");
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvoptparstream);
  auto answer = smpp::error_response(r.header, r.error);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, smpp::pdu{smpp::data_sm_resp{}});
  EXPECT_EQ(answer->status, smpp::command_status::esme_rinvoptparstream);
  EXPECT_EQ(answer->sequence_number, 0x41U);
}

TEST(Codec, TlvHeaderCutShort) {
  auto r = decode_hex("00000016 80000103 00000000 00000001 643100 0204 00");
  EXPECT_EQ(r.error.code, smpp::errc::tlv_truncated);
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvoptparstream);
}

TEST(Codec, CStringTlvWithoutNul) {
  auto r = decode_hex("0000001a 80000103 00000000 00000001 643100 001e 0003 616263");
  EXPECT_EQ(r.error.code, smpp::errc::tlv_bad_value);
  EXPECT_EQ(r.error.field, "receipted_message_id");
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvoptparamval);
}

TEST(Codec, UnknownTlvPreservedByteExact) {
  const std::string hex =
      "00000027 80000103 00000000 00000001 643100 3fff 0002 beef 1401 0000 0210 0001 34 2000 0001 ff";
  auto r = decode_hex(hex);
  ASSERT_TRUE(r.ok()) << r.error.field;
  const auto& resp = std::get<smpp::data_sm_resp>(r.value.body);
  ASSERT_EQ(resp.tlvs.size(), 4U);
  EXPECT_EQ(resp.tlvs.items[0].tag, 0x3fff);
  EXPECT_EQ(resp.tlvs.items[1].value, "");
  EXPECT_EQ(resp.tlvs.get(smpp::tag::sc_interface_version), 0x34);
  std::vector<std::uint8_t> out;
  ASSERT_FALSE(smpp::encode(r.value, out));
  EXPECT_EQ(to_hex(out), to_hex(from_hex(hex)));
}

TEST(Codec, UnknownCommandIdIsRecoverable) {
  auto r = decode_hex("00000010 00000099 00000000 0000002a");
  EXPECT_EQ(r.error.code, smpp::errc::unknown_command_id);
  EXPECT_FALSE(r.error.fatal);
  auto answer = smpp::error_response(r.header, r.error);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, smpp::pdu{smpp::generic_nack{}});
  EXPECT_EQ(answer->status, smpp::command_status::esme_rinvcmdid);
  EXPECT_EQ(answer->sequence_number, 42U);
}

TEST(Codec, LengthMismatchIsFatal) {
  auto r = decode_hex("00000011 00000015 00000000 00000001");
  EXPECT_EQ(r.error.code, smpp::errc::command_length_mismatch);
  EXPECT_TRUE(r.error.fatal);
  auto too_short = decode_hex("0000000f 00000015 00000000 00000001");
  EXPECT_EQ(too_short.error.code, smpp::errc::command_length_too_small);
  auto tiny = decode_hex("000000");
  EXPECT_EQ(tiny.error.code, smpp::errc::command_length_too_small);
}

TEST(Codec, TrailingBytesInPduWithoutTlvs) {
  auto r = decode_hex("00000012 00000015 00000000 00000001 0000");
  EXPECT_EQ(r.error.code, smpp::errc::trailing_bytes);
  EXPECT_FALSE(r.error.fatal);
  auto answer = smpp::error_response(r.header, r.error);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, smpp::pdu{smpp::enquire_link_resp{}});
  EXPECT_EQ(answer->status, smpp::command_status::esme_rinvcmdlen);
}

TEST(Codec, MalformedGenericNackIsNotAnswered) {
  auto r = decode_hex("00000011 80000000 00000000 00000001 00");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(smpp::error_response(r.header, r.error).has_value());
}

TEST(Codec, InvalidTimeField) {
  // schedule_delivery_time "1" (neither empty nor 16 characters).
  auto r = decode_hex(
      "0000003d 00000004 00000000 0000000a"
      "00 01 01 313233343500 01 01 313431353535353031323300 00 00 00 3100 00 01 00 00 00"
      "0b 48656c6c6f20776f726c64");
  EXPECT_EQ(r.error.code, smpp::errc::invalid_time);
  EXPECT_EQ(r.error.field, "schedule_delivery_time");
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvsched);
}

TEST(Codec, InvalidDestFlag) {
  auto r = decode_hex(
      "00000026 00000021 00000000 00000001 00 01 01 313233343500 01 03 00 00 00 00 00 00 00 00 00 00 00");
  EXPECT_EQ(r.error.code, smpp::errc::invalid_dest_flag);
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvdestflag);
}

TEST(Codec, EmbeddedNulIsRefusedOnEncode) {
  smpp::submit_sm s;
  s.destination_addr = std::string("123\0" "45", 6);
  std::vector<std::uint8_t> out;
  auto err = smpp::encode(s, smpp::command_status::esme_rok, 1, out);
  EXPECT_EQ(err.code, smpp::errc::embedded_nul);
  EXPECT_EQ(err.field, "destination_addr");
}

TEST(Codec, KnownTlvWithBadValueIsRefusedOnEncode) {
  smpp::submit_sm s;
  s.tlvs.set_raw(smpp::tag::sar_msg_ref_num.value, "x");
  std::vector<std::uint8_t> out;
  auto err = smpp::encode(s, smpp::command_status::esme_rok, 1, out);
  EXPECT_EQ(err.code, smpp::errc::tlv_bad_length);
  EXPECT_EQ(err.field, "sar_msg_ref_num");
}

TEST(Codec, ErrorResponseForMalformedBind) {
  auto r = decode_hex("00000013 00000009 00000000 00000005 616263");
  ASSERT_FALSE(r.ok());
  auto answer = smpp::error_response(r.header, r.error);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, smpp::pdu{smpp::bind_transceiver_resp{}});
  EXPECT_EQ(answer->status, smpp::command_status::esme_rinvsysid);
  EXPECT_EQ(answer->sequence_number, 5U);
}

}  // namespace
