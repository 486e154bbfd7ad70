#include <gtest/gtest.h>

#include "smpp/codec.hpp"
#include "smpp/framer.hpp"
#include "tests/smpp/pdu_vectors.hpp"

namespace {

using smpp_test::all_vectors;
using smpp_test::from_hex;

// A minimal reader loop, as the Asio glue will have: append what arrived, take whole frames.
struct stream_collector {
  std::vector<std::uint8_t> buffer;
  std::vector<smpp::frame> frames;
  std::vector<smpp::decode_error> errors;
  bool closed = false;

  void receive(std::span<const std::uint8_t> chunk) {
    buffer.insert(buffer.end(), chunk.begin(), chunk.end());
    for (;;) {
      auto r = smpp::next_frame(buffer);
      if (r.status == smpp::frame_status::need_more) {
        EXPECT_GT(r.needed, buffer.size());
        return;
      }
      if (r.status == smpp::frame_status::error) {
        errors.push_back(r.error);
        if (r.error.fatal) {
          closed = true;
          return;
        }
      } else {
        auto d = smpp::decode(std::span(buffer).first(r.length));
        EXPECT_TRUE(d.ok()) << d.error.field;
        frames.push_back(d.value);
      }
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.length));
    }
  }
};

TEST(Framer, EveryVectorSplitAtEveryByteBoundary) {
  for (const auto& c : all_vectors()) {
    const auto bytes = from_hex(c.hex);
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      stream_collector s;
      s.receive(std::span(bytes).first(cut));
      if (cut < bytes.size()) {
        EXPECT_TRUE(s.frames.empty()) << c.name << " cut " << cut;
      }
      s.receive(std::span(bytes).subspan(cut));
      ASSERT_EQ(s.frames.size(), 1U) << c.name << " cut " << cut;
      EXPECT_EQ(s.frames[0], c.frame) << c.name << " cut " << cut;
      EXPECT_TRUE(s.buffer.empty());
      EXPECT_TRUE(s.errors.empty());
    }
  }
}

TEST(Framer, AllVectorsBackToBackFedOneByteAtATime) {
  std::vector<std::uint8_t> stream;
  const auto vectors = all_vectors();
  for (const auto& c : vectors) {
    auto b = from_hex(c.hex);
    stream.insert(stream.end(), b.begin(), b.end());
  }
  stream_collector s;
  for (auto byte : stream) s.receive(std::span(&byte, 1));
  ASSERT_EQ(s.frames.size(), vectors.size());
  for (std::size_t i = 0; i < vectors.size(); ++i) EXPECT_EQ(s.frames[i], vectors[i].frame) << i;
  // And all at once.
  stream_collector all;
  all.receive(stream);
  EXPECT_EQ(all.frames.size(), vectors.size());
}

TEST(Framer, NeedsHeaderThenWholeBody) {
  auto bytes = from_hex("0000003c 00000004 00000000 0000000a");
  auto r = smpp::next_frame(std::span(bytes).first(3));
  EXPECT_EQ(r.status, smpp::frame_status::need_more);
  EXPECT_EQ(r.needed, 16U);
  r = smpp::next_frame(bytes);
  EXPECT_EQ(r.status, smpp::frame_status::need_more);
  EXPECT_EQ(r.needed, 60U);
  EXPECT_EQ(r.header.command_length, 60U);
}

TEST(Framer, CommandLengthUnderSixteenIsFatal) {
  for (std::uint8_t len : {0, 1, 15}) {
    std::vector<std::uint8_t> bytes = from_hex("00000000 00000015 00000000 00000003");
    bytes[3] = len;
    auto r = smpp::next_frame(bytes);
    ASSERT_EQ(r.status, smpp::frame_status::error) << int(len);
    EXPECT_EQ(r.error.code, smpp::errc::command_length_too_small);
    EXPECT_TRUE(r.error.fatal);
    EXPECT_EQ(r.error.field, "command_length");
    auto answer = smpp::error_response(r.header, r.error);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->body, smpp::pdu{smpp::generic_nack{}});
    EXPECT_EQ(answer->status, smpp::command_status::esme_rinvcmdlen);
    EXPECT_EQ(answer->sequence_number, 3U);
  }
}

TEST(Framer, HugeCommandLengthIsFatalWithoutWaitingForTheBody) {
  // 0xFFFFFFF0 claimed; only the header has arrived. Nothing that size may be allocated.
  auto bytes = from_hex("fffffff0 00000004 00000000 00000001");
  auto r = smpp::next_frame(bytes);
  ASSERT_EQ(r.status, smpp::frame_status::error);
  EXPECT_EQ(r.error.code, smpp::errc::command_length_too_large);
  EXPECT_TRUE(r.error.fatal);
  EXPECT_EQ(r.error.status_to_answer, smpp::command_status::esme_rinvcmdlen);
  EXPECT_EQ(r.needed, 0U);
  EXPECT_EQ(r.length, 0U);
}

TEST(Framer, ConfiguredMaximumIsInclusive) {
  smpp::framer_options options{.max_command_length = 20};
  auto bytes = from_hex("00000014 00000015 00000000 00000001 00000000");
  EXPECT_EQ(smpp::next_frame(bytes, options).status, smpp::frame_status::complete);
  bytes[3] = 21;
  bytes.push_back(0);
  auto r = smpp::next_frame(bytes, options);
  EXPECT_EQ(r.status, smpp::frame_status::error);
  EXPECT_EQ(r.error.code, smpp::errc::command_length_too_large);
}

TEST(Framer, UnknownCommandIdIsSkippedAndTheStreamContinues) {
  auto bytes = from_hex(
      "00000014 00000099 00000000 00000007 deadbeef"   // unknown id, 4-octet body
      "00000010 00000015 00000000 00000008");          // enquire_link
  stream_collector s;
  s.receive(bytes);
  ASSERT_EQ(s.errors.size(), 1U);
  EXPECT_EQ(s.errors[0].code, smpp::errc::unknown_command_id);
  EXPECT_FALSE(s.errors[0].fatal);
  EXPECT_EQ(s.errors[0].status_to_answer, smpp::command_status::esme_rinvcmdid);
  EXPECT_FALSE(s.closed);
  ASSERT_EQ(s.frames.size(), 1U);
  EXPECT_EQ(s.frames[0].sequence_number, 8U);
  auto r = smpp::next_frame(bytes);
  EXPECT_EQ(r.length, 20U);
  auto answer = smpp::error_response(r.header, r.error);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, smpp::pdu{smpp::generic_nack{}});
  EXPECT_EQ(answer->sequence_number, 7U);
}

TEST(Framer, UnknownCommandIdWaitsForItsWholeBody) {
  auto bytes = from_hex("00000014 00000099 00000000 00000007 dead");
  auto r = smpp::next_frame(bytes);
  EXPECT_EQ(r.status, smpp::frame_status::need_more);
  EXPECT_EQ(r.needed, 20U);
}

}  // namespace
