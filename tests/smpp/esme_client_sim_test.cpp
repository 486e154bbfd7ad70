// The carrier link (ESME client) against the SMSC simulator, in-process over loopback (port 0).
// Timers are scaled down; every wait is bounded (run_until gives up after a few seconds).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/delivery_receipt.hpp"
#include "smpp/net/esme_client.hpp"
#include "smpp/segmentation.hpp"
#include "smpp/text_encoding.hpp"
#include "smpp/udh.hpp"
#include "tools/smsc_sim/simulator.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
using smpp::net::carrier_link;
using smpp::net::link_event;
using smpp::net::link_event_kind;

std::vector<std::uint8_t> body_of(const smpp::pdu& p) {
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(smpp::encode(p, smpp::command_status::esme_rok, 0, out));
  out.erase(out.begin(), out.begin() + smpp::header_size);
  return out;
}

smpp::submit_sm make_submit(const std::string& to, const std::string& text,
                            std::uint8_t registered_delivery = 0) {
  smpp::submit_sm sm;
  sm.source_addr = "12345";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = to;
  sm.registered_delivery = registered_delivery;
  auto enc = smpp::encode_text(text, smpp::text_encoding::gsm7);
  sm.data_coding = enc.data_coding;
  sm.short_message.assign(enc.bytes.begin(), enc.bytes.end());
  return sm;
}

smpp::net::outbound_message message(std::uint64_t cookie, const smpp::submit_sm& sm) {
  smpp::net::outbound_message m;
  m.cookie = cookie;
  m.body = body_of(sm);
  return m;
}

struct fixture : ::testing::Test {
  asio::io_context io{1};
  std::shared_ptr<smsc_sim::simulator> sim;
  std::shared_ptr<carrier_link> link;
  std::vector<smpp::net::submit_outcome> outcomes;
  std::vector<link_event> events;
  std::vector<smpp::net::inbound_message> inbound;
  std::function<void(smpp::net::inbound_message, smpp::net::inbound_responder)> on_inbound;
  unsigned bound_events = 0;

  void start_sim(smsc_sim::options o) {
    o.seed = 42;
    sim = std::make_shared<smsc_sim::simulator>(io.get_executor(), o);
    ASSERT_FALSE(sim->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)));
    sim->start();
  }

  smpp::net::carrier_link_config link_config(std::uint16_t port) {
    smpp::net::carrier_link_config c;
    c.name = "sim";
    c.host = "127.0.0.1";
    c.port = port;
    c.system_id = "smsgw";
    c.password = "secret";
    c.window = 8;
    c.reconnect_min = 20ms;
    c.reconnect_max = 200ms;
    c.reconnect_stable = 1000ms;
    c.response_timeout = 2000ms;
    c.bind_timeout = 1000ms;
    c.throttle = {.pause = 30ms, .ramp_step = 30ms, .ramp_start = 0.25};
    return c;
  }

  void start_link(smpp::net::carrier_link_config c) {
    smpp::net::carrier_link_handler h;
    h.on_result = [this](smpp::net::submit_outcome o) { outcomes.push_back(std::move(o)); };
    h.on_event = [this](const link_event& e) {
      events.push_back(e);
      if (e.kind == link_event_kind::bound) ++bound_events;
    };
    h.on_inbound = [this](smpp::net::inbound_message m, smpp::net::inbound_responder r) {
      if (on_inbound) return on_inbound(std::move(m), std::move(r));
      inbound.push_back(m);
      r.respond(0);
    };
    link = carrier_link::create(io.get_executor(), c, h);
    link->start();
  }

  // smsc-sim answering ESME_RTHROTTLED above `carrier_tps` (burst 1 below 10/s) and a link at
  // `tps` with `window` and the governor's `throttle` settings; true once it is bound.
  bool start_throttled(double carrier_tps, double tps, std::uint32_t window, smpp::throttle_governor::settings throttle) {
    smsc_sim::options o;
    o.throttle_tps = carrier_tps;
    start_sim(o);
    auto c = link_config(sim->local_endpoint().port());
    c.tps = tps;
    c.window = window;
    c.throttle = throttle;
    start_link(c);
    return run_until([&] { return bound_events == 1; });
  }

  // Runs the io_context until `done` or 5 s; returns done().
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
    return done();
  }

  void stop_all() {
    bool stopped = false;
    if (link) {
      link->async_stop([&] { stopped = true; });
      run_until([&] { return stopped; }, 3000ms);
    }
    link.reset();
    if (sim) sim->stop();
    io.run_for(50ms);
  }

  void TearDown() override { stop_all(); }
};

