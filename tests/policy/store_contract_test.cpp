// The store contract: every behaviour the gateway relies on, run against both implementations
// (typed suite StoreContract/Sqlite and StoreContract/Redis). The Redis instance comes from
// SMSGW_TEST_REDIS_URL (tools/test); without it the Redis cases fail in CI and skip locally.

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <set>

#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
constexpr std::int64_t hour = 3600 * 1000;
constexpr std::int64_t day = 24 * hour;

const std::string alice = "+14155550123";
const std::string bob = "+14155550124";

std::string nk(const std::string& e164) { return test_secrets()->key(e164); }

admit_request request(const std::string& id, const std::string& e164, std::int64_t now,
                      const std::string& sender = "12345", const std::string& category = "marketing") {
  admit_request r;
  r.sender = sender;
  r.category = category;
  r.now_ms = now;
  r.message.id = id;
  r.message.number_key = nk(e164);
  r.message.e164 = e164;
  r.message.carrier = "sim";
  r.message.sender = sender;
  r.message.text = "Hello from " + sender;
  r.message.category = category;
  r.message.segments = 1;
  r.message.encoding = "gsm7";
  r.message.created_at_ms = now;
  r.message.valid_until_ms = now + 2 * day;
  return r;
}

template <class B>
class StoreContract : public store_fixture<B> {
 protected:
  using store_fixture<B>::store_;
  using store_fixture<B>::backend_;

