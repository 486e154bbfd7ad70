// The store contract of complete() (the carrier worker's final outcomes, issues 5 and 6) and of
// the claim-time suppression that hands entries back leased and flagged. Runs against both
// implementations like store_contract_test.cpp (Redis from SMSGW_TEST_REDIS_URL).

#include <gtest/gtest.h>

#include <map>

#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;
constexpr std::int64_t day = 24 * 3600 * 1000;

std::string nk(const std::string& e164) { return test_secrets()->key(e164); }

std::string number(int i) { return "+1415555" + std::to_string(1000 + i); }

webhook_event event_for(const std::string& id, message_status st, std::int64_t at) {
  const std::string ev_id = "evt_" + id + "_" + std::string(to_string(st));
  return {ev_id, "status", "global", R"({"id":")" + ev_id + R"(","message_id":")" + id + "\"}", 0, at, at, "", ""};
}

completion outcome(const queue_entry& e, message_status st, std::int64_t at, const std::string& cmid = "",
                   const std::string& error = "", bool with_event = true) {
  completion c;
  c.carrier = "sim";
  c.lease_id = e.lease_id;
  c.update = {e.message.id, st, cmid, error, at, 0};
  if (with_event) c.event = event_for(e.message.id, st, at);
  return c;
}

template <class B>
class StoreComplete : public store_fixture<B> {
 protected:
  using store_fixture<B>::store_;

