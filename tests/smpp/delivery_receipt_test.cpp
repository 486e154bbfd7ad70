#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "smpp/delivery_receipt.hpp"
#include "smpp/text_encoding.hpp"

namespace {

using smpp::receipt_state;

smpp::delivery_receipt parse_ok(const std::string& text, const smpp::receipt_tlvs& tlvs = {}) {
  auto result = smpp::parse_delivery_receipt(text, tlvs);
  EXPECT_FALSE(result.error) << text;
  return result.receipt;
}

TEST(DeliveryReceipt, StandardForm) {
  auto r = parse_ok(
      "id:0123456789 sub:001 dlvrd:001 submit date:2301011230 done date:2301011231 stat:DELIVRD err:000 "
      "text:Hello world");
  EXPECT_EQ(r.message_id, "0123456789");
  EXPECT_EQ(r.submitted, 1U);
  EXPECT_EQ(r.delivered, 1U);
  EXPECT_EQ(r.submit_date, (smpp::receipt_date{2023, 1, 1, 12, 30, 0}));
  EXPECT_EQ(r.done_date, (smpp::receipt_date{2023, 1, 1, 12, 31, 0}));
  EXPECT_EQ(r.stat, "DELIVRD");
  EXPECT_EQ(r.state, receipt_state::delivered);
  EXPECT_EQ(r.err, "000");
  EXPECT_EQ(r.err_code, 0U);
  EXPECT_EQ(r.text, "Hello world");
  EXPECT_FALSE(r.id_from_tlv);
  EXPECT_FALSE(r.state_from_tlv);
}

TEST(DeliveryReceipt, LowerCaseStatAndEmptyText) {
  auto r = parse_ok("id:abc123 sub:001 dlvrd:001 submit date:2301011230 done date:2301011231 stat:delivrd err:000 text:");
  EXPECT_EQ(r.message_id, "abc123");
  EXPECT_EQ(r.stat, "DELIVRD");
  EXPECT_EQ(r.state, receipt_state::delivered);
  EXPECT_EQ(r.text, "");
}

TEST(DeliveryReceipt, UpperCaseKeys) {
  auto r = parse_ok("ID:12345 SUB:001 DLVRD:000 SUBMIT DATE:2301011230 DONE DATE:2301011330 STAT:UNDELIV ERR:034 TEXT:Test");
  EXPECT_EQ(r.message_id, "12345");
  EXPECT_EQ(r.delivered, 0U);
  EXPECT_EQ(r.state, receipt_state::undeliverable);
  EXPECT_EQ(r.err_code, 34U);
  EXPECT_EQ(r.done_date->hour, 13);
  EXPECT_EQ(r.text, "Test");
}

TEST(DeliveryReceipt, UnderscoreDateKeysWithSeconds) {
  auto r = parse_ok("id:77 sub:1 dlvrd:1 submit_date:230101123005 done_date:230101123107 stat:DELIVRD err:0 text:x");
  EXPECT_EQ(r.submit_date, (smpp::receipt_date{2023, 1, 1, 12, 30, 5}));
  EXPECT_EQ(r.done_date, (smpp::receipt_date{2023, 1, 1, 12, 31, 7}));
}

TEST(DeliveryReceipt, FieldsInAnyOrder) {
  auto r = parse_ok("stat:EXPIRED err:001 id:9A8B7C text:foo bar submit date:2301011230 done date:2301020000");
  EXPECT_EQ(r.message_id, "9A8B7C");
  EXPECT_EQ(r.state, receipt_state::expired);
  EXPECT_EQ(r.text, "foo bar");
  EXPECT_EQ(r.done_date, (smpp::receipt_date{2023, 1, 2, 0, 0, 0}));
}

TEST(DeliveryReceipt, MissingFields) {
  auto r = parse_ok("id:555 stat:REJECTD");
  EXPECT_EQ(r.message_id, "555");
  EXPECT_EQ(r.state, receipt_state::rejected);
  EXPECT_FALSE(r.submitted.has_value());
  EXPECT_FALSE(r.submit_date.has_value());
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(r.err_code.has_value());
  // No stat at all: the state is unknown, the receipt still correlates.
  EXPECT_EQ(parse_ok("id:556 sub:001").state, receipt_state::unknown);
}

TEST(DeliveryReceipt, ExtraVendorFieldsAreIgnored) {
  auto r = parse_ok(
      "id:1234 sub:001 dlvrd:001 submit date:2301011230 done date:2301011231 stat:DELIVRD err:000 mcc:310 "
      "mnc:260 text:Hi");
  EXPECT_EQ(r.message_id, "1234");
  EXPECT_EQ(r.err, "000");
  EXPECT_EQ(r.text, "Hi");
}

TEST(DeliveryReceipt, LongStatWordsAndAliases) {
  EXPECT_EQ(parse_ok("id:42 stat:DELIVERED").state, receipt_state::delivered);
  EXPECT_EQ(parse_ok("id:42 stat:FAILED err:12").state, receipt_state::undeliverable);
  EXPECT_EQ(parse_ok("id:42 Status:Undeliverable Error:5").state, receipt_state::undeliverable);
  EXPECT_EQ(parse_ok("id:42 Status:Undeliverable Error:5").err_code, 5U);
  EXPECT_EQ(parse_ok("id:42 stat:ACCEPTED").state, receipt_state::accepted);
  EXPECT_EQ(parse_ok("id:42 stat:REJECTED").state, receipt_state::rejected);
  EXPECT_EQ(parse_ok("id:42 stat:DELETED").state, receipt_state::deleted);
  EXPECT_EQ(parse_ok("id:42 stat:UNKNOWN").state, receipt_state::unknown);
  EXPECT_EQ(parse_ok("id:42 stat:2").state, receipt_state::delivered);  // numeric message_state
  auto weird = parse_ok("id:42 stat:Weird");
  EXPECT_EQ(weird.state, receipt_state::unknown);
  EXPECT_EQ(weird.stat, "WEIRD");
}

TEST(DeliveryReceipt, FourDigitYearDates) {
  auto r = parse_ok("id:1 sub:001 dlvrd:001 submit date:20230101123045 done date:20230101123145 stat:ACCEPTD");
  EXPECT_EQ(r.submit_date, (smpp::receipt_date{2023, 1, 1, 12, 30, 45}));
  EXPECT_EQ(r.state, receipt_state::accepted);
}

TEST(DeliveryReceipt, TextMayContainKeyWords) {
  auto r = parse_ok(
      "id:99 sub:001 dlvrd:001 submit date:2301011230 done date:2301011231 stat:DELIVRD err:000 "
      "text:Your id: 55 stat: ok");
  EXPECT_EQ(r.message_id, "99");
  EXPECT_EQ(r.state, receipt_state::delivered);
  EXPECT_EQ(r.text, "Your id: 55 stat: ok");
}

TEST(DeliveryReceipt, CapitalisedTextKeyAndEnroute) {
  auto r = parse_ok("id:7f3e sub:001 dlvrd:000 submit date:2311290930 done date:2311290931 stat:ENROUTE err:000 Text:Code 1");
  EXPECT_EQ(r.state, receipt_state::enroute);
  EXPECT_FALSE(smpp::is_final(r.state));
  EXPECT_TRUE(smpp::is_final(receipt_state::undeliverable));
  EXPECT_EQ(r.text, "Code 1");
}

TEST(DeliveryReceipt, SpacesAfterColons) {
  auto r = parse_ok("id: 12345 sub: 001 dlvrd: 001 submit date: 2301011230 done date: 2301011231 stat: DELIVRD err: 000 text: hi");
  EXPECT_EQ(r.message_id, "12345");
  EXPECT_EQ(r.submitted, 1U);
  EXPECT_EQ(r.submit_date->minute, 30);
  EXPECT_EQ(r.state, receipt_state::delivered);
  EXPECT_EQ(r.text, "hi");
}

TEST(DeliveryReceipt, CommaSeparatedVariant) {
  auto r = parse_ok("id:1122,sub:001,dlvrd:001,stat:DELIVRD,err:000");
  EXPECT_EQ(r.message_id, "1122");
  EXPECT_EQ(r.state, receipt_state::delivered);
  EXPECT_EQ(r.err_code, 0U);
}

TEST(DeliveryReceipt, BadValuesAreAbsentNotErrors) {
  auto r = parse_ok("id:5 sub:abc dlvrd:001 submit date:2313011230 done date:23010112 stat:DELIVRD err:0x1F");
  EXPECT_FALSE(r.submitted.has_value());
  EXPECT_FALSE(r.submit_date.has_value());  // month 13
  EXPECT_FALSE(r.done_date.has_value());    // 8 digits
  EXPECT_EQ(r.err, "0x1F");
  EXPECT_FALSE(r.err_code.has_value());
}

TEST(DeliveryReceipt, NotAReceipt) {
  EXPECT_EQ(smpp::parse_delivery_receipt("STOP").error, smpp::text_errc::not_a_receipt);
  EXPECT_EQ(smpp::parse_delivery_receipt("").error, smpp::text_errc::not_a_receipt);
  EXPECT_EQ(smpp::parse_delivery_receipt("id: stat:DELIVRD").error, smpp::text_errc::not_a_receipt);
  EXPECT_EQ(smpp::parse_delivery_receipt("paid:5 stat:DELIVRD").error, smpp::text_errc::not_a_receipt);
}

TEST(DeliveryReceipt, TlvOnlyReceipt) {
  smpp::receipt_tlvs tlvs;
  tlvs.receipted_message_id = "ABC123";
  tlvs.message_state = 2;
  auto r = parse_ok("", tlvs);
  EXPECT_EQ(r.message_id, "ABC123");
  EXPECT_EQ(r.state, receipt_state::delivered);
  EXPECT_TRUE(r.id_from_tlv);
  EXPECT_TRUE(r.state_from_tlv);
  tlvs.message_state = 5;
  tlvs.network_error_code = std::array<std::uint8_t, 3>{0x03, 0x00, 0x0B};
  r = parse_ok("", tlvs);
  EXPECT_EQ(r.state, receipt_state::undeliverable);
  EXPECT_EQ(r.net_error, (smpp::receipt_network_error{3, 11}));
}

TEST(DeliveryReceipt, TlvsWinOverText) {
  smpp::receipt_tlvs tlvs;
  tlvs.receipted_message_id = "7b";
  tlvs.message_state = 3;
  auto r = parse_ok("id:123 sub:001 dlvrd:001 submit date:2301011230 done date:2301011231 stat:DELIVRD err:000 text:x",
                    tlvs);
  EXPECT_EQ(r.message_id, "7b");
  EXPECT_EQ(r.state, receipt_state::expired);
  EXPECT_EQ(r.stat, "DELIVRD");  // the text's word is kept for logs
  // An empty receipted_message_id does not hide the text id.
  tlvs.receipted_message_id = "";
  EXPECT_EQ(parse_ok("id:123 stat:DELIVRD", tlvs).message_id, "123");
}

TEST(DeliveryReceipt, MessageStateValues) {
  EXPECT_EQ(smpp::receipt_state_from_message_state(1), receipt_state::enroute);
  EXPECT_EQ(smpp::receipt_state_from_message_state(4), receipt_state::deleted);
  EXPECT_EQ(smpp::receipt_state_from_message_state(6), receipt_state::accepted);
  EXPECT_EQ(smpp::receipt_state_from_message_state(7), receipt_state::unknown);
  EXPECT_EQ(smpp::receipt_state_from_message_state(8), receipt_state::rejected);
  EXPECT_EQ(smpp::receipt_state_from_message_state(200), receipt_state::unknown);
  EXPECT_EQ(smpp::to_string(receipt_state::undeliverable), "undeliverable");
}

TEST(DeliveryReceipt, FormatsTheAppendixBLayout) {
  smpp::receipt_fields fields;
  fields.id = "1a2b";
  fields.submit_date = {2026, 11, 29, 9, 5, 0};
  fields.done_date = {2026, 11, 29, 9, 6, 30};
  fields.state = receipt_state::undeliverable;
  fields.delivered = 0;
  fields.err = 34;
  fields.text = "Привет, ваш код 123456 действует";
  const std::string text = smpp::format_delivery_receipt(fields);
  EXPECT_EQ(text,
            "id:1a2b sub:001 dlvrd:000 submit date:2611290905 done date:2611290906 stat:UNDELIV err:034 "
            "text:Привет, ваш код 1234");
  auto parsed = parse_ok(text);
  EXPECT_EQ(parsed.message_id, "1a2b");
  EXPECT_EQ(parsed.state, receipt_state::undeliverable);
  EXPECT_EQ(parsed.err_code, 34U);
  EXPECT_EQ(parsed.done_date, (smpp::receipt_date{2026, 11, 29, 9, 6, 0}));
  for (auto s : {receipt_state::enroute, receipt_state::delivered, receipt_state::expired, receipt_state::deleted,
                 receipt_state::undeliverable, receipt_state::accepted, receipt_state::unknown,
                 receipt_state::rejected}) {
    EXPECT_EQ(smpp::receipt_state_from_stat(smpp::stat_word(s)), s);
    EXPECT_EQ(smpp::receipt_state_from_message_state(smpp::message_state_value(s)), s);
  }
}

TEST(MessageId, HexAndDecimalNormaliseToTheSameForm) {
  using smpp::message_id_format;
  // submit_sm_resp in hex, receipt in decimal: 0x1A2B = 6699.
  EXPECT_EQ(smpp::normalize_message_id("1A2B", message_id_format::hex),
            smpp::normalize_message_id("6699", message_id_format::decimal));
  EXPECT_EQ(smpp::normalize_message_id("00001a2b", message_id_format::hex), "1a2b");
  EXPECT_EQ(smpp::normalize_message_id("0006699", message_id_format::decimal), "1a2b");
  EXPECT_EQ(smpp::normalize_message_id("0x1A", message_id_format::hex), "1a");
  EXPECT_EQ(smpp::normalize_message_id("000", message_id_format::decimal), "0");
  EXPECT_EQ(smpp::normalize_message_id("0", message_id_format::hex), "0");
  // Beyond 64 bits: 2^64 and a 20-hex-digit id.
  EXPECT_EQ(smpp::normalize_message_id("18446744073709551616", message_id_format::decimal), "10000000000000000");
  EXPECT_EQ(smpp::normalize_message_id("1208925819614629174706175", message_id_format::decimal),
            smpp::normalize_message_id("FFFFFFFFFFFFFFFFFFFF", message_id_format::hex));
  // Ids that do not match the declared format stay as they are.
  EXPECT_EQ(smpp::normalize_message_id("12ab", message_id_format::decimal), "12ab");
  EXPECT_EQ(smpp::normalize_message_id("c0ffee-01", message_id_format::hex), "c0ffee-01");
  EXPECT_EQ(smpp::normalize_message_id(std::string_view(" AbC\0", 5), message_id_format::as_is), "AbC");
}

TEST(MessageId, ConfigurationNames) {
  EXPECT_EQ(smpp::message_id_format_from_string("decimal"), smpp::message_id_format::decimal);
  EXPECT_FALSE(smpp::message_id_format_from_string("octal").has_value());
  EXPECT_EQ(smpp::to_string(smpp::message_id_format::as_is), "as_is");
}

}  // namespace
