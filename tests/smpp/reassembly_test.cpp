#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "smpp/reassembly.hpp"
#include "smpp/segmentation.hpp"

namespace {

using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;
using smpp::part_status;
using smpp::reassembly_reason;

const smpp::reassembly_clock::time_point t0{std::chrono::seconds(1000)};

smpp::inbound_part part(std::string source, std::uint16_t ref, std::uint8_t total, std::uint8_t seq,
                        const std::string& ascii, std::uint8_t data_coding = 0) {
  smpp::inbound_part p;
  p.key = {std::move(source), "12345", ref, total};
  p.seq = seq;
  p.data_coding = data_coding;
  p.payload.assign(ascii.begin(), ascii.end());
  return p;
}

TEST(Reassembly, PartsInAnyOrder) {
  smpp::reassembler r;
  EXPECT_EQ(r.add(part("+1415", 7, 3, 3, "!"), t0).status, part_status::stored);
  EXPECT_EQ(r.add(part("+1415", 7, 3, 1, "Hello "), t0 + 1s).status, part_status::stored);
  EXPECT_EQ(r.pending_messages(), 1U);
  EXPECT_EQ(r.pending_bytes(), 7U);
  auto result = r.add(part("+1415", 7, 3, 2, "world"), t0 + 2s);
  EXPECT_EQ(result.status, part_status::completed);
  ASSERT_EQ(result.events.size(), 1U);
  const auto& event = result.events[0];
  EXPECT_EQ(event.reason, reassembly_reason::complete);
  EXPECT_TRUE(event.delivered);
  EXPECT_TRUE(event.message.complete);
  EXPECT_EQ(event.message.text, "Hello world!");
  EXPECT_TRUE(event.message.missing.empty());
  EXPECT_EQ(event.message.key.source, "+1415");
  EXPECT_EQ(event.message.first_part_at, t0);
  EXPECT_EQ(r.pending_messages(), 0U);
  EXPECT_EQ(r.pending_bytes(), 0U);
}

TEST(Reassembly, DuplicatesAreIgnored) {
  smpp::reassembler r;
  EXPECT_EQ(r.add(part("a", 1, 2, 1, "one "), t0).status, part_status::stored);
  EXPECT_EQ(r.add(part("a", 1, 2, 1, "ONE "), t0).status, part_status::duplicate);
  EXPECT_EQ(r.pending_bytes(), 4U);
  auto done = r.add(part("a", 1, 2, 2, "two"), t0);
  ASSERT_EQ(done.events.size(), 1U);
  EXPECT_EQ(done.events[0].message.text, "one two");
  // A carrier repeating a part after completion: still a duplicate, no new message.
  EXPECT_EQ(r.add(part("a", 1, 2, 2, "two"), t0 + 5s).status, part_status::duplicate);
  EXPECT_EQ(r.pending_messages(), 0U);
  // Once the timeout has passed the key may be reused by a new message.
  EXPECT_EQ(r.add(part("a", 1, 2, 2, "two"), t0 + 121s).status, part_status::stored);
}

TEST(Reassembly, WithoutMemoryOfCompletedMessagesALatePartStartsANewOne) {
  smpp::reassembly_options options;
  options.remember_completed = false;
  smpp::reassembler r(options);
  r.add(part("a", 1, 2, 1, "x"), t0);
  r.add(part("a", 1, 2, 2, "y"), t0);
  EXPECT_EQ(r.add(part("a", 1, 2, 2, "y"), t0).status, part_status::stored);
}

TEST(Reassembly, KeysSeparateSendersAndReferences) {
  smpp::reassembler r;
  r.add(part("a", 1, 2, 1, "a1"), t0);
  r.add(part("b", 1, 2, 1, "b1"), t0);
  r.add(part("a", 2, 2, 1, "a2"), t0);
  r.add(part("a", 1, 3, 1, "a3"), t0);  // same reference, other total: another message
  EXPECT_EQ(r.pending_messages(), 4U);
  auto done = r.add(part("b", 1, 2, 2, "!"), t0);
  ASSERT_EQ(done.events.size(), 1U);
  EXPECT_EQ(done.events[0].message.text, "b1!");
}

TEST(Reassembly, InvalidAndOversizedParts) {
  smpp::reassembly_options options;
  options.max_bytes = 10;
  smpp::reassembler r(options);
  EXPECT_EQ(r.add(part("a", 1, 2, 0, "x"), t0).status, part_status::invalid);
  EXPECT_EQ(r.add(part("a", 1, 2, 3, "x"), t0).status, part_status::invalid);
  EXPECT_EQ(r.add(part("a", 1, 0, 1, "x"), t0).status, part_status::invalid);
  EXPECT_EQ(r.add(part("a", 1, 2, 1, std::string(11, 'x')), t0).status, part_status::too_large);
  EXPECT_EQ(r.pending_messages(), 0U);
}

TEST(Reassembly, TimeoutDeliversWhatArrivedMarkedIncomplete) {
  smpp::reassembler r;  // default: deliver, 120 s
  r.add(part("a", 9, 3, 1, "first "), t0);
  r.add(part("a", 9, 3, 3, "third"), t0 + 10s);
  EXPECT_EQ(r.next_deadline(), t0 + 120s);
  EXPECT_TRUE(r.expire(t0 + 119s).empty());
  auto events = r.expire(t0 + 120s);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].reason, reassembly_reason::timeout);
  EXPECT_TRUE(events[0].delivered);
  EXPECT_FALSE(events[0].message.complete);
  EXPECT_EQ(events[0].message.missing, bytes{2});
  EXPECT_EQ(events[0].message.text, "first third");
  EXPECT_EQ(r.pending_messages(), 0U);
  EXPECT_FALSE(r.next_deadline().has_value());
}

