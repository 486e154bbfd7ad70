#include <gtest/gtest.h>

#include "gateway/submit_builder.hpp"
#include "smpp/codec.hpp"
#include "smpp/udh.hpp"

namespace {

policy::message_record message(std::string text) {
  policy::message_record m;
  m.id = "msg_x";
  m.e164 = "+14155550123";
  m.sender = "12345";
  m.text = std::move(text);
  return m;
}

TEST(SubmitBuilder, AddressesBySenderKind) {
  EXPECT_EQ(gateway::sender_address("12345"), (gateway::smpp_address{3, 0, "12345"}));
  EXPECT_EQ(gateway::sender_address("+14155550100"), (gateway::smpp_address{1, 1, "14155550100"}));
  EXPECT_EQ(gateway::sender_address("ACME"), (gateway::smpp_address{5, 0, "ACME"}));
  EXPECT_EQ(gateway::recipient_address("+14155550123"), (gateway::smpp_address{1, 1, "14155550123"}));
}

TEST(SubmitBuilder, SinglePartGsm7AsksForAReceipt) {
  gateway::carrier_profile carrier;
  auto built = gateway::build_submits(message("Your code is 123456"), carrier, 7);
  ASSERT_FALSE(built.error);
  ASSERT_EQ(built.parts.size(), 1U);
  const auto& s = built.parts[0];
  EXPECT_EQ(s.destination_addr, "14155550123");
  EXPECT_EQ(s.dest_addr_ton, 1);
  EXPECT_EQ(s.source_addr, "12345");
  EXPECT_EQ(s.esm_class, 0);
  EXPECT_EQ(s.data_coding, 0);
  EXPECT_EQ(s.registered_delivery, 1);
  EXPECT_EQ(s.short_message, "Your code is 123456");
}

TEST(SubmitBuilder, LongTextGetsUdhPartsAndOneReceiptOnTheLastPart) {
  gateway::carrier_profile carrier;
  auto built = gateway::build_submits(message(std::string(400, 'a')), carrier, 0x2A);
  ASSERT_FALSE(built.error);
  ASSERT_EQ(built.parts.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& s = built.parts[i];
    EXPECT_EQ(s.esm_class, 0x40);
    ASSERT_GE(s.short_message.size(), 6U);
    EXPECT_EQ(static_cast<unsigned char>(s.short_message[0]), 0x05);
    EXPECT_EQ(static_cast<unsigned char>(s.short_message[3]), 0x2A);
    EXPECT_EQ(static_cast<unsigned char>(s.short_message[4]), 3);
    EXPECT_EQ(static_cast<unsigned char>(s.short_message[5]), i + 1);
    EXPECT_EQ(s.registered_delivery, i == 2 ? 1 : 0);
  }
}

TEST(SubmitBuilder, EncodedBodyDecodesBackToTheSamePdu) {
  gateway::carrier_profile carrier;
  auto built = gateway::build_submits(message("h\xC3\xA9llo \xF0\x9F\x98\x80"), carrier, 1);
  ASSERT_EQ(built.parts.size(), 1U);
  EXPECT_EQ(built.parts[0].data_coding, 8);
  auto body = gateway::encode_submit_body(built.parts[0]);
  std::vector<std::uint8_t> whole(16, 0);
  const auto length = static_cast<std::uint32_t>(whole.size() + body.size());
  smpp::write_header({length, 4, 0, 9}, std::span<std::uint8_t, 16>(whole.data(), 16));
  whole.insert(whole.end(), body.begin(), body.end());
  auto decoded = smpp::decode(whole);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<smpp::submit_sm>(decoded.value.body), built.parts[0]);
}

}  // namespace