using CarrierLinkSim = fixture;

TEST_F(CarrierLinkSim, BindSubmitAndReceiveReceiptsAsTextAndTlvs) {
  smsc_sim::options o;
  o.dlr_delay = 30ms;
  start_sim(o);
  start_link(link_config(sim->local_endpoint().port()));
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  for (std::uint64_t i = 1; i <= 3; ++i) {
    link->submit(message(i, make_submit("14155550123", "hello " + std::to_string(i), 1)));
  }
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 3 && inbound.size() == 3; }));
  std::vector<std::string> ids;
  for (auto& out : outcomes) {
    EXPECT_TRUE(out.accepted());
    EXPECT_EQ(out.classification, smpp::status_class::ok);
    EXPECT_FALSE(out.message_id.empty());
    ids.push_back(out.message_id);
  }
  EXPECT_EQ(outcomes[0].cookie, 1U);
  for (auto& m : inbound) {
    auto d = smpp::decode(m.pdu);
    ASSERT_TRUE(d.ok());
    const auto& dsm = std::get<smpp::deliver_sm>(d.value.body);
    EXPECT_EQ(dsm.esm_class & 0x3C, 0x04);  // delivery receipt
    EXPECT_EQ(dsm.destination_addr, "12345");
    smpp::receipt_tlvs t;
    t.receipted_message_id = dsm.tlvs.get(smpp::tag::receipted_message_id);
    t.message_state = dsm.tlvs.get(smpp::tag::message_state);
    ASSERT_TRUE(t.receipted_message_id.has_value());
    EXPECT_EQ(t.message_state, std::optional<std::uint8_t>(2));
    auto r = smpp::parse_delivery_receipt(dsm.short_message, t);
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.receipt.stat, "DELIVRD");
    EXPECT_EQ(r.receipt.state, smpp::receipt_state::delivered);
    EXPECT_NE(std::find(ids.begin(), ids.end(), r.receipt.message_id), ids.end());
    // The text form carries the same id as the TLV.
    EXPECT_NE(dsm.short_message.find("id:" + *t.receipted_message_id), std::string::npos);
  }
  auto msgs = sim->messages("+14155550123", 10);
  ASSERT_EQ(msgs.size(), 3U);
  EXPECT_EQ(msgs[0].text, "hello 3");  // newest first
  EXPECT_EQ(msgs[2].text, "hello 1");
  EXPECT_EQ(msgs[2].message_id, outcomes[0].message_id);
  ASSERT_TRUE(run_until([&] { return sim->stats()["deliver_sm_resp_ok"] == 3; }));
  EXPECT_EQ(sim->stats()["submit_sm"], 3);
  EXPECT_EQ(sim->stats()["receipts"], 3);
}

TEST_F(CarrierLinkSim, FailedReceiptsFollowTheFailureRatio) {
  smsc_sim::options o;
  o.dlr_delay = 10ms;
  o.dlr_fail_ratio = 1.0;
  start_sim(o);
  start_link(link_config(sim->local_endpoint().port()));
  link->submit(message(1, make_submit("14155550123", "x", 1)));
  ASSERT_TRUE(run_until([&] { return inbound.size() == 1; }));
  auto d = smpp::decode(inbound[0].pdu);
  ASSERT_TRUE(d.ok());
  const auto& dsm = std::get<smpp::deliver_sm>(d.value.body);
  EXPECT_NE(dsm.short_message.find("stat:UNDELIV"), std::string::npos);
  EXPECT_EQ(dsm.tlvs.get(smpp::tag::message_state), std::optional<std::uint8_t>(5));
}