  void admit(const std::string& id, const std::string& e164, std::int64_t now = t0) {
    auto [ec, r] = call<admit_result>([&](auto cb) { store_->admit(base_request(id, e164, now), cb); });
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(r.accepted());
  }
  // Admission asking for the direct hand-off's lease (admit_request::lease_ms).
  admit_result admit_leased(admit_request req) {
    req.lease_ms = 30000;
    auto [ec, r] = call<admit_result>([&](auto cb) { store_->admit(std::move(req), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
  claim_result claim(std::int64_t now, int max = 10, std::int64_t lease = 30000) {
    auto [ec, r] = call<claim_result>([&](auto cb) { store_->claim({"sim", max, lease, now}, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
  std::vector<completion_result> complete(std::vector<completion> items) {
    const std::size_t n = items.size();
    auto [ec, r] = call<std::vector<completion_result>>([&](auto cb) { store_->complete(std::move(items), cb); });
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.size(), n);
    return r;
  }
  std::optional<message_record> message(const std::string& id) {
    auto [ec, m] = call<std::optional<message_record>>([&](auto cb) { store_->get_message(id, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return m;
  }
  // Every event in the outbox (claims them: call once per check, with a later `now`).
  std::map<std::string, webhook_event> outbox(std::int64_t now) {
    auto [ec, v] = call<std::vector<webhook_event>>([&](auto cb) { store_->outbox_claim(1000, 1000, now, cb); });
    EXPECT_FALSE(ec) << ec.message();
    std::map<std::string, webhook_event> out;
    for (auto& e : v) {
      EXPECT_FALSE(out.count(e.event_id)) << "event handed out twice: " << e.event_id;
      out[e.event_id] = e;
    }
    return out;
  }
  std::error_code ack(const queue_entry& e) {
    return call<done>([&](auto cb) { store_->ack("sim", e.message.id, e.lease_id, cb); }).first;
  }
};

TYPED_TEST_SUITE(StoreComplete, backends, backend_names);

TYPED_TEST(StoreComplete, AppliesStatusCorrelationEventAndAckTogether) {
  this->admit("m1", number(1));
  auto c = this->claim(t0 + 1);
  ASSERT_EQ(c.entries.size(), 1u);
  auto r = this->complete({outcome(c.entries[0], message_status::submitted, t0 + 2, "0a1b2c")});
  EXPECT_TRUE(r[0].found);
  EXPECT_TRUE(r[0].applied);
  EXPECT_EQ(r[0].current, message_status::submitted);
  EXPECT_TRUE(r[0].event_stored);
  EXPECT_TRUE(r[0].released);

  auto m = this->message("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, message_status::submitted);
  EXPECT_EQ(m->carrier_message_id, "0a1b2c");
  EXPECT_EQ(m->updated_at_ms, t0 + 2);
  auto [ec, id] = call<std::optional<std::string>>([&](auto cb) { this->store_->correlate("sim", "0a1b2c", t0 + 3, cb); });
  ASSERT_FALSE(ec);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "m1");  // a receipt finds it

  auto events = this->outbox(t0 + 3);
  ASSERT_EQ(events.size(), 1u);
  const auto expected = event_for("m1", message_status::submitted, t0 + 2);
  const auto& ev = events.begin()->second;
  EXPECT_EQ(ev.event_id, expected.event_id);
  EXPECT_EQ(ev.kind, "status");
  EXPECT_EQ(ev.target, "global");
  EXPECT_EQ(ev.body, expected.body);
  EXPECT_EQ(ev.created_at_ms, t0 + 2);

  // Acknowledged: the entry left the queue, the old lease is void.
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
  EXPECT_EQ(this->ack(c.entries[0]), make_error_code(store_errc::lease_lost));
}

TYPED_TEST(StoreComplete, ErrorIsRecordedAndNoEventWhenNoneIsGiven) {
  this->admit("m1", number(1));
  auto c = this->claim(t0 + 1);
  ASSERT_EQ(c.entries.size(), 1u);
  auto r = this->complete({outcome(c.entries[0], message_status::rejected, t0 + 2, "", "ESME_RINVDSTADR", false)});
  EXPECT_TRUE(r[0].applied);
  EXPECT_FALSE(r[0].event_stored);
  EXPECT_TRUE(r[0].released);
  auto m = this->message("m1");
  EXPECT_EQ(m->status, message_status::rejected);
  EXPECT_EQ(m->error, "ESME_RINVDSTADR");
  EXPECT_TRUE(this->outbox(t0 + 3).empty());
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
}

TYPED_TEST(StoreComplete, RetryAfterCrashStoresTheEventOnceAndNeverMovesStatusBack) {
  this->admit("m1", number(1));
  auto c = this->claim(t0 + 1);
  ASSERT_EQ(c.entries.size(), 1u);
  auto item = outcome(c.entries[0], message_status::submitted, t0 + 2, "0a1b2c");
  auto first = this->complete({item});
  EXPECT_TRUE(first[0].applied);
  // The same completion again (the worker did not see the reply and the message came back).
  auto again = this->complete({item});
  EXPECT_TRUE(again[0].found);
  EXPECT_FALSE(again[0].applied);
  EXPECT_EQ(again[0].current, message_status::submitted);
  EXPECT_TRUE(again[0].event_stored);  // already there under the same id
  EXPECT_FALSE(again[0].released);     // acknowledged by the first one
  EXPECT_EQ(this->outbox(t0 + 3).size(), 1u);
}

// One call may hold the same message more than once (a retried outcome queued next to the
// first, or a later outcome): each item sees what the earlier ones did, exactly as in separate calls.
TYPED_TEST(StoreComplete, SameMessageTwiceInOneCallActsAsTwoCalls) {
  this->admit("m1", number(1), t0);
  this->admit("m2", number(2), t0 + 1);
  auto c = this->claim(t0 + 2);
  ASSERT_EQ(c.entries.size(), 2u);
  auto m1 = outcome(c.entries[0], message_status::submitted, t0 + 3, "c1");
  auto m2_sub = outcome(c.entries[1], message_status::submitted, t0 + 3, "c2");
  auto m2_rej = outcome(c.entries[1], message_status::rejected, t0 + 4, "", "88");
  auto r = this->complete({m1, m2_sub, m1, m2_rej});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[0].applied);
  EXPECT_TRUE(r[0].released);
  EXPECT_TRUE(r[1].applied);
  EXPECT_TRUE(r[1].released);
  // m1 again: nothing moves, its event is there already, the lease was released by item 0.
  EXPECT_TRUE(r[2].found);
  EXPECT_FALSE(r[2].applied);
  EXPECT_EQ(r[2].current, message_status::submitted);
  EXPECT_TRUE(r[2].event_stored);
  EXPECT_FALSE(r[2].released);
  // m2 moves on to rejected (forward) with its own event; its lease is gone already.
  EXPECT_TRUE(r[3].applied);
  EXPECT_EQ(r[3].current, message_status::rejected);
  EXPECT_TRUE(r[3].event_stored);
  EXPECT_FALSE(r[3].released);
  EXPECT_EQ(this->message("m1")->status, message_status::submitted);
  auto m2 = this->message("m2");
  EXPECT_EQ(m2->status, message_status::rejected);
  EXPECT_EQ(m2->carrier_message_id, "c2");
  EXPECT_EQ(m2->error, "88");
  auto events = this->outbox(t0 + 5);
  EXPECT_EQ(events.size(), 3u);
  auto [ec, corr] = call<std::optional<std::string>>([&](auto cb) { this->store_->correlate("sim", "c2", t0 + 6, cb); });
  EXPECT_FALSE(ec);
  EXPECT_EQ(corr.value_or(""), "m2");
  // Both entries left the queue, and their old leases are void.
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
  EXPECT_EQ(this->ack(c.entries[0]), make_error_code(store_errc::lease_lost));
  EXPECT_EQ(this->ack(c.entries[1]), make_error_code(store_errc::lease_lost));
}

TYPED_TEST(StoreComplete, StatusChangedBeforeTheCrashStillGetsItsEvent) {
  // The old sequence died between the status change and the outbox put: the message is
  // `submitted`, its entry still leased. Reclaimed and completed again, the event is stored.
  this->admit("m1", number(1));
  auto c = this->claim(t0 + 1, 10, 1000);
  ASSERT_EQ(c.entries.size(), 1u);
  auto [ec, s] = call<status_result>([&](auto cb) {
    this->store_->set_status({"m1", message_status::submitted, "0a1b2c", "", t0 + 2, 0}, cb);
  });
  ASSERT_FALSE(ec);
  ASSERT_TRUE(s.applied);
  auto again = this->claim(t0 + 1001);
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_EQ(again.entries[0].deliveries, 2);
  auto r = this->complete({outcome(again.entries[0], message_status::submitted, t0 + 1002, "0a1b2c")});
  EXPECT_FALSE(r[0].applied);
  EXPECT_TRUE(r[0].event_stored);
  EXPECT_TRUE(r[0].released);
  auto events = this->outbox(t0 + 2000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.begin()->first, event_for("m1", message_status::submitted, 0).event_id);
}

TYPED_TEST(StoreComplete, ForwardOnlyLaterStatusWinsAndGetsNoOlderEvent) {
  this->admit("m1", number(1));
  auto c = this->claim(t0 + 1, 10, 1000);
  ASSERT_EQ(c.entries.size(), 1u);
  // A receipt overtook the submit_sm_resp handling: delivered is final.
  auto [ec, s] = call<status_result>([&](auto cb) {
    this->store_->set_status({"m1", message_status::delivered, "", "000", t0 + 2, 0}, cb);
  });
  ASSERT_FALSE(ec);
  auto r = this->complete({outcome(c.entries[0], message_status::submitted, t0 + 3, "0a1b2c")});
  EXPECT_TRUE(r[0].found);
  EXPECT_FALSE(r[0].applied);
  EXPECT_EQ(r[0].current, message_status::delivered);
  EXPECT_FALSE(r[0].event_stored);  // no `submitted` event after `delivered`
  EXPECT_TRUE(r[0].released);       // the entry is done all the same
  EXPECT_EQ(this->message("m1")->status, message_status::delivered);
  EXPECT_TRUE(this->outbox(t0 + 4).empty());
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
  // A second final status never replaces the first one.
  auto r2 = this->complete({outcome(c.entries[0], message_status::failed, t0 + 5, "", "timeout")});
  EXPECT_FALSE(r2[0].applied);
  EXPECT_EQ(r2[0].current, message_status::delivered);
  EXPECT_EQ(this->message("m1")->error, "000");
}

TYPED_TEST(StoreComplete, LostLeaseRecordsStatusAndEventButDoesNotAckTheNewLease) {
  this->admit("m1", number(1));
  auto old = this->claim(t0 + 1, 10, 1000);
  ASSERT_EQ(old.entries.size(), 1u);
  auto now = this->claim(t0 + 1001);  // the lease expired: another worker has it now
  ASSERT_EQ(now.entries.size(), 1u);
  ASSERT_NE(now.entries[0].lease_id, old.entries[0].lease_id);
  auto r = this->complete({outcome(old.entries[0], message_status::submitted, t0 + 1002, "0a1b2c")});
  EXPECT_TRUE(r[0].applied);
  EXPECT_TRUE(r[0].event_stored);
  EXPECT_FALSE(r[0].released);
  EXPECT_EQ(this->message("m1")->status, message_status::submitted);
  EXPECT_EQ(this->outbox(t0 + 1003).size(), 1u);
  // The other worker's lease is intact: its ack works, and nothing is handed out meanwhile.
  EXPECT_TRUE(this->claim(t0 + 1500).entries.empty());
  EXPECT_FALSE(this->ack(now.entries[0]));
}

TYPED_TEST(StoreComplete, UnknownMessageStoresNothing) {
  queue_entry ghost;
  ghost.message.id = "nope";
  ghost.lease_id = "1";
  auto r = this->complete({outcome(ghost, message_status::submitted, t0, "x")});
  EXPECT_FALSE(r[0].found);
  EXPECT_FALSE(r[0].applied);
  EXPECT_FALSE(r[0].event_stored);
  EXPECT_FALSE(r[0].released);
  EXPECT_TRUE(this->outbox(t0 + 1).empty());
  EXPECT_TRUE(this->complete({}).empty());
}

TYPED_TEST(StoreComplete, BatchOfAHundredMixedItemsEachOnItsOwn) {
  constexpr int n = 100;
  for (int i = 0; i < n; ++i) this->admit("m" + std::to_string(i), number(i), t0 + i);
  auto c = this->claim(t0 + n, n);
  ASSERT_EQ(c.entries.size(), static_cast<std::size_t>(n));
  const message_status kinds[] = {message_status::submitted, message_status::rejected, message_status::failed,
                                  message_status::expired};
  std::vector<completion> items;
  for (int i = 0; i < n; ++i) {
    const auto& e = c.entries[i];
    ASSERT_EQ(e.message.id, "m" + std::to_string(i));
    const auto st = kinds[i % 4];
    auto item = outcome(e, st, t0 + 1000 + i, st == message_status::submitted ? "c" + std::to_string(i) : "",
                        st == message_status::submitted ? "" : "e" + std::to_string(i), i % 3 != 0);
    if (i == 50) item.lease_id = "not-ours";  // stays leased
    items.push_back(std::move(item));
  }
  // One unknown message in the middle.
  queue_entry ghost;
  ghost.message.id = "ghost";
  items.insert(items.begin() + 70, outcome(ghost, message_status::submitted, t0, "g"));
  auto r = this->complete(items);
  ASSERT_EQ(r.size(), static_cast<std::size_t>(n + 1));
  int events = 0;
  for (std::size_t k = 0; k < r.size(); ++k) {
    if (k == 70) {
      EXPECT_FALSE(r[k].found);
      EXPECT_FALSE(r[k].event_stored);
      continue;
    }
    const int i = static_cast<int>(k < 70 ? k : k - 1);
    SCOPED_TRACE("item " + std::to_string(i));
    EXPECT_TRUE(r[k].found);
    EXPECT_TRUE(r[k].applied);
    EXPECT_EQ(r[k].current, kinds[i % 4]);
    EXPECT_EQ(r[k].event_stored, i % 3 != 0);
    EXPECT_EQ(r[k].released, i != 50);
    if (i % 3 != 0) ++events;
    auto m = this->message("m" + std::to_string(i));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, kinds[i % 4]);
    EXPECT_EQ(m->updated_at_ms, t0 + 1000 + i);
    if (kinds[i % 4] == message_status::submitted) {
      EXPECT_EQ(m->carrier_message_id, "c" + std::to_string(i));
    } else {
      EXPECT_EQ(m->error, "e" + std::to_string(i));
    }
  }
  auto out = this->outbox(t0 + 5000);
  EXPECT_EQ(static_cast<int>(out.size()), events);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(out.count(event_for("m" + std::to_string(i), kinds[i % 4], 0).event_id), i % 3 != 0 ? 1u : 0u) << i;
  }
  // Only m50 (lease not ours) is still in the queue: handed out again after its lease expires.
  EXPECT_TRUE(this->claim(t0 + n + 29'999, n).entries.empty());
  auto later = this->claim(t0 + n + 30'000, n);
  ASSERT_EQ(later.entries.size(), 1u);
  EXPECT_EQ(later.entries[0].message.id, "m50");
}

// smsgw_messages_resent_after_crash_total counts entries whose previous lease expired unreleased:
// a retry after a nack or a reschedule (pacing, a released hand-off) is no resend after a crash.
TYPED_TEST(StoreComplete, OnlyARedeliveryAfterAnExpiredLeaseIsMarkedLost) {
  this->admit("m1", number(1), t0);
  this->admit("m2", number(2), t0 + 1);
  this->admit("m3", number(3), t0 + 2);
  auto c = this->claim(t0 + 10, 10, 1000);
  ASSERT_EQ(c.entries.size(), 3u);
  for (const auto& e : c.entries) EXPECT_FALSE(e.lease_lost) << e.message.id;
  auto [ec1, d1] = call<done>([&](auto cb) {
    this->store_->nack("sim", "m1", c.entries[0].lease_id, t0 + 20, "ESME_RTHROTTLED", cb);
  });
  ASSERT_FALSE(ec1);
  auto [ec2, d2] = call<done>([&](auto cb) { this->store_->reschedule("sim", "m2", c.entries[1].lease_id, t0 + 20, cb); });
  ASSERT_FALSE(ec2);
  // m3 is never released: its lease expires at t0 + 1010.
  auto retried = this->claim(t0 + 500, 10, 1000);
  ASSERT_EQ(retried.entries.size(), 2u);
  for (const auto& e : retried.entries) {
    EXPECT_EQ(e.deliveries, 2) << e.message.id;
    EXPECT_FALSE(e.lease_lost) << e.message.id;
  }
  auto resent = this->claim(t0 + 1010, 10, 1000);
  ASSERT_EQ(resent.entries.size(), 1u);
  EXPECT_EQ(resent.entries[0].message.id, "m3");
  EXPECT_EQ(resent.entries[0].deliveries, 2);
  EXPECT_TRUE(resent.entries[0].lease_lost);
  // Reported once: released normally this time, its next delivery is an ordinary retry.
  auto [ec3, d3] = call<done>([&](auto cb) { this->store_->reschedule("sim", "m3", resent.entries[0].lease_id, t0 + 1011, cb); });
  ASSERT_FALSE(ec3);
  auto later = this->claim(t0 + 1012, 10, 1000);
  ASSERT_EQ(later.entries.size(), 1u);
  EXPECT_EQ(later.entries[0].deliveries, 3);
  EXPECT_FALSE(later.entries[0].lease_lost);
}

TYPED_TEST(StoreComplete, ClaimHandsSuppressedEntriesBackLeasedAndFlagged) {
  const std::string alice = number(1), bob = number(2);
  this->admit("m1", alice, t0);
  this->admit("m2", bob, t0 + 1);
  auto [ec, d] = call<done>([&](auto cb) { this->store_->suppress({nk(alice), alice, "12345", "stop", "keyword", t0 + 2}, cb); });
  ASSERT_FALSE(ec);
  auto c = this->claim(t0 + 3, 10, 1000);
  ASSERT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(c.entries[0].message.id, "m1");
  EXPECT_TRUE(c.entries[0].suppressed);
  EXPECT_EQ(c.entries[0].deliveries, 1);
  EXPECT_EQ(c.entries[1].message.id, "m2");
  EXPECT_FALSE(c.entries[1].suppressed);
  // The claim did not change it: the status moves with its event, in complete().
  EXPECT_EQ(this->message("m1")->status, message_status::queued);

  // Nobody completes it (the worker died): after the lease the re-check runs again.
  EXPECT_FALSE(this->ack(c.entries[1]));
  EXPECT_TRUE(this->claim(t0 + 1002).entries.empty());
  auto again = this->claim(t0 + 1003);
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_EQ(again.entries[0].message.id, "m1");
  EXPECT_TRUE(again.entries[0].suppressed);
  EXPECT_EQ(again.entries[0].deliveries, 2);
  EXPECT_TRUE(again.entries[0].lease_lost);

  auto r = this->complete({outcome(again.entries[0], message_status::rejected, t0 + 1004, "", "recipient_opted_out")});
  EXPECT_TRUE(r[0].applied);
  EXPECT_TRUE(r[0].event_stored);
  EXPECT_TRUE(r[0].released);
  auto m = this->message("m1");
  EXPECT_EQ(m->status, message_status::rejected);
  EXPECT_EQ(m->error, "recipient_opted_out");
  auto events = this->outbox(t0 + 1005);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.begin()->first, event_for("m1", message_status::rejected, 0).event_id);
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
}

TYPED_TEST(StoreComplete, ScheduledSuppressedEntryKeepsItsStatusUntilCompleted) {
  const std::string alice = number(1);
  auto req = base_request("m1", alice, t0);
  req.message.send_at_ms = t0 + 1000;
  auto [ec, a] = call<admit_result>([&](auto cb) { this->store_->admit(req, cb); });
  ASSERT_FALSE(ec);
  ASSERT_EQ(a.status, message_status::scheduled);
  auto [ec2, d] = call<done>([&](auto cb) { this->store_->suppress({nk(alice), alice, "", "stop", "keyword", t0 + 2}, cb); });
  ASSERT_FALSE(ec2);
  auto c = this->claim(t0 + 1000);
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_TRUE(c.entries[0].suppressed);
  EXPECT_EQ(this->message("m1")->status, message_status::scheduled);
}

// Direct hand-off (admit_request::lease_ms): the store leases the admitted message to the caller
// in the admission step instead of queueing it.
TYPED_TEST(StoreComplete, MessageLeasedAtAdmissionIsNotClaimedAndIsCompletedWithItsLease) {
  auto req = base_request("d1", number(1), t0);
  auto r = this->admit_leased(req);
  ASSERT_TRUE(r.accepted());
  EXPECT_EQ(r.status, message_status::queued);
  ASSERT_FALSE(r.lease_id.empty());
  EXPECT_TRUE(this->claim(t0 + 1).entries.empty());  // not on the ready queue: it is ours already
  auto [sec, st] = call<store::queue_stats>([&](auto cb) { this->store_->stats("sim", t0 + 1, cb); });
  ASSERT_FALSE(sec);
  EXPECT_EQ(st.ready, 0);
  EXPECT_EQ(st.leased, 1);
  EXPECT_EQ(this->message("d1")->status, message_status::queued);

  queue_entry e;
  e.message = req.message;
  e.lease_id = r.lease_id;
  auto done = this->complete({outcome(e, message_status::submitted, t0 + 2, "0a1b2c")});
  EXPECT_TRUE(done[0].applied);
  EXPECT_TRUE(done[0].event_stored);
  EXPECT_TRUE(done[0].released);
  EXPECT_EQ(this->message("d1")->status, message_status::submitted);
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());  // released: never handed out again
}

TYPED_TEST(StoreComplete, MessageLeasedAtAdmissionIsClaimedAgainWhenItsLeaseExpires) {
  auto req = base_request("d1", number(1), t0);
  auto r = this->admit_leased(req);
  ASSERT_FALSE(r.lease_id.empty());
  // The gateway "crashes" before sending it: nothing until the lease expires, then a redelivery.
  EXPECT_TRUE(this->claim(t0 + 29999).entries.empty());
  auto again = this->claim(t0 + 30000);
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_EQ(again.entries[0].message.id, "d1");
  EXPECT_EQ(again.entries[0].message.e164, number(1));
  EXPECT_EQ(again.entries[0].message.text, "Hello");
  EXPECT_EQ(again.entries[0].deliveries, 2);
  EXPECT_TRUE(again.entries[0].lease_lost);  // counted as a resend after a crash
  EXPECT_NE(again.entries[0].lease_id, r.lease_id);
  queue_entry stale;
  stale.message = req.message;
  stale.lease_id = r.lease_id;
  EXPECT_EQ(this->ack(stale), make_error_code(store_errc::lease_lost));  // the admission's lease is void
  EXPECT_FALSE(this->ack(again.entries[0]));
}

TYPED_TEST(StoreComplete, OnlyMessagesThatWouldBeQueuedAreLeasedAtAdmission) {
  // Scheduled: it waits in the schedule, leased by the claim that finds it due.
  auto later = base_request("s1", number(1), t0);
  later.message.send_at_ms = t0 + 60000;
  auto r = this->admit_leased(later);
  EXPECT_EQ(r.status, message_status::scheduled);
  EXPECT_TRUE(r.lease_id.empty());
  auto due = this->claim(t0 + 60000);
  ASSERT_EQ(due.entries.size(), 1u);
  EXPECT_EQ(due.entries[0].message.id, "s1");
  EXPECT_FALSE(this->ack(due.entries[0]));
  // Refused (the number opted out): nothing is leased or stored.
  auto [sec, sd] = call<done>([&](auto cb) {
    this->store_->suppress({nk(number(2)), number(2), "", "stop", "keyword", t0}, cb);
  });
  ASSERT_FALSE(sec);
  auto r2 = this->admit_leased(base_request("x1", number(2), t0));
  EXPECT_FALSE(r2.accepted());
  EXPECT_EQ(r2.refused, reason::recipient_opted_out);
  EXPECT_TRUE(r2.lease_id.empty());
  EXPECT_FALSE(this->message("x1"));
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
}

}  // namespace