  admit_result admit(admit_request r, store* s = nullptr) {
    auto [ec, res] = call<admit_result>([&](auto cb) { (s ? s : store_.get())->admit(std::move(r), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }
  void suppress(const std::string& e164, const std::string& sender, std::int64_t at = t0) {
    auto [ec, d] = call<done>([&](auto cb) {
      store_->suppress({nk(e164), e164, sender, "stop", "keyword", at}, cb);
    });
    EXPECT_FALSE(ec) << ec.message();
  }
  void grant(const std::string& e164, const std::string& category, const std::string& sender, std::int64_t at) {
    auto [ec, d] = call<done>([&](auto cb) {
      store_->grant_consent({nk(e164), e164, category, sender, "api", "web form 42", at}, cb);
    });
    EXPECT_FALSE(ec) << ec.message();
  }
  bool revoke(const std::string& e164, const std::string& category, const std::string& sender, std::int64_t at) {
    auto [ec, removed] = call<bool>([&](auto cb) {
      store_->revoke_consent({nk(e164), e164, category, sender, "keyword", "STOP", at}, cb);
    });
    EXPECT_FALSE(ec) << ec.message();
    return removed;
  }
  claim_result claim(std::int64_t now, int max = 10, std::int64_t lease = 30000, const std::string& carrier = "sim") {
    auto [ec, r] = call<claim_result>([&](auto cb) { store_->claim({carrier, max, lease, now}, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
  std::optional<message_record> message(const std::string& id) {
    auto [ec, m] = call<std::optional<message_record>>([&](auto cb) { store_->get_message(id, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return m;
  }
  std::error_code ack(const queue_entry& e) {
    return call<done>([&](auto cb) { store_->ack("sim", e.message.id, e.lease_id, cb); }).first;
  }
  status_result set_status(const std::string& id, message_status st, std::int64_t at, const std::string& cmid = "",
                           const std::string& error = "") {
    auto [ec, r] = call<status_result>([&](auto cb) { store_->set_status({id, st, cmid, error, at, 0}, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
};

TYPED_TEST_SUITE(StoreContract, backends, backend_names);

TYPED_TEST(StoreContract, HealthIsOk) {
  auto [ec, h] = call<health_info>([&](auto cb) { this->store_->health(cb); });
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(h.ok);
  EXPECT_FALSE(h.detail.empty());
}

TYPED_TEST(StoreContract, AcceptedMessageIsQueuedAndReadable) {
  auto r = this->admit(request("m1", alice, t0));
  EXPECT_TRUE(r.accepted());
  EXPECT_EQ(r.status, message_status::queued);
  EXPECT_EQ(r.send_at_ms, t0);
  auto m = this->message("m1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->e164, alice);  // sealed at rest, opened on read
  EXPECT_EQ(m->number_key, nk(alice));
  EXPECT_EQ(m->text, "Hello from 12345");
  EXPECT_EQ(m->status, message_status::queued);
  EXPECT_EQ(m->carrier, "sim");
  EXPECT_EQ(m->valid_until_ms, t0 + 2 * day);
  EXPECT_FALSE(this->message("nope"));
}

TYPED_TEST(StoreContract, MessageRemembersTheApiKeyThatSentIt) {
  auto req = request("m-key", alice, t0);
  req.message.api_key = "billing";
  EXPECT_TRUE(this->admit(req).accepted());
  auto m = this->message("m-key");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->api_key, "billing");  // status webhooks go to this key's URLs
  auto claimed = this->claim(t0);
  ASSERT_EQ(claimed.entries.size(), 1u);
  EXPECT_EQ(claimed.entries[0].message.api_key, "billing");
}

TYPED_TEST(StoreContract, StopStoredBeforeAdmitRefusesAndEnqueuesNothing) {
  this->suppress(alice, "12345");
  auto r = this->admit(request("m1", alice, t0));
  EXPECT_EQ(r.refused, reason::recipient_opted_out);
  EXPECT_FALSE(this->message("m1"));
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
}

TYPED_TEST(StoreContract, SenderSuppressionOnlyBlocksThatSenderWithSenderScope) {
  this->suppress(alice, "12345");
  auto other = request("m1", alice, t0, "+14155550100");
  EXPECT_TRUE(this->admit(other).accepted());
  auto global = request("m2", alice, t0, "+14155550100");
  global.scope = opt_out_scope::global;  // any suppression of the number counts
  EXPECT_EQ(this->admit(global).refused, reason::recipient_opted_out);
  EXPECT_EQ(this->admit(request("m3", bob, t0)).refused, reason::none);
}

TYPED_TEST(StoreContract, GlobalSuppressionBlocksEverySender) {
  this->suppress(alice, "");  // STOPALL / DNC
  EXPECT_EQ(this->admit(request("m1", alice, t0, "12345")).refused, reason::recipient_opted_out);
  EXPECT_EQ(this->admit(request("m2", alice, t0, "+14155550100")).refused, reason::recipient_opted_out);
}

TYPED_TEST(StoreContract, UnsuppressAndIsSuppressed) {
  this->suppress(alice, "12345");
  auto check = [&](const std::string& sender, opt_out_scope scope) {
    auto [ec, v] = call<bool>([&](auto cb) { this->store_->is_suppressed(nk(alice), sender, scope, cb); });
    EXPECT_FALSE(ec);
    return v;
  };
  EXPECT_TRUE(check("12345", opt_out_scope::sender));
  EXPECT_FALSE(check("99999", opt_out_scope::sender));
  EXPECT_TRUE(check("99999", opt_out_scope::global));
  auto [ec, removed] = call<bool>([&](auto cb) { this->store_->unsuppress(nk(alice), "12345", cb); });
  EXPECT_FALSE(ec);
  EXPECT_TRUE(removed);
  EXPECT_FALSE(check("12345", opt_out_scope::sender));
  auto [ec2, removed2] = call<bool>([&](auto cb) { this->store_->unsuppress(nk(alice), "12345", cb); });
  EXPECT_FALSE(ec2);
  EXPECT_FALSE(removed2);
  EXPECT_TRUE(this->admit(request("m1", alice, t0)).accepted());
}

TYPED_TEST(StoreContract, SuppressIsIdempotentAndKeepsFirstTime) {
  this->suppress(alice, "12345", t0);
  this->suppress(alice, "12345", t0 + hour);
  auto [ec, f] = call<number_facts>([&](auto cb) { this->store_->lookup_number(nk(alice), cb); });
  ASSERT_FALSE(ec);
  ASSERT_EQ(f.suppressions.size(), 1u);
  EXPECT_EQ(f.suppressions[0].at_ms, t0);
  EXPECT_EQ(f.suppressions[0].e164, alice);
  EXPECT_EQ(f.suppressions[0].reason, "stop");
  EXPECT_EQ(f.suppressions[0].source, "keyword");
}

TYPED_TEST(StoreContract, ConsentRequiredMissingGrantedRevoked) {
  auto req = [&](const std::string& id, std::int64_t now) {
    auto r = request(id, alice, now);
    r.consent_required = true;
    return r;
  };
  EXPECT_EQ(this->admit(req("m1", t0)).refused, reason::no_consent);
  this->grant(alice, "marketing", "", t0 + 1);
  EXPECT_TRUE(this->admit(req("m2", t0 + 2)).accepted());
  EXPECT_TRUE(this->revoke(alice, "marketing", "", t0 + 3));
  EXPECT_EQ(this->admit(req("m3", t0 + 4)).refused, reason::no_consent);
  EXPECT_FALSE(this->revoke(alice, "marketing", "", t0 + 5));  // nothing left to revoke

  auto [ec, f] = call<number_facts>([&](auto cb) { this->store_->lookup_number(nk(alice), cb); });
  ASSERT_FALSE(ec);
  EXPECT_TRUE(f.consents.empty());
  ASSERT_EQ(f.ledger.size(), 3u);  // revocations are kept
  EXPECT_TRUE(f.ledger[0].granted);
  EXPECT_EQ(f.ledger[0].record.evidence, "web form 42");
  EXPECT_EQ(f.ledger[0].record.e164, alice);
  EXPECT_FALSE(f.ledger[1].granted);
  EXPECT_EQ(f.ledger[1].record.at_ms, t0 + 3);
  EXPECT_FALSE(f.ledger[2].granted);
}

TYPED_TEST(StoreContract, ConsentForOtherCategoryDoesNotCount) {
  this->grant(alice, "alerts", "", t0);
  auto r = request("m1", alice, t0);
  r.consent_required = true;
  EXPECT_EQ(this->admit(r).refused, reason::no_consent);
}

TYPED_TEST(StoreContract, ConsentPerSender) {
  this->grant(alice, "marketing", "12345", t0);
  auto r = request("m1", alice, t0, "+14155550100");
  r.consent_required = true;
  r.consent_per_sender = true;
  EXPECT_EQ(this->admit(r).refused, reason::no_consent);  // consent was given to 12345 only
  auto r2 = request("m2", alice, t0, "12345");
  r2.consent_required = true;
  r2.consent_per_sender = true;
  EXPECT_TRUE(this->admit(r2).accepted());
  auto r3 = request("m3", alice, t0, "+14155550100");
  r3.consent_required = true;  // not per sender: any consent for the category counts
  EXPECT_TRUE(this->admit(r3).accepted());
}

TYPED_TEST(StoreContract, SuppressionWinsOverConsent) {
  this->grant(alice, "marketing", "", t0);
  this->suppress(alice, "12345");
  auto r = request("m1", alice, t0);
  r.consent_required = true;
  EXPECT_EQ(this->admit(r).refused, reason::recipient_opted_out);
}

TYPED_TEST(StoreContract, CapThreePer24HoursRefusesTheFourthAndSlides) {
  auto req = [&](const std::string& id, std::int64_t now, const std::string& sender = "12345") {
    auto r = request(id, alice, now, sender);
    r.caps = {{24 * 3600, 3, false}};
    return r;
  };
  EXPECT_TRUE(this->admit(req("m1", t0)).accepted());
  EXPECT_TRUE(this->admit(req("m2", t0 + 1 * hour)).accepted());
  EXPECT_TRUE(this->admit(req("m3", t0 + 2 * hour, "+14155550100")).accepted());  // across senders
  EXPECT_EQ(this->admit(req("m4", t0 + 3 * hour)).refused, reason::frequency_capped);
  EXPECT_FALSE(this->message("m4"));
  // Sliding: m1 leaves the window exactly 24 h after it was admitted.
  EXPECT_EQ(this->admit(req("m5", t0 + day - 1)).refused, reason::frequency_capped);
  EXPECT_TRUE(this->admit(req("m6", t0 + day)).accepted());
  EXPECT_EQ(this->admit(req("m7", t0 + day + 1)).refused, reason::frequency_capped);
  // Other numbers and other categories have their own counters.
  auto other = req("m8", t0 + day);
  other.message.number_key = nk(bob);
  other.message.e164 = bob;
  EXPECT_TRUE(this->admit(other).accepted());
  auto cat = req("m9", t0 + day);
  cat.category = "alerts";
  EXPECT_TRUE(this->admit(cat).accepted());
}

TYPED_TEST(StoreContract, SeveralCapsAndPerCampaignCaps) {
  auto req = [&](const std::string& id, std::int64_t now, const std::string& campaign) {
    auto r = request(id, alice, now);
    r.campaign = campaign;
    r.caps = {{3600, 2, true}, {24 * 3600, 3, false}};
    return r;
  };
  EXPECT_TRUE(this->admit(req("m1", t0, "spring")).accepted());
  EXPECT_TRUE(this->admit(req("m2", t0 + 1, "spring")).accepted());
  EXPECT_EQ(this->admit(req("m3", t0 + 2, "spring")).refused, reason::frequency_capped);  // 2 per hour per campaign
  EXPECT_TRUE(this->admit(req("m4", t0 + 3, "summer")).accepted());
  EXPECT_EQ(this->admit(req("m5", t0 + 2 * hour, "autumn")).refused, reason::frequency_capped);  // 3 per day
}

TYPED_TEST(StoreContract, RefusedMessagesReserveNoCapSlot) {
  auto req = [&](const std::string& id, std::int64_t now) {
    auto r = request(id, alice, now);
    r.caps = {{3600, 1, false}};
    r.quiet.k = quiet_outcome::kind::reject;
    return r;
  };
  EXPECT_EQ(this->admit(req("m1", t0)).refused, reason::quiet_hours);
  auto ok = req("m2", t0 + 1);
  ok.quiet.k = quiet_outcome::kind::allowed;
  EXPECT_TRUE(this->admit(ok).accepted());
}

TYPED_TEST(StoreContract, QuietDeferSchedulesAndTheEntryAppearsOnlyWhenDue) {
  auto r = request("m1", alice, t0);
  r.quiet.k = quiet_outcome::kind::defer;
  r.quiet.defer_until_ms = t0 + 5 * hour;
  auto res = this->admit(r);
  EXPECT_TRUE(res.accepted());
  EXPECT_EQ(res.status, message_status::scheduled);
  EXPECT_EQ(res.send_at_ms, t0 + 5 * hour);
  EXPECT_EQ(this->message("m1")->status, message_status::scheduled);
  EXPECT_TRUE(this->claim(t0 + 5 * hour - 1).entries.empty());
  auto c = this->claim(t0 + 5 * hour);
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].message.id, "m1");
  EXPECT_EQ(c.entries[0].message.status, message_status::queued);
  EXPECT_EQ(c.entries[0].message.e164, alice);
}

TYPED_TEST(StoreContract, RequestedSendAtSchedules) {
  auto r = request("m1", alice, t0);
  r.message.send_at_ms = t0 + hour;
  auto res = this->admit(r);
  EXPECT_EQ(res.status, message_status::scheduled);
  EXPECT_EQ(res.send_at_ms, t0 + hour);
}

TYPED_TEST(StoreContract, IdempotentAdmissionCreatesOneMessage) {
  auto r = request("m1", alice, t0);
  r.idempotency_key = "dev:order-42";
  r.request_hash = "h1";
  EXPECT_TRUE(this->admit(r).accepted());
  auto again = request("m2", alice, t0 + 1);
  again.idempotency_key = "dev:order-42";
  again.request_hash = "h2";
  auto res = this->admit(again);
  EXPECT_TRUE(res.duplicate);
  EXPECT_FALSE(res.accepted());
  EXPECT_EQ(res.existing_message_id, "m1");
  EXPECT_EQ(res.existing_request_hash, "h1");
  EXPECT_FALSE(this->message("m2"));
  // The first response is completed later and returned to replays.
  auto [ec, rec] = call<idempotency_record>([&](auto cb) {
    this->store_->idempotency_put({"dev:order-42", "h1", "m1", R"({"id":"m1"})", 0, 0}, t0 + 2, cb);
  });
  ASSERT_FALSE(ec);
  EXPECT_EQ(rec.response, R"({"id":"m1"})");
  auto [ec2, got] = call<std::optional<idempotency_record>>([&](auto cb) {
    this->store_->idempotency_get("dev:order-42", t0 + 3, cb);
  });
  ASSERT_FALSE(ec2);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->message_id, "m1");
  EXPECT_EQ(got->request_hash, "h1");
  EXPECT_EQ(got->response, R"({"id":"m1"})");
}

TYPED_TEST(StoreContract, IdempotencyPutIsInsertIfAbsent) {
  auto [ec, first] = call<idempotency_record>([&](auto cb) {
    this->store_->idempotency_put({"k", "hash-a", "", "resp-a", 0, 0}, t0, cb);
  });
  ASSERT_FALSE(ec);
  EXPECT_EQ(first.request_hash, "hash-a");
  EXPECT_EQ(first.expires_at_ms, t0 + day);
  auto [ec2, second] = call<idempotency_record>([&](auto cb) {
    this->store_->idempotency_put({"k", "hash-b", "", "resp-b", 0, 0}, t0 + 1, cb);
  });
  ASSERT_FALSE(ec2);
  EXPECT_EQ(second.request_hash, "hash-a");  // mismatch is visible to the caller
  EXPECT_EQ(second.response, "resp-a");
  auto [ec3, none] = call<std::optional<idempotency_record>>([&](auto cb) {
    this->store_->idempotency_get("absent", t0, cb);
  });
  ASSERT_FALSE(ec3);
  EXPECT_FALSE(none);
}

TYPED_TEST(StoreContract, QueueHandsOutInOrderAndAckRemoves) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(this->admit(request("m" + std::to_string(i), alice, t0 + i)).accepted());
  }
  auto other = request("x1", bob, t0);
  other.message.carrier = "other";
  EXPECT_TRUE(this->admit(other).accepted());

  auto c = this->claim(t0 + 10, 3);
  ASSERT_EQ(c.entries.size(), 3u);
  EXPECT_EQ(c.entries[0].message.id, "m0");
  EXPECT_EQ(c.entries[1].message.id, "m1");
  EXPECT_EQ(c.entries[2].message.id, "m2");
  EXPECT_EQ(c.entries[0].deliveries, 1);
  for (auto& e : c.entries) EXPECT_FALSE(this->ack(e));
  auto c2 = this->claim(t0 + 11, 10);
  ASSERT_EQ(c2.entries.size(), 2u);
  EXPECT_EQ(c2.entries[0].message.id, "m3");
  EXPECT_EQ(c2.entries[1].message.id, "m4");
  for (auto& e : c2.entries) EXPECT_FALSE(this->ack(e));
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
  auto o = this->claim(t0 + 12, 10, 30000, "other");
  ASSERT_EQ(o.entries.size(), 1u);
  EXPECT_EQ(o.entries[0].message.id, "x1");
}

TYPED_TEST(StoreContract, ExpiredLeaseIsReclaimedAtLeastOnce) {
  EXPECT_TRUE(this->admit(request("m1", alice, t0)).accepted());
  auto c = this->claim(t0, 10, 30000);
  ASSERT_EQ(c.entries.size(), 1u);
  // The worker "crashes": no ack. Before the lease expires nothing is handed out...
  EXPECT_TRUE(this->claim(t0 + 29999).entries.empty());
  // ...after it, the same message again, marked as a redelivery.
  auto again = this->claim(t0 + 30000);
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_EQ(again.entries[0].message.id, "m1");
  EXPECT_EQ(again.entries[0].deliveries, 2);
  EXPECT_NE(again.entries[0].lease_id, c.entries[0].lease_id);
  EXPECT_EQ(this->ack(c.entries[0]), make_error_code(store_errc::lease_lost));  // the old lease is void
  EXPECT_FALSE(this->ack(again.entries[0]));
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
}

TYPED_TEST(StoreContract, NackRetriesLaterAndCountsAttempts) {
  EXPECT_TRUE(this->admit(request("m1", alice, t0)).accepted());
  auto c = this->claim(t0);
  ASSERT_EQ(c.entries.size(), 1u);
  auto [ec, d] = call<done>([&](auto cb) {
    this->store_->nack("sim", "m1", c.entries[0].lease_id, t0 + 60000, "ESME_RTHROTTLED", cb);
  });
  EXPECT_FALSE(ec);
  EXPECT_TRUE(this->claim(t0 + 59999).entries.empty());
  auto c2 = this->claim(t0 + 60000);
  ASSERT_EQ(c2.entries.size(), 1u);
  EXPECT_EQ(c2.entries[0].message.attempts, 1);
  EXPECT_EQ(c2.entries[0].message.error, "ESME_RTHROTTLED");
  auto [ec2, d2] = call<done>([&](auto cb) {
    this->store_->reschedule("sim", "m1", c2.entries[0].lease_id, t0 + 70000, cb);
  });
  EXPECT_FALSE(ec2);
  auto c3 = this->claim(t0 + 70000);
  ASSERT_EQ(c3.entries.size(), 1u);
  EXPECT_EQ(c3.entries[0].message.attempts, 1);  // reschedule is not an attempt
}

TYPED_TEST(StoreContract, ClaimFlagsMessagesWhoseNumberSentStopAfterAcceptance) {
  EXPECT_TRUE(this->admit(request("m1", alice, t0)).accepted());
  EXPECT_TRUE(this->admit(request("m2", bob, t0 + 1)).accepted());
  this->suppress(alice, "12345", t0 + 2);
  auto c = this->claim(t0 + 3);
  ASSERT_EQ(c.entries.size(), 2u);  // both leased; m1 flagged (completed as rejected: complete())
  EXPECT_EQ(c.entries[0].message.id, "m1");
  EXPECT_TRUE(c.entries[0].suppressed);
  EXPECT_EQ(c.entries[1].message.id, "m2");
  EXPECT_FALSE(c.entries[1].suppressed);
  EXPECT_FALSE(this->ack(c.entries[0]));
  EXPECT_FALSE(this->ack(c.entries[1]));
  EXPECT_TRUE(this->claim(t0 + day).entries.empty());
}

TYPED_TEST(StoreContract, StatusMovesForwardOnlyAndCorrelatesReceipts) {
  EXPECT_TRUE(this->admit(request("m1", alice, t0)).accepted());
  auto s = this->set_status("m1", message_status::submitted, t0 + 1, "0a1b2c");
  EXPECT_TRUE(s.applied);
  auto [ec, id] = call<std::optional<std::string>>([&](auto cb) { this->store_->correlate("sim", "0a1b2c", t0 + 2, cb); });
  ASSERT_FALSE(ec);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "m1");
  auto [ec2, none] = call<std::optional<std::string>>([&](auto cb) { this->store_->correlate("other", "0a1b2c", t0 + 2, cb); });
  ASSERT_FALSE(ec2);
  EXPECT_FALSE(none);

  EXPECT_TRUE(this->set_status("m1", message_status::delivered, t0 + 3, "", "000").applied);
  auto late = this->set_status("m1", message_status::submitted, t0 + 4);  // a late ENROUTE / resp
  EXPECT_FALSE(late.applied);
  EXPECT_EQ(late.current, message_status::delivered);
  EXPECT_FALSE(this->set_status("m1", message_status::undeliverable, t0 + 5).applied);  // first final wins
  auto m = this->message("m1");
  EXPECT_EQ(m->status, message_status::delivered);
  EXPECT_EQ(m->carrier_message_id, "0a1b2c");
  EXPECT_EQ(m->error, "000");
  EXPECT_EQ(m->updated_at_ms, t0 + 3);
  auto unknown = this->set_status("nope", message_status::delivered, t0);
  EXPECT_FALSE(unknown.found);
  EXPECT_FALSE(unknown.applied);
}

TYPED_TEST(StoreContract, BatchAdmitDecidesEachInOrder) {
  std::vector<admit_request> reqs;
  for (int i = 0; i < 5; ++i) {
    auto r = request("b" + std::to_string(i), alice, t0 + i);
    r.caps = {{3600, 3, false}};
    reqs.push_back(r);
  }
  auto sup = request("b5", bob, t0);
  reqs.push_back(sup);
  this->suppress(bob, "");
  auto [ec, res] = call<std::vector<admit_result>>([&](auto cb) { this->store_->admit_batch(reqs, cb); });
  ASSERT_FALSE(ec);
  ASSERT_EQ(res.size(), 6u);
  EXPECT_TRUE(res[0].accepted());
  EXPECT_TRUE(res[1].accepted());
  EXPECT_TRUE(res[2].accepted());
  EXPECT_EQ(res[3].refused, reason::frequency_capped);
  EXPECT_EQ(res[4].refused, reason::frequency_capped);
  EXPECT_EQ(res[5].refused, reason::recipient_opted_out);
}

TYPED_TEST(StoreContract, QueueStats) {
  EXPECT_TRUE(this->admit(request("m1", alice, t0)).accepted());
  EXPECT_TRUE(this->admit(request("m2", alice, t0 + 1)).accepted());
  auto later = request("m3", bob, t0);
  later.quiet = {quiet_outcome::kind::defer, t0 + hour};
  EXPECT_TRUE(this->admit(later).accepted());
  this->claim(t0 + 2, 1);
  auto [ec, st] = call<store::queue_stats>([&](auto cb) { this->store_->stats("sim", t0 + 3, cb); });
  ASSERT_FALSE(ec);
  EXPECT_EQ(st.ready, 1);
  EXPECT_EQ(st.scheduled, 1);
  EXPECT_EQ(st.leased, 1);
  EXPECT_EQ(st.oldest_ready_ms, t0 + 1);
}

TYPED_TEST(StoreContract, WebhookOutboxDeliversRetriesAndKeepsDeadLetters) {
  auto put = [&](const std::string& id, std::int64_t at) {
    auto [ec, d] = call<done>([&](auto cb) {
      this->store_->outbox_put({id, "status", "https://app.example/hook", R"({"id":")" + id + "\"}", 0, at, at, "", ""}, cb);
    });
    EXPECT_FALSE(ec) << ec.message();
  };
  auto claim = [&](std::int64_t now, int max = 10) {
    auto [ec, v] = call<std::vector<webhook_event>>([&](auto cb) { this->store_->outbox_claim(max, 10000, now, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return v;
  };
  put("ev1", t0);
  put("ev2", t0 + 1);
  put("ev1", t0 + 2);  // idempotent on event_id
  auto c = claim(t0 + 5);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].event_id, "ev1");
  EXPECT_EQ(c[0].body, R"({"id":"ev1"})");
  EXPECT_EQ(c[0].target, "https://app.example/hook");
  EXPECT_TRUE(claim(t0 + 6).empty());  // leased

  // ev1 delivered; ev2 failed: retried later, then dead.
  EXPECT_FALSE(call<done>([&](auto cb) { this->store_->outbox_ack("ev1", c[0].lease_id, cb); }).first);
  EXPECT_FALSE(call<done>([&](auto cb) {
    this->store_->outbox_retry("ev2", c[1].lease_id, t0 + 60000, "HTTP 500", false, cb);
  }).first);
  EXPECT_TRUE(claim(t0 + 59999).empty());
  auto c2 = claim(t0 + 60000);
  ASSERT_EQ(c2.size(), 1u);
  EXPECT_EQ(c2[0].event_id, "ev2");
  EXPECT_EQ(c2[0].attempts, 1);
  EXPECT_EQ(c2[0].last_error, "HTTP 500");
  // A stale lease cannot touch it.
  EXPECT_EQ(call<done>([&](auto cb) { this->store_->outbox_ack("ev2", c[1].lease_id, cb); }).first,
            make_error_code(store_errc::lease_lost));
  EXPECT_FALSE(call<done>([&](auto cb) {
    this->store_->outbox_retry("ev2", c2[0].lease_id, t0 + 61000, "timeout", true, cb);
  }).first);
  EXPECT_TRUE(claim(t0 + 10 * day).empty());  // dead letters are not retried
  auto [ec, dead] = call<std::vector<webhook_event>>([&](auto cb) { this->store_->dead_letters(10, cb); });
  ASSERT_FALSE(ec);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].event_id, "ev2");
  EXPECT_EQ(dead[0].attempts, 2);
  EXPECT_EQ(dead[0].last_error, "timeout");

  auto [ec2, replayed] = call<bool>([&](auto cb) { this->store_->replay_dead_letter("ev2", t0 + 11 * day, cb); });
  ASSERT_FALSE(ec2);
  EXPECT_TRUE(replayed);
  auto c3 = claim(t0 + 11 * day);
  ASSERT_EQ(c3.size(), 1u);
  EXPECT_EQ(c3[0].attempts, 0);
  auto [ec3, none] = call<std::vector<webhook_event>>([&](auto cb) { this->store_->dead_letters(10, cb); });
  ASSERT_FALSE(ec3);
  EXPECT_TRUE(none.empty());
  // Lease expiry: handed out again (at-least-once).
  auto c4 = claim(t0 + 11 * day + 10000);
  ASSERT_EQ(c4.size(), 1u);
  EXPECT_NE(c4[0].lease_id, c3[0].lease_id);
}

// Two gateway instances (two store instances, two connections) race for one number's cap.
TYPED_TEST(StoreContract, ConcurrentReservationsFromTwoInstancesNeverExceedTheCap) {
  auto second = this->backend_.make();
  ASSERT_TRUE(second);
  constexpr int n = 200;
  std::vector<std::shared_ptr<std::promise<admit_result>>> promises;
  std::vector<std::future<admit_result>> futures;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    promises.push_back(std::make_shared<std::promise<admit_result>>());
    futures.push_back(promises.back()->get_future());
  }
  // Two threads, each firing 100 admissions without waiting, one per store instance.
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      store* s = t == 0 ? this->store_.get() : second.get();
      for (int i = t; i < n; i += 2) {
        auto r = request("c" + std::to_string(i), alice, t0 + i);
        r.caps = {{24 * 3600, 3, false}};
        s->admit(r, [p = promises[i]](std::error_code ec, admit_result res) {
          if (ec) res.refused = reason::invalid_number;  // counted as a failure below
          p->set_value(res);
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  int accepted = 0, capped = 0, other = 0;
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    auto r = f.get();
    if (r.accepted()) {
      ++accepted;
    } else if (r.refused == reason::frequency_capped) {
      ++capped;
    } else {
      ++other;
    }
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(capped, 197);
  EXPECT_EQ(other, 0);
  this->backend_.release(second);
}

}  // namespace