TEST_F(CarrierLinkSim, ConcatenatedSubmitIsListedAsOneMessage) {
  start_sim({});
  start_link(link_config(sim->local_endpoint().port()));
  std::string text(200, 'a');
  text += " end";
  smpp::segmentation_options so;
  auto seg = smpp::segment_text(text, 7, so);
  ASSERT_EQ(seg.parts.size(), 2U);
  std::uint64_t cookie = 1;
  for (auto& part : seg.parts) {
    auto sm = make_submit("14155550199", "");
    sm.esm_class = part.udhi ? smpp::udhi_esm_class_bit : 0;
    sm.data_coding = part.data_coding;
    sm.short_message.assign(part.short_message.begin(), part.short_message.end());
    link->submit(message(cookie++, sm));
  }
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 2; }));
  auto msgs = sim->messages("14155550199", 10);
  ASSERT_EQ(msgs.size(), 1U);
  EXPECT_EQ(msgs[0].text, text);
  EXPECT_EQ(msgs[0].segments, 2U);
  EXPECT_EQ(msgs[0].message_ids.size(), 2U);
  EXPECT_EQ(msgs[0].message_id, outcomes[0].message_id);
}

TEST_F(CarrierLinkSim, MoIsDeliveredAndAnsweredAsynchronously) {
  start_sim({});
  std::vector<smpp::net::inbound_responder> held;
  on_inbound = [&](smpp::net::inbound_message m, smpp::net::inbound_responder r) {
    inbound.push_back(std::move(m));
    held.push_back(std::move(r));  // e.g. the store is writing a STOP first
  };
  start_link(link_config(sim->local_endpoint().port()));
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  smsc_sim::mo_request mo{"+14155550123", "12345", std::string(80, 'x') + "\xe2\x98\x83", "ucs2", {}};
  auto r = sim->send_mo(mo);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.parts, 2U);
  ASSERT_TRUE(run_until([&] { return inbound.size() == 2; }));
  std::string text;
  for (auto& m : inbound) {
    auto d = smpp::decode(m.pdu);
    ASSERT_TRUE(d.ok());
    const auto& dsm = std::get<smpp::deliver_sm>(d.value.body);
    EXPECT_EQ(dsm.source_addr, "14155550123");
    EXPECT_EQ(dsm.source_addr_ton, 1);
    EXPECT_EQ(dsm.data_coding, 8);
    ASSERT_TRUE(dsm.esm_class & smpp::udhi_esm_class_bit);
    std::span<const std::uint8_t> ud(reinterpret_cast<const std::uint8_t*>(dsm.short_message.data()),
                                     dsm.short_message.size());
    auto udh = smpp::parse_udh(ud);
    ASSERT_FALSE(udh.error);
    ASSERT_TRUE(udh.udh.concat.has_value());
    EXPECT_EQ(udh.udh.concat->total, 2);
    text += smpp::decode_text(8, ud.subspan(udh.udh.length)).text;
  }
  EXPECT_EQ(text, mo.text);
  io.run_for(30ms);
  EXPECT_EQ(sim->stats()["deliver_sm_resp_ok"], 0);  // not answered yet
  for (auto& h : held) h.respond(0);
  ASSERT_TRUE(run_until([&] { return sim->stats()["deliver_sm_resp_ok"] == 2; }));
}

