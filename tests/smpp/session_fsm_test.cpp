// Scripts for the pure session state machine: event in -> expected actions out, byte-exact.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "smpp/command_id.hpp"
#include "smpp/session_fsm.hpp"

namespace {

using namespace std::chrono_literals;
using smpp::bind_state;
using smpp::command_id;
using smpp::session_action;
using smpp::session_errc;
using kind = smpp::session_action::kind;
using bytes = std::vector<std::uint8_t>;

const smpp::session_clock::time_point t0{std::chrono::hours(1000)};

bytes pdu(std::uint32_t id, std::uint32_t status, std::uint32_t seq, const bytes& body = {}) {
  bytes out(16);
  smpp::write_header({static_cast<std::uint32_t>(16 + body.size()), id, status, seq},
                     std::span<std::uint8_t, 16>(out.data(), 16));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
bytes pdu(command_id id, std::uint32_t status, std::uint32_t seq, const bytes& body = {}) {
  return pdu(static_cast<std::uint32_t>(id), status, seq, body);
}
bytes resp(command_id id, std::uint32_t status, std::uint32_t seq, const bytes& body = {}) {
  return pdu(static_cast<std::uint32_t>(id) | smpp::response_bit, status, seq, body);
}
bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const bytes bind_body = {'s', 'y', 's', 0, 'p', 'w', 0, 0, 0x34, 0, 0, 0};
const bytes submit_body = {0, 1, 1, '1', 0, 1, 1, '2', 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'};

// Wraps the machine: remembers the actions of every event and collects written bytes.
struct harness {
  smpp::session_fsm fsm;
  smpp::session_clock::time_point now = t0;
  std::vector<session_action> last;
  bytes written;
  std::deque<bytes> inputs;

  explicit harness(smpp::session_config c) : fsm(c, t0) {}

  void collect() {
    last.assign(fsm.actions().begin(), fsm.actions().end());
    for (auto& a : last) {
      if (a.what == kind::write) {
        bytes out;
        fsm.take_output(out);
        written.insert(written.end(), out.begin(), out.end());
      }
    }
  }
  bytes take_written() {
    bytes w;
    w.swap(written);
    return w;
  }
  std::size_t feed(const bytes& b) {
    // Action bodies point into the fed bytes: keep every input alive for the test's duration.
    inputs.push_back(b);
    auto n = fsm.on_bytes(now, inputs.back());
    collect();
    return n;
  }
  void timer(smpp::session_clock::time_point at) {
    now = at;
    fsm.on_timer(now);
    collect();
  }
  smpp::request_result submit(std::uint64_t cookie) {
    auto r = fsm.request(now, command_id::submit_sm, submit_body, cookie);
    collect();
    return r;
  }
  std::vector<kind> kinds() const {
    std::vector<kind> k;
    for (auto& a : last) k.push_back(a.what);
    return k;
  }
  const session_action* find(kind k) const {
    for (auto& a : last)
      if (a.what == k) return &a;
    return nullptr;
  }
};

smpp::session_config esme_config() {
  smpp::session_config c;
  c.role = smpp::session_role::esme;
  c.window = 2;
  c.response_timeout = 5s;
  c.enquire_link_interval = 30s;
  c.enquire_link_timeout = 10s;
  c.bind_timeout = 7s;
  c.unbind_timeout = 3s;
  return c;
}

// Binds as transceiver; sequence 1 is the bind.
void bind_trx(harness& h) {
  auto r = h.fsm.bind(h.now, smpp::bind_type::transceiver, bind_body, 99);
  h.collect();
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.sequence_number, 1U);
  h.take_written();
  h.feed(resp(command_id::bind_transceiver, 0, 1, {'S', 'M', 'S', 'C', 0}));
  ASSERT_EQ(h.fsm.state(), bind_state::bound_trx);
}

TEST(SessionFsm, BindWritesExactPduAndArmsBindTimeout) {
  harness h(esme_config());
  auto r = h.fsm.bind(h.now, smpp::bind_type::transceiver, bind_body, 99);
  h.collect();
  EXPECT_FALSE(r.error);
  EXPECT_EQ(h.fsm.state(), bind_state::binding);
  EXPECT_EQ(h.kinds(), (std::vector{kind::write, kind::arm_timer}));
  EXPECT_EQ(h.find(kind::arm_timer)->deadline, t0 + 7s);
  EXPECT_EQ(h.take_written(), cat({{0, 0, 0, 28, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1}, bind_body}));

  h.feed(resp(command_id::bind_transceiver, 0, 1, {'S', 'M', 'S', 'C', 0}));
  EXPECT_EQ(h.fsm.state(), bind_state::bound_trx);
  ASSERT_EQ(h.kinds(), (std::vector{kind::complete, kind::bound}));
  EXPECT_EQ(h.last[0].cookie, 99U);
  EXPECT_EQ(h.last[0].header.command_status, 0U);
  EXPECT_EQ(bytes(h.last[0].body.begin(), h.last[0].body.end()), (bytes{'S', 'M', 'S', 'C', 0}));
}

TEST(SessionFsm, BindRejectedCompletesAndCloses) {
  harness h(esme_config());
  h.fsm.bind(h.now, smpp::bind_type::transmitter, bind_body, 5);
  h.collect();
  h.feed(resp(command_id::bind_transmitter, 0x0E, 1));  // ESME_RINVPASWD
  ASSERT_EQ(h.kinds(), (std::vector{kind::complete, kind::close}));
  EXPECT_EQ(h.last[0].header.command_status, 0x0EU);
  EXPECT_EQ(h.last[1].error, session_errc::bind_rejected);
  EXPECT_EQ(h.fsm.state(), bind_state::closed);
}

TEST(SessionFsm, BindTimeoutFailsTheBindAndCloses) {
  harness h(esme_config());
  h.fsm.bind(h.now, smpp::bind_type::receiver, bind_body, 5);
  h.collect();
  h.timer(t0 + 6s);  // early wake-up: nothing happens, timer re-armed for the real deadline
  EXPECT_EQ(h.kinds(), (std::vector{kind::arm_timer}));
  EXPECT_EQ(h.last[0].deadline, t0 + 7s);
  h.timer(t0 + 7s);
  ASSERT_EQ(h.kinds(), (std::vector{kind::fail, kind::close}));
  EXPECT_EQ(h.last[0].cookie, 5U);
  EXPECT_EQ(h.last[0].error, session_errc::bind_timeout);
  EXPECT_EQ(h.last[1].error, session_errc::bind_timeout);
}

TEST(SessionFsm, SubmitBeforeBindIsRefused) {
  harness h(esme_config());
  EXPECT_EQ(h.submit(1).error, session_errc::not_bound);
  EXPECT_TRUE(h.take_written().empty());
}

TEST(SessionFsm, ReceiverCannotSubmit) {
  harness h(esme_config());
  h.fsm.bind(h.now, smpp::bind_type::receiver, bind_body, 5);
  h.collect();
  h.feed(resp(command_id::bind_receiver, 0, 1));
  EXPECT_EQ(h.fsm.state(), bind_state::bound_rx);
  EXPECT_EQ(h.submit(1).error, session_errc::not_bound);
}

TEST(SessionFsm, SubmitAndResponseCompleteWithMessageId) {
  harness h(esme_config());
  bind_trx(h);
  auto r = h.submit(7);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.sequence_number, 2U);
  EXPECT_EQ(h.take_written(), pdu(command_id::submit_sm, 0, 2, submit_body));
  h.feed(resp(command_id::submit_sm, 0, 2, {'a', 'b', 'c', 0}));
  ASSERT_EQ(h.kinds(), (std::vector{kind::complete}));
  EXPECT_EQ(h.last[0].cookie, 7U);
  EXPECT_EQ(h.last[0].header.command_id, 0x80000004U);
  EXPECT_EQ(h.fsm.outstanding(), 0U);
}

TEST(SessionFsm, WindowFullRefusesUntilAResponseArrives) {
  harness h(esme_config());
  bind_trx(h);
  EXPECT_FALSE(h.submit(1).error);
  EXPECT_FALSE(h.submit(2).error);
  EXPECT_FALSE(h.fsm.can_request(command_id::submit_sm));
  h.take_written();
  EXPECT_EQ(h.submit(3).error, session_errc::window_full);
  EXPECT_TRUE(h.take_written().empty());  // nothing sent for the refused one
  h.feed(resp(command_id::submit_sm, 0, 3, {'x', 0}));  // answers cookie 2 (out of order)
  EXPECT_EQ(h.last[0].cookie, 2U);
  auto r = h.submit(3);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.sequence_number, 4U);
}