TEST(Reassembly, TimeoutDropsWhenConfigured) {
  smpp::reassembly_options options;
  options.on_incomplete = smpp::incomplete_action::drop;
  options.timeout = 30s;
  smpp::reassembler r(options);
  r.add(part("a", 9, 3, 2, "second"), t0);
  auto events = r.expire(t0 + 30s);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].reason, reassembly_reason::timeout);
  EXPECT_FALSE(events[0].delivered);
  EXPECT_TRUE(events[0].message.text.empty());
  EXPECT_EQ(events[0].message.missing, (bytes{1, 3}));
  EXPECT_EQ(smpp::to_string(events[0].reason), "timeout");
}

TEST(Reassembly, ExpiresOldestFirstAndOnlyDueOnes) {
  smpp::reassembler r;
  r.add(part("old", 1, 2, 1, "o"), t0);
  r.add(part("new", 1, 2, 1, "n"), t0 + 60s);
  auto events = r.expire(t0 + 150s);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].message.key.source, "old");
  EXPECT_EQ(r.next_deadline(), t0 + 180s);
}

TEST(Reassembly, EvictsOldestWhenTooManyMessagesPending) {
  smpp::reassembly_options options;
  options.max_pending_messages = 2;
  smpp::reassembler r(options);
  r.add(part("first", 1, 2, 1, "f"), t0);
  r.add(part("second", 1, 2, 1, "s"), t0 + 1s);
  // A part of a pending message needs no new slot.
  EXPECT_TRUE(r.add(part("first", 1, 3, 1, "x"), t0 + 2s).events.size() == 1U);  // other total: new message
  EXPECT_EQ(r.pending_messages(), 2U);
  auto result = r.add(part("third", 1, 2, 1, "t"), t0 + 3s);
  EXPECT_EQ(result.status, part_status::stored);
  ASSERT_EQ(result.events.size(), 1U);
  EXPECT_EQ(result.events[0].reason, reassembly_reason::evicted);
  EXPECT_EQ(result.events[0].message.key.source, "second");
  EXPECT_TRUE(result.events[0].delivered);
  EXPECT_EQ(result.events[0].message.text, "s");
  EXPECT_EQ(r.pending_messages(), 2U);
}