TEST_F(CarrierLinkSim, UnansweredInboundGetsTemporaryErrorAndIsRedelivered) {
  start_sim({});
  int seen = 0;
  on_inbound = [&](smpp::net::inbound_message m, smpp::net::inbound_responder r) {
    ++seen;
    inbound.push_back(std::move(m));
    if (seen == 2) r.respond(0);
    // First time: dropped unanswered -> ESME_RX_T_APPN; the simulator retries.
  };
  start_link(link_config(sim->local_endpoint().port()));
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  ASSERT_TRUE(sim->send_mo({"+14155550123", "12345", "STOP", "gsm7", {}}).error.empty());
  ASSERT_TRUE(run_until([&] { return sim->stats()["deliver_sm_resp_ok"] == 1; }));
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(sim->stats()["deliver_sm_resp_errors"], 1);
  EXPECT_EQ(sim->stats()["deliver_sm_retries"], 1);
}

TEST_F(CarrierLinkSim, ThrottledMessagesAreRetriedInOrderAndNotFailed) {
  smsc_sim::options o;
  o.throttle_tps = 50;  // burst 10: the burst of 60 is throttled however slow the machine
  start_sim(o);
  auto c = link_config(0);
  c.port = sim->local_endpoint().port();
  c.window = 1;  // one in flight: the order on the wire is the queue order
  start_link(c);
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  const int n = 60;
  for (int i = 0; i < n; ++i) {
    link->submit(message(static_cast<std::uint64_t>(i), make_submit("1999", std::to_string(i))));
  }
  ASSERT_TRUE(run_until([&] { return outcomes.size() == n; }, 8000ms));
  for (auto& out : outcomes) EXPECT_TRUE(out.accepted()) << out.cookie;
  EXPECT_GT(link->stats().throttled, 0U);
  EXPECT_GT(sim->stats()["throttled"], 0);
  EXPECT_EQ(link->stats().failed, 0U);
  auto msgs = sim->messages("1999", 1000);
  ASSERT_EQ(msgs.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(msgs[n - 1 - i].text, std::to_string(i));
  for (int i = 0; i < n; ++i) EXPECT_EQ(outcomes[i].cookie, static_cast<std::uint64_t>(i));
}

// The audit's case: a carrier that takes 5 submits/s behind a link configured at 1000/s, with
// the library's default throttle settings (the gateway's). The link must find the carrier's rate
// and stay just under it: before the adaptive governor it paused 1 s and restarted at 125/s after
// every throttle, delivering about 1 message/s with 12 throttles per accepted message.
TEST_F(CarrierLinkSim, FindsACarrierLimitFarBelowTheConfiguredRate) {
  ASSERT_TRUE(start_throttled(5, 1000, 64, smpp::throttle_governor::settings{}));
  const std::size_t n = 40;
  for (std::size_t i = 0; i < n; ++i) link->submit(message(i, make_submit("1777", std::to_string(i))));
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> t_half;
  double submits_half = 0, throttled_half = 0;
  run_until([&] {
    if (!t_half && outcomes.size() >= n / 2) {
      t_half = std::chrono::steady_clock::now();
      submits_half = sim->stats()["submit_sm"].get<double>();
      throttled_half = sim->stats()["throttled"].get<double>();
    }
    return outcomes.size() == n;
  }, 25000ms);
  const auto t_end = std::chrono::steady_clock::now();
  const double submits = sim->stats()["submit_sm"].get<double>();
  const double throttled = sim->stats()["throttled"].get<double>();
  const double total_s = std::chrono::duration<double>(t_end - t0).count();
  std::printf("limit 5/s, tps 1000: %zu of %zu accepted in %.1f s, %.0f submits, %.0f throttled\n",
              outcomes.size(), n, total_s, submits, throttled);
  ASSERT_EQ(outcomes.size(), n);
  for (auto& out : outcomes) EXPECT_TRUE(out.accepted()) << out.cookie;
  // The second half is sent at the rate found: at least 2/s (the limit is 5, about 4.3/s here on
  // an idle machine; the old governor managed 1/s). Loose enough for a loaded machine, where a
  // stalled process makes two submits arrive too close together and costs a decrease.
  const double second_half_s = std::chrono::duration<double>(t_end - *t_half).count();
  std::printf("second half: %.2f messages/s\n", static_cast<double>(n - n / 2) / second_half_s);
  EXPECT_GE(static_cast<double>(n - n / 2) / second_half_s, 2.0);
  // Once the rate is found, throttled answers are a small share of the submits (the old governor:
  // over 90 %). The first window (64 submits at once, one accepted) is throttled whatever the
  // governor does, so the whole run is only bounded by it.
  std::printf("second half: %.0f submits, %.0f throttled\n", submits - submits_half, throttled - throttled_half);
  EXPECT_LE(throttled - throttled_half, 0.25 * (submits - submits_half));
  EXPECT_LE(throttled, 64 + 30.0);
  // The link reports the rate it found.
  EXPECT_GE(link->stats().allowed_tps, 1.0);
  EXPECT_LE(link->stats().allowed_tps, 6.0);
}

// A message the link could not write by its send_by (here: behind a carrier that takes 4/s and
// keeps throttling) ends unsent with deadline_passed, also after a throttle requeued it; one
// written in time is accepted. Nothing is written after its deadline.
TEST_F(CarrierLinkSim, MessagesNotWrittenByTheirDeadlineEndUnsent) {
  ASSERT_TRUE(start_throttled(4, 1000, 20, {.pause = 30ms, .ramp_step = 30ms, .ramp_start = 0.25}));
  const std::size_t n = 20;
  const auto deadline = std::chrono::steady_clock::now() + 600ms;
  for (std::size_t i = 0; i < n; ++i) {
    auto m = message(i, make_submit("1777", std::to_string(i)));
    m.send_by = deadline;
    link->submit(std::move(m));
  }
  ASSERT_TRUE(run_until([&] { return outcomes.size() == n; }, 5000ms));
  std::size_t accepted = 0, overdue = 0;
  for (const auto& out : outcomes) {
    if (out.accepted()) ++accepted;
    if (out.error == smpp::net::link_errc::deadline_passed) {
      ++overdue;
      EXPECT_EQ(out.classification, smpp::status_class::temporary);
    }
  }
  EXPECT_EQ(accepted + overdue, n);
  EXPECT_GE(accepted, 1U);
  EXPECT_GE(overdue, 10U);  // 4/s for 0.6 s (+ burst): most cannot make it
  EXPECT_EQ(sim->stats()["submit_sm_ok"].get<std::size_t>(), accepted);
  // Nothing is written after the deadline: the submit count stays where it was.
  const auto submits = sim->stats()["submit_sm"].get<std::size_t>();
  io.run_for(300ms);
  EXPECT_EQ(sim->stats()["submit_sm"].get<std::size_t>(), submits);
  EXPECT_EQ(link->stats().queued, 0U);
}

// After a throttle the governor holds the lowered rate, then probes back up. stats().allowed_tps
// and rate_changed events follow it also when nothing is sent any more (the gateway's
// smsgw_smpp_allowed_tps gauge reads them): before, they stayed at the lowered rate until the
// next submit.
TEST_F(CarrierLinkSim, AllowedRateFollowsTheProbeBackUpWhileIdle) {
  ASSERT_TRUE(start_throttled(5, 200, 20, {.pause = 0ms, .ramp_step = 40ms, .ramp_start = 0.25, .hold = 200ms}));
  for (std::size_t i = 0; i < 10; ++i) link->submit(message(i, make_submit("1777", std::to_string(i))));
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 10; }, 8000ms));
  // Idle from here on: no submit, no answer.
  const auto lowest = link->stats().allowed_tps;
  ASSERT_LT(lowest, 200.0);
  const std::size_t events_before = events.size();
  ASSERT_TRUE(run_until([&] { return link->stats().allowed_tps == 200.0; }, 5000ms)) << link->stats().allowed_tps;
  std::vector<double> rises;
  for (std::size_t i = events_before; i < events.size(); ++i) {
    if (events[i].kind == link_event_kind::rate_changed) rises.push_back(events[i].allowed_tps);
  }
  ASSERT_GE(rises.size(), 2U);
  EXPECT_TRUE(std::is_sorted(rises.begin(), rises.end()));
  EXPECT_EQ(rises.back(), 200.0);
  EXPECT_GT(rises.front(), lowest);
}