TEST(SessionFsm, ResponseTimeoutFailsOnlyTheLateRequestAndIgnoresItsLateResponse) {
  harness h(esme_config());
  bind_trx(h);
  h.submit(1);
  h.now = t0 + 2s;
  h.submit(2);
  h.timer(t0 + 5s);
  ASSERT_EQ(h.kinds(), (std::vector{kind::fail, kind::arm_timer}));
  EXPECT_EQ(h.last[0].cookie, 1U);
  EXPECT_EQ(h.last[0].error, session_errc::response_timeout);
  EXPECT_EQ(h.last[1].deadline, t0 + 7s);  // the second request's deadline
  EXPECT_EQ(h.fsm.state(), bind_state::bound_trx);  // the bind stays up
  h.feed(resp(command_id::submit_sm, 0, 2, {'x', 0}));  // late answer to cookie 1
  EXPECT_TRUE(h.last.empty());
  EXPECT_EQ(h.fsm.unmatched_responses(), 1U);
  h.feed(resp(command_id::submit_sm, 0, 3, {'y', 0}));
  EXPECT_EQ(h.last[0].cookie, 2U);
}

TEST(SessionFsm, GenericNackCompletesTheMatchingRequest) {
  harness h(esme_config());
  bind_trx(h);
  h.submit(4);
  h.feed(pdu(command_id::generic_nack, 0x03, 2));
  ASSERT_EQ(h.kinds(), (std::vector{kind::complete}));
  EXPECT_EQ(h.last[0].cookie, 4U);
  EXPECT_EQ(h.last[0].header.command_status, 0x03U);
}

