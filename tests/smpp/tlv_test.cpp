#include <gtest/gtest.h>

#include <set>

#include "smpp/codec.hpp"
#include "smpp/tlv.hpp"

namespace {

TEST(Tlv, TableIsSortedUniqueAndNamed) {
  std::set<std::uint16_t> tags;
  std::set<std::string_view> names;
  for (const auto& info : smpp::known_tlvs()) {
    EXPECT_TRUE(tags.insert(info.tag).second) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_EQ(smpp::find_tlv_info(info.tag), &info);
    EXPECT_LE(info.min_length, info.max_length);
  }
  EXPECT_GE(tags.size(), 44U);
  EXPECT_EQ(smpp::find_tlv_info(0x1400), nullptr);
}

template <class Wire>
void expect_key_matches_table(smpp::tlv_key<Wire> key, std::string_view name, smpp::tlv_type type) {
  const auto* info = smpp::find_tlv_info(key.value);
  ASSERT_NE(info, nullptr) << name;
  EXPECT_EQ(info->name, name);
  EXPECT_EQ(info->type, type) << name;
}

TEST(Tlv, TypedKeysAgreeWithTheTable) {
  using smpp::tlv_type;
  namespace tag = smpp::tag;
  expect_key_matches_table(tag::sar_msg_ref_num, "sar_msg_ref_num", tlv_type::int2);
  expect_key_matches_table(tag::sar_total_segments, "sar_total_segments", tlv_type::int1);
  expect_key_matches_table(tag::sar_segment_seqnum, "sar_segment_seqnum", tlv_type::int1);
  expect_key_matches_table(tag::message_payload, "message_payload", tlv_type::octets);
  expect_key_matches_table(tag::receipted_message_id, "receipted_message_id", tlv_type::cstring);
  expect_key_matches_table(tag::message_state, "message_state", tlv_type::int1);
  expect_key_matches_table(tag::network_error_code, "network_error_code", tlv_type::octets);
  expect_key_matches_table(tag::user_message_reference, "user_message_reference", tlv_type::int2);
  expect_key_matches_table(tag::source_port, "source_port", tlv_type::int2);
  expect_key_matches_table(tag::destination_port, "destination_port", tlv_type::int2);
  expect_key_matches_table(tag::more_messages_to_send, "more_messages_to_send", tlv_type::int1);
  expect_key_matches_table(tag::payload_type, "payload_type", tlv_type::int1);
  expect_key_matches_table(tag::qos_time_to_live, "qos_time_to_live", tlv_type::int4);
  expect_key_matches_table(tag::sc_interface_version, "sc_interface_version", tlv_type::int1);
  expect_key_matches_table(tag::additional_status_info_text, "additional_status_info_text",
                           tlv_type::cstring);
}

TEST(Tlv, TypedSetWritesBigEndianAndGetReadsBack) {
  smpp::tlv_list l;
  l.set(smpp::tag::sar_msg_ref_num, 0xABCD);
  l.set(smpp::tag::qos_time_to_live, 0x01020304);
  l.set(smpp::tag::receipted_message_id, "0A1B");
  l.set(smpp::tag::network_error_code, {3, 0x0102});
  ASSERT_EQ(l.size(), 4U);
  EXPECT_EQ(l.items[0].value, std::string("\xAB\xCD"));
  EXPECT_EQ(l.items[1].value, std::string("\x01\x02\x03\x04"));
  EXPECT_EQ(l.items[2].value, std::string("0A1B\0", 5));
  EXPECT_EQ(l.items[3].value, std::string("\x03\x01\x02"));
  EXPECT_EQ(l.get(smpp::tag::sar_msg_ref_num), 0xABCD);
  EXPECT_EQ(l.get(smpp::tag::qos_time_to_live), 0x01020304U);
  EXPECT_EQ(l.get(smpp::tag::receipted_message_id), "0A1B");
  EXPECT_EQ(l.get(smpp::tag::network_error_code), (smpp::network_error_code_value{3, 0x0102}));
  EXPECT_FALSE(l.get(smpp::tag::message_state).has_value());
  // set replaces in place, order kept.
  l.set(smpp::tag::sar_msg_ref_num, 7);
  EXPECT_EQ(l.items[0].tag, smpp::tag::sar_msg_ref_num.value);
  EXPECT_EQ(l.get(smpp::tag::sar_msg_ref_num), 7);
  EXPECT_EQ(l.erase(smpp::tag::sar_msg_ref_num.value), 1U);
  EXPECT_FALSE(l.contains(smpp::tag::sar_msg_ref_num));
}

TEST(Tlv, GetOnWrongLengthIsEmpty) {
  smpp::tlv_list l;
  l.set_raw(smpp::tag::sar_msg_ref_num.value, "abc");
  EXPECT_FALSE(l.get(smpp::tag::sar_msg_ref_num).has_value());
  EXPECT_EQ(smpp::validate(l.items[0]).code, smpp::errc::tlv_bad_length);
}

TEST(Tlv, ValidateCStringNeedsExactlyOneTrailingNul) {
  EXPECT_FALSE(smpp::validate({0x001E, std::string("ab\0", 3)}));
  EXPECT_EQ(smpp::validate({0x001E, std::string("a\0b\0", 4)}).code, smpp::errc::tlv_bad_value);
  EXPECT_EQ(smpp::validate({0x001E, ""}).code, smpp::errc::tlv_bad_length);
  EXPECT_EQ(smpp::validate({0x001E, std::string(65, 'a') + '\0'}).code, smpp::errc::tlv_bad_length);
  EXPECT_FALSE(smpp::validate({0x1401, "anything"}));  // vendor: not checked
}

TEST(Tlv, MessagePayloadOfSixtyKilobytesRoundTrips) {
  smpp::submit_sm s;
  s.tlvs.set(smpp::tag::message_payload, std::string(60000, 'x'));
  std::vector<std::uint8_t> out;
  ASSERT_FALSE(smpp::encode(s, smpp::command_status::esme_rok, 1, out));
  auto r = smpp::decode(out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<smpp::submit_sm>(r.value.body), s);
}

TEST(Tlv, ValueOver65535IsRefusedOnEncode) {
  smpp::submit_sm s;
  s.tlvs.items.push_back({0x1401, std::string(70000, 'x')});
  std::vector<std::uint8_t> out;
  EXPECT_EQ(smpp::encode(s, smpp::command_status::esme_rok, 1, out).code, smpp::errc::tlv_too_long);
}

}  // namespace