TEST_F(CarrierLinkSim, TokenBucketLimitsSegmentsPerSecond) {
  start_sim({});
  auto c = link_config(sim->local_endpoint().port());
  c.tps = 100;
  c.burst = 5;
  start_link(c);
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) link->submit(message(i, make_submit("1", "t")));
  io.run_for(20ms);
  // Bound from the time that really passed (no timing expectation): burst + rate * elapsed.
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LE(sim->stats()["submit_sm"].get<double>(), 5 + 100 * elapsed + 1);
  EXPECT_LT(sim->stats()["submit_sm"].get<int>(), 30);
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 30; }));
}

TEST_F(CarrierLinkSim, WindowBoundsOutstandingRequestsAndTheRestWaits) {
  smsc_sim::options o;
  o.resp_delay = 40ms;
  start_sim(o);
  auto c = link_config(sim->local_endpoint().port());
  c.window = 2;
  start_link(c);
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  for (int i = 0; i < 6; ++i) link->submit(message(i, make_submit("1", "w")));
  std::size_t max_in_flight = 0;
  ASSERT_TRUE(run_until([&] {
    max_in_flight = std::max(max_in_flight, link->stats().in_flight);
    return outcomes.size() == 6;
  }));
  EXPECT_EQ(max_in_flight, 2U);
  for (auto& out : outcomes) EXPECT_TRUE(out.accepted());
}