TEST(SessionFsm, EnquireLinkWhenIdleAndDeadPeerClose) {
  auto c = esme_config();
  c.response_timeout = 100s;
  harness h(c);
  bind_trx(h);
  // The timer armed for the bind deadline fires; it is re-armed for the idle deadline.
  h.timer(t0 + 7s);
  ASSERT_EQ(h.kinds(), (std::vector{kind::arm_timer}));
  EXPECT_EQ(h.last[0].deadline, t0 + 30s);
  h.now = t0 + 20s;
  h.feed(pdu(command_id::enquire_link, 0, 50));  // traffic moves the idle deadline
  EXPECT_EQ(h.find(kind::arm_timer), nullptr);   // ...without re-arming on every PDU
  EXPECT_EQ(h.take_written(), resp(command_id::enquire_link, 0, 50));
  h.timer(t0 + 30s);  // fires early: re-armed for 20 s + 30 s
  EXPECT_EQ(h.kinds(), (std::vector{kind::arm_timer}));
  EXPECT_EQ(h.last[0].deadline, t0 + 50s);
  h.submit(8);
  h.take_written();
  h.timer(t0 + 50s);
  EXPECT_EQ(h.take_written(), pdu(command_id::enquire_link, 0, 3));
  // Responses to other requests do not count as the enquire_link answer... but they are traffic.
  h.timer(t0 + 60s);
  ASSERT_EQ(h.kinds(), (std::vector{kind::fail, kind::close}));
  EXPECT_EQ(h.last[0].cookie, 8U);
  EXPECT_EQ(h.last[0].error, session_errc::dead_peer);
  EXPECT_EQ(h.last[1].error, session_errc::dead_peer);
  EXPECT_FALSE(h.last[1].flush);
}

TEST(SessionFsm, EnquireLinkAnsweredKeepsTheSession) {
  auto c = esme_config();
  c.response_timeout = 100s;
  harness h(c);
  bind_trx(h);
  h.timer(t0 + 30s);
  EXPECT_EQ(h.take_written(), pdu(command_id::enquire_link, 0, 2));
  EXPECT_EQ(h.find(kind::arm_timer)->deadline, t0 + 40s);
  h.now = t0 + 31s;
  h.feed(resp(command_id::enquire_link, 0, 2));
  h.timer(t0 + 40s);
  EXPECT_EQ(h.fsm.state(), bind_state::bound_trx);
  EXPECT_TRUE(h.take_written().empty());
  EXPECT_EQ(h.find(kind::arm_timer)->deadline, t0 + 61s);
}