TEST(Reassembly, EvictsOldestWhenByteBudgetIsFull) {
  smpp::reassembly_options options;
  options.max_bytes = 10;
  options.on_incomplete = smpp::incomplete_action::drop;
  smpp::reassembler r(options);
  r.add(part("a", 1, 3, 1, "aaaa"), t0);
  r.add(part("b", 1, 3, 1, "bbbb"), t0 + 1s);
  EXPECT_EQ(r.pending_bytes(), 8U);
  // b's second part needs 4 more bytes: a (oldest, not b) makes room.
  auto result = r.add(part("b", 1, 3, 2, "BBBB"), t0 + 2s);
  EXPECT_EQ(result.status, part_status::stored);
  ASSERT_EQ(result.events.size(), 1U);
  EXPECT_EQ(result.events[0].message.key.source, "a");
  EXPECT_FALSE(result.events[0].delivered);
  EXPECT_EQ(r.pending_bytes(), 8U);
  // Only b is left: its own third part does not fit, so b itself is evicted and restarted.
  auto self = r.add(part("b", 1, 3, 3, "bbbbbbb"), t0 + 3s);
  ASSERT_EQ(self.events.size(), 1U);
  EXPECT_EQ(self.events[0].message.key.source, "b");
  EXPECT_EQ(self.events[0].reason, reassembly_reason::evicted);
  EXPECT_EQ(r.pending_messages(), 1U);
  EXPECT_EQ(r.pending_bytes(), 7U);
}

TEST(Reassembly, JoinsEscapeAndSurrogatePairSplitBetweenParts) {
  smpp::reassembler r;
  auto p1 = part("a", 1, 2, 1, "");
  p1.payload = {0x41, 0x1B};  // 'A', ESC
  auto p2 = part("a", 1, 2, 2, "");
  p2.payload = {0x65, 0x42};  // euro, 'B'
  r.add(p1, t0);
  EXPECT_EQ(r.add(p2, t0).events.at(0).message.text, "A€B");

  auto u1 = part("u", 2, 2, 1, "", 8);
  u1.payload = {0x00, 0x41, 0xD8, 0x3D};
  auto u2 = part("u", 2, 2, 2, "", 8);
  u2.payload = {0xDE, 0x00};
  r.add(u2, t0);
  auto done = r.add(u1, t0);
  EXPECT_EQ(done.events.at(0).message.text, "A😀");
  EXPECT_EQ(done.events.at(0).message.data_coding, 8);
}

// segment_text -> deliver_sm fields -> prepare_inbound -> reassembler gives the text back.
void round_trip(const std::string& text, smpp::concatenation mode, smpp::default_alphabet dc0) {
  smpp::segmentation_options seg;
  seg.mode = mode;
  seg.text.data_coding_0 = dc0;
  auto parts = smpp::segment_text(text, 0x2A5, seg);
  ASSERT_FALSE(parts.error);
  ASSERT_GT(parts.parts.size(), 1U);
  smpp::reassembly_options options;
  options.text.data_coding_0 = dc0;
  smpp::reassembler r(options);
  std::vector<smpp::reassembly_event> events;
  // Deliver in reverse order.
  for (auto it = parts.parts.rbegin(); it != parts.parts.rend(); ++it) {
    smpp::received_short_message message;
    message.source = "+14155550123";
    message.destination = "12345";
    message.data_coding = it->data_coding;
    message.udhi = it->udhi;
    message.user_data = it->short_message;
    message.sar = it->sar;
    auto prepared = smpp::prepare_inbound(message, options.text);
    ASSERT_FALSE(prepared.error);
    ASSERT_TRUE(prepared.part.has_value());
    auto added = r.add(std::move(*prepared.part), t0);
    events.insert(events.end(), added.events.begin(), added.events.end());
  }
  ASSERT_EQ(events.size(), 1U);
  EXPECT_TRUE(events[0].message.complete);
  EXPECT_EQ(events[0].message.text, text);
}