TEST_F(CarrierLinkSim, QueueLimitRefusesWithQueueFull) {
  start_sim({});
  auto c = link_config(sim->local_endpoint().port());
  c.queue_limit = 3;
  start_link(c);  // not bound yet: everything stays queued
  for (int i = 0; i < 5; ++i) link->submit(message(i, make_submit("1", "q")));
  ASSERT_TRUE(run_until([&] { return outcomes.size() >= 2; }));
  EXPECT_EQ(outcomes[0].error, smpp::net::link_errc::queue_full);
  EXPECT_EQ(outcomes[0].cookie, 3U);
  EXPECT_EQ(outcomes[0].classification, smpp::status_class::temporary);
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 5; }));
}

TEST_F(CarrierLinkSim, ReconnectsAfterTheSimulatorDropsTheConnection) {
  start_sim({});
  start_link(link_config(sim->local_endpoint().port()));
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  sim->drop_connections();
  ASSERT_TRUE(run_until([&] { return bound_events == 2; }));
  bool saw_disconnect = false;
  for (auto& e : events) {
    if (e.kind == link_event_kind::disconnected) {
      saw_disconnect = true;
      EXPECT_GT(e.retry_in.count(), 0);
      EXPECT_LE(e.retry_in, 20ms);  // first attempt: reconnect_min with jitter
    }
  }
  EXPECT_TRUE(saw_disconnect);
  link->submit(message(9, make_submit("1", "after reconnect")));
  ASSERT_TRUE(run_until([&] { return outcomes.size() == 1; }));
  EXPECT_TRUE(outcomes[0].accepted());
  EXPECT_EQ(sim->stats()["binds"], 2);
}