TEST(SessionFsm, PeerUnbindIsAnsweredAndFailsOutstanding) {
  harness h(esme_config());
  bind_trx(h);
  h.submit(11);
  h.take_written();
  h.feed(pdu(command_id::unbind, 0, 77));
  ASSERT_EQ(h.kinds(), (std::vector{kind::fail, kind::write, kind::close}));
  EXPECT_EQ(h.last[0].error, session_errc::unbound_by_peer);
  EXPECT_TRUE(h.last[2].flush);
  EXPECT_EQ(h.take_written(), resp(command_id::unbind, 0, 77));
}

TEST(SessionFsm, OurUnbindHandshakeClosesCleanly) {
  harness h(esme_config());
  bind_trx(h);
  h.submit(12);
  h.take_written();
  h.fsm.unbind(h.now);
  h.collect();
  EXPECT_EQ(h.fsm.state(), bind_state::unbinding);
  EXPECT_EQ(h.take_written(), pdu(command_id::unbind, 0, 3));
  EXPECT_EQ(h.submit(13).error, session_errc::not_bound);
  h.feed(resp(command_id::submit_sm, 0, 2, {'m', 0}));  // in-flight responses still complete
  EXPECT_EQ(h.last[0].cookie, 12U);
  h.feed(resp(command_id::unbind, 0, 3));
  ASSERT_EQ(h.kinds(), (std::vector{kind::close}));
  EXPECT_FALSE(h.last[0].error);
}

TEST(SessionFsm, UnbindTimeoutCloses) {
  harness h(esme_config());
  bind_trx(h);
  h.fsm.unbind(h.now);
  h.collect();
  h.timer(t0 + 3s);
  ASSERT_EQ(h.kinds(), (std::vector{kind::close}));
  EXPECT_EQ(h.last[0].error, session_errc::unbind_timeout);
}

TEST(SessionFsm, UnknownCommandIdGetsGenericNackAndBindStays) {
  harness h(esme_config());
  bind_trx(h);
  h.take_written();
  h.feed(pdu(0x00000777U, 0, 9, {1, 2, 3}));
  EXPECT_EQ(h.take_written(), pdu(command_id::generic_nack, 0x03, 9));
  EXPECT_EQ(h.fsm.state(), bind_state::bound_trx);
}

TEST(SessionFsm, BadCommandLengthIsFatalWithoutWaitingForTheClaimedBytes) {
  for (std::uint32_t length : {0U, 15U, 0x7FFFFFFFU}) {
    harness h(esme_config());
    bind_trx(h);
    h.submit(3);
    h.take_written();
    bytes b = pdu(command_id::deliver_sm, 0, 21);
    b[0] = static_cast<std::uint8_t>(length >> 24);
    b[1] = static_cast<std::uint8_t>(length >> 16);
    b[2] = static_cast<std::uint8_t>(length >> 8);
    b[3] = static_cast<std::uint8_t>(length);
    EXPECT_EQ(h.feed(b), b.size());
    ASSERT_EQ(h.kinds(), (std::vector{kind::fail, kind::write, kind::close})) << length;
    EXPECT_EQ(h.last[0].error, session_errc::invalid_command_length);
    EXPECT_TRUE(h.last[2].flush);
    EXPECT_EQ(h.take_written(), pdu(command_id::generic_nack, 0x02, 21));
  }
}

