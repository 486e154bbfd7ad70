// Cross-check against byte vectors published by two independent SMPP implementations:
// cloudhopper-smpp (PduEncoderTest) and node-smpp (test/pdu.js). The structs are ours; the hex
// is theirs, so a symmetric misreading of the spec on our side would show up here.

#include <gtest/gtest.h>

#include "smpp/codec.hpp"
#include "smpp/pdu_print.hpp"
#include "tests/smpp/pdu_vectors.hpp"

namespace {

using smpp_test::from_hex;
using smpp_test::raw;
using smpp_test::to_hex;

void expect_both_directions(std::string_view hex, const smpp::frame& expected) {
  const auto bytes = from_hex(hex);
  auto decoded = smpp::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error.field;
  EXPECT_EQ(decoded.value, expected) << smpp::to_json(decoded.value);
  std::vector<std::uint8_t> out;
  ASSERT_FALSE(smpp::encode(expected, out));
  EXPECT_EQ(to_hex(out), to_hex(bytes));
}

TEST(CodecCrossCheck, CloudhopperSubmitSm) {
  smpp::submit_sm s;
  s.source_addr_ton = 1;
  s.source_addr_npi = 1;
  s.source_addr = "40404";
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = "44951361920";
  s.registered_delivery = 1;
  s.short_message = raw("4024232125262f3a");
  expect_both_directions(
      "00000039000000040000000000004FE80001013430343034000101343439353133363139323000000000000001"
      "000000084024232125262F3A",
      {smpp::command_status::esme_rok, 20456, s});
}

TEST(CodecCrossCheck, CloudhopperDeliveryReceipt) {
  smpp::deliver_sm d;
  d.source_addr_ton = 1;
  d.source_addr_npi = 1;
  d.source_addr = "44951361920";
  d.dest_addr_ton = 1;
  d.dest_addr_npi = 1;
  d.destination_addr = "40404";
  d.esm_class = 0x04;
  d.short_message =
      "id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 stat:DELIVRD "
      "err:000 text:@$#!%&/:";
  d.tlvs.set(smpp::tag::source_network_type, 1);
  d.tlvs.set(smpp::tag::dest_network_type, 1);
  d.tlvs.set(smpp::tag::receipted_message_id, "38601fa");
  d.tlvs.set(smpp::tag::message_state, 2);
  expect_both_directions(
      "000000BA00000005000000000000000200010134343935313336313932300001013430343034000400000000000000"
      "006E69643A30303539313133393738207375623A30303120646C7672643A303031207375626D697420646174653A31"
      "30303231303137333020646F6E6520646174653A3130303231303137333120737461743A44454C49565244206572"
      "723A30303020746578743A4024232125262F3A000E0001010006000101001E000833383630316661000427000102",
      {smpp::command_status::esme_rok, 2, d});
}

TEST(CodecCrossCheck, CloudhopperBindTransmitterAndResponses) {
  expect_both_directions(
      "0000002500000002000000000003995f747769747465720074776974746572000034000000",
      {smpp::command_status::esme_rok, 235871,
       smpp::bind_transmitter{"twitter", "twitter", "", 0x34, 0, 0, ""}});
  smpp::bind_transceiver_resp r{"Smsc GW", {}};
  r.tlvs.set(smpp::tag::sc_interface_version, 0x34);
  expect_both_directions("0000001d800000090000000000039943536d7363204757000210000134",
                         {smpp::command_status::esme_rok, 235843, r});
  expect_both_directions("00000015800000090000000e00004db3534d534300",
                         {smpp::command_status::esme_rinvpaswd, 19891,
                          smpp::bind_transceiver_resp{"SMSC", {}}});
  expect_both_directions("0000001c80000004000000000a342ee1393432353834333135393400",
                         {smpp::command_status::esme_rok, 171192033,
                          smpp::submit_sm_resp{"94258431594"}});
  expect_both_directions("00000010800000000000000100082a77",
                         {smpp::command_status::esme_rinvmsglen, 535159, smpp::generic_nack{}});
  expect_both_directions("0000001000000015000000000a342ee7",
                         {smpp::command_status::esme_rok, 171192039, smpp::enquire_link{}});
}

TEST(CodecCrossCheck, CloudhopperHeaderOnlySubmitSmResp) {
  // An error submit_sm_resp whose message_id is omitted entirely (status 0x30).
  auto r = smpp::decode(from_hex("0000001080000004000000300a342ee1"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.body, smpp::pdu{smpp::submit_sm_resp{}});
  EXPECT_EQ(static_cast<std::uint32_t>(r.value.status), 0x30U);
}

smpp::submit_sm node_smpp_submit_sm() {
  smpp::submit_sm s;
  s.source_addr_ton = 1;
  s.source_addr_npi = 0;
  s.source_addr = "46701133111";
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = "46709771337";
  s.esm_class = 64;  // UDH indicator
  s.data_coding = 1;
  s.short_message = raw("03240103747B7374");  // UDH 03 24 01 03 + "t{st" (node-smpp decodes 'tãst')
  return s;
}

TEST(CodecCrossCheck, NodeSmppSubmitSmWithUdh) {
  expect_both_directions(
      "0000003f00000004000000000000000200010034363730313133333131310001013436373039373"
      "731333337004000000000000001000803240103747B7374",
      {smpp::command_status::esme_rok, 2, node_smpp_submit_sm()});
}

TEST(CodecCrossCheck, NodeSmppSubmitSmWithMessagePayload) {
  auto s = node_smpp_submit_sm();
  s.tlvs.set(smpp::tag::message_payload, "test");
  expect_both_directions(
      "0000004700000004000000000000000200010034363730313133333131310001013436373039373"
      "731333337004000000000000001000803240103747B7374 0424000474657374",
      {smpp::command_status::esme_rok, 2, s});
}

}  // namespace
