#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "smpp/command_id.hpp"
#include "smpp/pdu_header.hpp"

namespace {

// enquire_link, sequence 1: the smallest complete PDU.
constexpr std::array<std::uint8_t, 16> enquire_link_bytes = {
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};

TEST(PduHeader, DecodesEnquireLinkHeader) {
  auto header = smpp::peek_header(enquire_link_bytes);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->command_length, 16U);
  EXPECT_EQ(header->command_id, static_cast<std::uint32_t>(smpp::command_id::enquire_link));
  EXPECT_EQ(header->command_status, 0U);
  EXPECT_EQ(header->sequence_number, 1U);
}

TEST(PduHeader, NeedsSixteenBytes) {
  for (std::size_t n = 0; n < smpp::header_size; ++n) {
    EXPECT_FALSE(smpp::peek_header(std::span(enquire_link_bytes).first(n)).has_value()) << n;
  }
}

TEST(PduHeader, EncodesByteExact) {
  std::array<std::uint8_t, 16> out{};
  smpp::write_header({16, 0x15, 0, 1}, out);
  EXPECT_EQ(out, enquire_link_bytes);
}

TEST(CommandId, NamesAndResponseBit) {
  EXPECT_EQ(smpp::to_string(smpp::command_id::submit_sm_resp), "submit_sm_resp");
  EXPECT_TRUE(smpp::is_response(smpp::command_id::generic_nack));
  EXPECT_FALSE(smpp::is_response(smpp::command_id::deliver_sm));
  EXPECT_FALSE(smpp::is_known_command_id(0x00000010));
  EXPECT_TRUE(smpp::is_known_command_id(0x00000103));
}

}  // namespace