TEST(SessionFsm, DeliverSmDeliveredAndAnsweredAsynchronously) {
  harness h(esme_config());
  bind_trx(h);
  h.take_written();
  bytes body = {0, 1, 1, '1', 0, 1, 1, '2', 0};
  h.feed(pdu(command_id::deliver_sm, 0, 40, body));
  ASSERT_EQ(h.kinds(), (std::vector{kind::deliver}));
  EXPECT_EQ(h.last[0].header.sequence_number, 40U);
  EXPECT_EQ(bytes(h.last[0].body.begin(), h.last[0].body.end()), body);
  EXPECT_TRUE(h.take_written().empty());  // no response until the application answers
  EXPECT_EQ(h.fsm.inbound_pending(), 1U);
  EXPECT_FALSE(h.fsm.respond(h.now, 40, 0x64, bytes{0}));  // ESME_RX_T_APPN
  h.collect();
  EXPECT_EQ(h.take_written(), resp(command_id::deliver_sm, 0x64, 40, {0}));
  EXPECT_EQ(h.fsm.respond(h.now, 40, 0), session_errc::unknown_sequence);
}

TEST(SessionFsm, DeliverSmToATransmitterIsRefusedWithInvalidBindStatus) {
  harness h(esme_config());
  h.fsm.bind(h.now, smpp::bind_type::transmitter, bind_body, 1);
  h.collect();
  h.feed(resp(command_id::bind_transmitter, 0, 1));
  h.take_written();
  h.feed(pdu(command_id::deliver_sm, 0, 41, {0}));
  EXPECT_EQ(h.find(kind::deliver), nullptr);
  EXPECT_EQ(h.take_written(), resp(command_id::deliver_sm, 0x04, 41));
}

TEST(SessionFsm, SequenceNumbersWrapAroundSkippingZero) {
  auto c = esme_config();
  c.initial_sequence = 0x7FFFFFFE;
  c.window = 8;
  harness h(c);
  h.fsm.bind(h.now, smpp::bind_type::transceiver, bind_body, 1);
  h.collect();
  h.feed(resp(command_id::bind_transceiver, 0, 0x7FFFFFFE));
  EXPECT_EQ(h.submit(2).sequence_number, 0x7FFFFFFFU);
  EXPECT_EQ(h.submit(3).sequence_number, 1U);
  EXPECT_EQ(h.submit(4).sequence_number, 2U);
}

TEST(SessionFsm, EveryStreamSplitAtEveryByteGivesTheSameActions) {
  bytes stream = cat({resp(command_id::submit_sm, 0, 2, {'i', 'd', '1', 0}),
                      pdu(command_id::deliver_sm, 0, 60, {0, 1, 1, '5', 0}),
                      pdu(command_id::enquire_link, 0, 61),
                      resp(command_id::submit_sm, 0x58, 3)});
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    harness h(esme_config());
    bind_trx(h);
    h.submit(1);
    h.submit(2);
    h.take_written();
    std::vector<kind> seen;
    std::vector<std::uint64_t> cookies;
    bytes pending(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut));
    auto step = [&] {
      auto n = h.feed(pending);
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
      for (auto& a : h.last) {
        // One write action ends every event that queued bytes; compare the rest in order.
        if (a.what == kind::arm_timer || a.what == kind::write) continue;
        seen.push_back(a.what);
        if (a.what == kind::complete) cookies.push_back(a.cookie);
      }
    };
    step();
    pending.insert(pending.end(), stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end());
    step();
    EXPECT_TRUE(pending.empty()) << cut;
    EXPECT_EQ(seen, (std::vector{kind::complete, kind::deliver, kind::complete}))
        << cut;
    EXPECT_EQ(cookies, (std::vector<std::uint64_t>{1, 2})) << cut;
    EXPECT_EQ(h.take_written(), resp(command_id::enquire_link, 0, 61)) << cut;
  }
}