TEST_F(CarrierLinkSim, WrongPasswordIsRefusedAndRetriedWithBackoff) {
  smsc_sim::options o;
  o.password = "secret";
  start_sim(o);
  auto c = link_config(sim->local_endpoint().port());
  c.password = "wrong";
  start_link(c);
  ASSERT_TRUE(run_until([&] {
    int n = 0;
    for (auto& e : events) n += e.kind == link_event_kind::bind_failed;
    return n >= 3;
  }));
  std::vector<std::chrono::milliseconds> delays;
  for (auto& e : events) {
    if (e.kind != link_event_kind::bind_failed) continue;
    EXPECT_EQ(e.command_status, 0x0EU);  // ESME_RINVPASWD
    delays.push_back(e.retry_in);
  }
  // Exponential: attempt k waits in [min*2^k/2, min*2^k] (jitter 0.5).
  EXPECT_LE(delays[0], 20ms);
  EXPECT_GE(delays[1], 20ms);
  EXPECT_LE(delays[1], 40ms);
  EXPECT_GE(delays[2], 40ms);
  EXPECT_EQ(bound_events, 0U);
}

TEST_F(CarrierLinkSim, GracefulStopFailsQueuedAndUnbinds) {
  smsc_sim::options o;
  o.resp_delay = 300ms;  // the first message is surely still in flight when stop comes
  start_sim(o);
  auto c = link_config(sim->local_endpoint().port());
  c.window = 1;
  start_link(c);
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  for (int i = 0; i < 3; ++i) link->submit(message(i, make_submit("1", "s")));
  io.run_for(5ms);
  bool stopped = false;
  link->async_stop([&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }));
  ASSERT_EQ(outcomes.size(), 3U);
  std::map<std::uint64_t, smpp::net::submit_outcome> by_cookie;
  for (auto& out : outcomes) by_cookie[out.cookie] = out;
  EXPECT_TRUE(by_cookie[0].accepted());  // in flight: its response was awaited
  EXPECT_EQ(by_cookie[1].error, smpp::net::link_errc::stopped);
  EXPECT_EQ(by_cookie[2].error, smpp::net::link_errc::stopped);
  ASSERT_TRUE(run_until([&] { return sim->stats()["connections"] == 0; }));
  EXPECT_EQ(sim->stats()["unbinds"], 1);
}

// A peer that binds and then never answers anything: enquire_link finds it dead.
TEST_F(CarrierLinkSim, DeadPeerIsDetectedByEnquireLink) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket peer(io);
  std::vector<std::uint8_t> bind(64);
  std::vector<std::uint8_t> resp;
  std::vector<std::uint8_t> sink(4096);
  std::function<void()> drain = [&] {
    peer.async_read_some(asio::buffer(sink), [&](boost::system::error_code ec, std::size_t) {
      if (!ec) drain();
    });
  };
  acceptor.async_accept(peer, [&](boost::system::error_code ec) {
    ASSERT_FALSE(ec);
    asio::async_read(peer, asio::buffer(bind.data(), 16), [&](boost::system::error_code e, std::size_t) {
      ASSERT_FALSE(e);
      auto h = *smpp::peek_header(std::span(bind.data(), 16));
      bind.resize(h.command_length);
      asio::read(peer, asio::buffer(bind.data() + 16, h.command_length - 16));
      smpp::bind_transceiver_resp r;
      r.system_id = "dead";
      smpp::encode(smpp::pdu{r}, smpp::command_status::esme_rok, h.sequence_number, resp);
      asio::write(peer, asio::buffer(resp));
      drain();  // read everything, answer nothing
    });
  });
  auto c = link_config(acceptor.local_endpoint().port());
  c.enquire_link_interval = 30ms;
  c.enquire_link_timeout = 30ms;
  c.reconnect_min = 1000ms;
  start_link(c);
  ASSERT_TRUE(run_until([&] { return bound_events == 1; }));
  ASSERT_TRUE(run_until([&] {
    for (auto& e : events) {
      if (e.kind == link_event_kind::disconnected) return true;
    }
    return false;
  }));
  for (auto& e : events) {
    if (e.kind == link_event_kind::disconnected) {
      EXPECT_EQ(e.error, smpp::session_errc::dead_peer);
    }
  }
  stop_all();  // before the locals the handlers refer to go away
  boost::system::error_code ignored;
  peer.close(ignored);
  io.run_for(10ms);
}

}  // namespace