TEST(Reassembly, RoundTripsSegmentedTextInEveryMode) {
  std::string gsm;  // fits GSM-7 and Latin-1, with escapes
  std::string euro;  // GSM-7 only
  std::string ucs2;
  for (int i = 0; i < 20; ++i) {
    gsm += "Hello {world} Ä [x] ";
    euro += "Prix 5€ ok ";
    ucs2 += "Привет 😀 ";
  }
  for (auto mode : {smpp::concatenation::udh8, smpp::concatenation::udh16, smpp::concatenation::sar}) {
    for (auto dc0 : {smpp::default_alphabet::gsm7_unpacked, smpp::default_alphabet::gsm7_packed,
                     smpp::default_alphabet::latin1}) {
      SCOPED_TRACE(std::string(smpp::to_string(mode)) + " " + std::string(smpp::to_string(dc0)));
      round_trip(gsm, mode, dc0);
      round_trip(euro, mode, dc0);
      round_trip(ucs2, mode, dc0);
    }
  }
}

TEST(Reassembly, PrepareInboundSingleMessages) {
  // Plain message.
  const bytes stop{'S', 'T', 'O', 'P'};
  smpp::received_short_message plain;
  plain.user_data = stop;
  auto prepared = smpp::prepare_inbound(plain);
  EXPECT_FALSE(prepared.part.has_value());
  EXPECT_EQ(prepared.text.text, "STOP");
  // A UDH without concatenation (port addressing): stripped.
  const bytes with_port{0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 'H', 'I'};
  smpp::received_short_message ported;
  ported.udhi = true;
  ported.user_data = with_port;
  prepared = smpp::prepare_inbound(ported);
  EXPECT_FALSE(prepared.part.has_value());
  EXPECT_EQ(prepared.text.text, "HI");
  ASSERT_TRUE(prepared.udh.has_value());
  EXPECT_EQ(prepared.udh->other_elements, 1U);
  // Concatenation with total 1 is a whole message.
  const bytes one_of_one{0x05, 0x00, 0x03, 0x01, 0x01, 0x01, 'O', 'K'};
  ported.user_data = one_of_one;
  EXPECT_EQ(smpp::prepare_inbound(ported).text.text, "OK");
  // Impossible concatenation values (seq 3 of 2): a whole message, not held.
  const bytes bad_seq{0x05, 0x00, 0x03, 0x01, 0x02, 0x03, 'N', 'O'};
  ported.user_data = bad_seq;
  prepared = smpp::prepare_inbound(ported);
  EXPECT_FALSE(prepared.part.has_value());
  EXPECT_EQ(prepared.text.text, "NO");
  // SAR values make a part.
  smpp::received_short_message sar;
  sar.source = "+1";
  sar.user_data = stop;
  sar.sar = smpp::sar_values{0x0102, 2, 2};
  prepared = smpp::prepare_inbound(sar);
  ASSERT_TRUE(prepared.part.has_value());
  EXPECT_EQ(prepared.part->key.reference, 0x0102);
  EXPECT_EQ(prepared.part->key.total, 2);
  EXPECT_EQ(prepared.part->seq, 2);
  EXPECT_EQ(prepared.part->payload, stop);
  EXPECT_EQ(prepared.part->udh_length, 0U);
  // Malformed UDH: an error, and the bytes still decoded so nothing is lost silently.
  const bytes broken{0x09, 0x00, 0x03, 'S', 'T', 'O', 'P'};
  ported.user_data = broken;
  prepared = smpp::prepare_inbound(ported);
  EXPECT_EQ(prepared.error, smpp::text_errc::malformed_udh);
  EXPECT_NE(prepared.text.text.find("STOP"), std::string::npos);
}

}  // namespace