TEST(SessionFsm, SmscRoleAuthenticatesBindThroughTheApplication) {
  smpp::session_config c;
  c.role = smpp::session_role::smsc;
  c.inbound_window = 2;
  harness h(c);
  h.feed(pdu(command_id::submit_sm, 0, 1, submit_body));  // before bind
  EXPECT_EQ(h.take_written(), resp(command_id::submit_sm, 0x04, 1));
  h.feed(pdu(command_id::bind_transmitter, 0, 2, bind_body));
  ASSERT_EQ(h.kinds(), (std::vector{kind::deliver}));
  EXPECT_EQ(h.fsm.state(), bind_state::binding);
  h.fsm.respond(h.now, 2, 0, bytes{'s', 'i', 'm', 0});
  h.collect();
  EXPECT_EQ(h.fsm.state(), bind_state::bound_tx);
  EXPECT_NE(h.find(kind::bound), nullptr);
  EXPECT_EQ(h.take_written(), resp(command_id::bind_transmitter, 0, 2, {'s', 'i', 'm', 0}));
  h.feed(pdu(command_id::bind_transmitter, 0, 3, bind_body));  // again
  EXPECT_EQ(h.take_written(), resp(command_id::bind_transmitter, 0x05, 3));
  // Per-session window: the third unanswered submit is refused with ESME_RMSGQFUL.
  h.feed(cat({pdu(command_id::submit_sm, 0, 4, submit_body),
              pdu(command_id::submit_sm, 0, 5, submit_body),
              pdu(command_id::submit_sm, 0, 6, submit_body)}));
  EXPECT_EQ(h.kinds(), (std::vector{kind::deliver, kind::deliver, kind::write}));
  EXPECT_EQ(h.take_written(), resp(command_id::submit_sm, 0x14, 6));
  // A transmitter cannot receive deliver_sm.
  EXPECT_EQ(h.fsm.request(h.now, command_id::deliver_sm, {}, 1).error, session_errc::not_bound);
}

TEST(SessionFsm, SmscRoleBindRefusedStaysOpen) {
  smpp::session_config c;
  c.role = smpp::session_role::smsc;
  harness h(c);
  h.feed(pdu(command_id::bind_transceiver, 0, 1, bind_body));
  h.fsm.respond(h.now, 1, 0x0E);
  h.collect();
  EXPECT_EQ(h.fsm.state(), bind_state::open);
  EXPECT_EQ(h.take_written(), resp(command_id::bind_transceiver, 0x0E, 1));
}

// A whole session script; a failure (connection drop or garbage bytes) is injected before every
// step. Every request issued must end exactly once (complete or fail), and nothing happens after
// the close.
TEST(SessionFsm, ErrorInjectedAtEveryStepEndsEveryRequestExactlyOnce) {
  const int steps = 9;
  for (int inject = 0; inject <= steps; ++inject) {
    for (int mode = 0; mode < 2; ++mode) {
      auto c = esme_config();
      c.window = 4;
      harness h(c);
      std::set<std::uint64_t> issued;
      std::map<std::uint64_t, int> ended;
      bool closed = false;
      auto absorb = [&] {
        for (auto& a : h.last) {
          EXPECT_FALSE(closed) << "action after close, inject " << inject;
          if (a.what == kind::complete || a.what == kind::fail) ++ended[a.cookie];
          if (a.what == kind::close) closed = true;
        }
      };
      auto run = [&](int i) {
        if (i == inject) {
          if (mode == 0) {
            h.fsm.on_closed({});
            h.collect();
            absorb();
            closed = true;
          } else {
            h.feed(bytes{0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9});
            absorb();
          }
        }
        if (closed) return;
        switch (i) {
          case 0:
            h.fsm.bind(h.now, smpp::bind_type::transceiver, bind_body, 100);
            issued.insert(100);
            h.collect();
            break;
          case 1: h.feed(resp(command_id::bind_transceiver, 0, 1)); break;
          case 2:
            if (!h.submit(1).error) issued.insert(1);
            break;
          case 3:
            if (!h.submit(2).error) issued.insert(2);
            break;
          case 4: h.feed(resp(command_id::submit_sm, 0, 2, {'a', 0})); break;
          case 5: h.feed(pdu(command_id::deliver_sm, 0, 9, {0})); break;
          case 6: h.timer(h.now + 5s); break;  // request 2 times out
          case 7: h.fsm.unbind(h.now); h.collect(); break;
          case 8: h.feed(resp(command_id::unbind, 0, 4)); break;
          default: break;
        }
        absorb();
      };
      for (int i = 0; i <= steps; ++i) run(i);
      if (!closed) {
        h.fsm.on_closed({});
        h.collect();
        absorb();
      }
      for (auto cookie : issued) EXPECT_EQ(ended[cookie], 1) << cookie << " inject " << inject;
      EXPECT_EQ(ended.size(), issued.size()) << inject;
      EXPECT_EQ(h.fsm.state(), bind_state::closed);
    }
  }
}

}  // namespace
