// Frequency caps and the admission layout after the admit slimming (issue 4, docs/stores.md
// "Admission script"): exact window boundaries with several rules, admission times arriving out
// of order, caps above and below the Redis string/zset threshold and a change of max between
// them (typed suite AdmitCaps/Sqlite and AdmitCaps/Redis); then what the Redis store writes
// (suite RedisAdmitLayout): the cap key representations, the message hash fields other scripts
// read, and the HSET path when RESTORE is refused.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "policy/redis_connection.hpp"
#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
constexpr std::int64_t hour = 3600 * 1000;
constexpr std::int64_t day = 24 * hour;

const std::string alice = "+14155550123";

admit_request request(const std::string& id, std::int64_t now, std::vector<cap_rule> caps,
                      const std::string& campaign = "") {
  admit_request r = base_request(id, alice, now);
  r.campaign = campaign;
  r.caps = std::move(caps);
  r.message.text = "Hello from 12345";
  r.message.valid_until_ms = now + 2 * day;
  return r;
}

template <class B>
class AdmitCaps : public store_fixture<B> {
 protected:
  admit_result admit(admit_request r) {
    auto [ec, res] = call<admit_result>([&](auto cb) { this->store_->admit(std::move(r), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }
  // A refusal by caps: the rule it names and when that rule allows the next message.
  admit_result::cap_reached refusal(const std::string& id, std::int64_t now, std::vector<cap_rule> caps,
                                    const std::string& campaign = "") {
    auto r = admit(request(id, now, std::move(caps), campaign));
    EXPECT_EQ(r.refused, reason::frequency_capped) << id;
    EXPECT_TRUE(r.cap) << id;
    return r.cap.value_or(admit_result::cap_reached{{0, 99, false}, -1});
  }
  bool accepted(const std::string& id, std::int64_t now, std::vector<cap_rule> caps, const std::string& campaign = "") {
    auto r = admit(request(id, now, std::move(caps), campaign));
    EXPECT_TRUE(r.accepted() || r.refused == reason::frequency_capped) << id << ": " << static_cast<int>(r.refused);
    return r.accepted();
  }
};

TYPED_TEST_SUITE(AdmitCaps, backends, backend_names);

// An admission at t counts for a window w while now - t < w: at t + w it no longer does.
TYPED_TEST(AdmitCaps, EachOfSeveralRulesHasAnExactWindowBoundary) {
  const std::vector<cap_rule> rules = {{3600, 2, false}, {24 * 3600, 3, false}};
  EXPECT_TRUE(this->accepted("m1", t0, rules));
  EXPECT_TRUE(this->accepted("m2", t0 + 1, rules));
  EXPECT_FALSE(this->accepted("m3", t0 + hour - 1, rules));  // 2 in the last hour
  EXPECT_TRUE(this->accepted("m4", t0 + hour, rules));       // m1 left the hour
  EXPECT_FALSE(this->accepted("m5", t0 + hour + 1, rules));  // 3 in the last day
  EXPECT_FALSE(this->accepted("m6", t0 + day - 1, rules));   // m1, m2, m4 in the day
  EXPECT_TRUE(this->accepted("m7", t0 + day, rules));        // m1 left the day
  EXPECT_FALSE(this->accepted("m8", t0 + day, rules));       // m2, m4, m7 in the day
  EXPECT_TRUE(this->accepted("m9", t0 + day + 1, rules));    // m2 left: m4, m7 remain
}

// Two gateway instances with slightly different clocks: what counts is each admission's time.
TYPED_TEST(AdmitCaps, AdmissionTimesArrivingOutOfOrderCountByTime) {
  const std::vector<cap_rule> rules = {{3600, 2, false}};
  EXPECT_TRUE(this->accepted("m1", t0 + 10, rules));
  EXPECT_TRUE(this->accepted("m2", t0 + 5, rules));           // earlier than m1
  EXPECT_FALSE(this->accepted("m3", t0 + hour + 4, rules));   // both still count
  EXPECT_TRUE(this->accepted("m4", t0 + hour + 5, rules));    // m2 left, m1 counts
  EXPECT_FALSE(this->accepted("m5", t0 + hour + 9, rules));   // m1 and m4
  EXPECT_TRUE(this->accepted("m6", t0 + hour + 10, rules));   // m1 left, m4 counts
}

// Caps above the Redis string threshold (max 32) are zsets there; the count is the same.
TYPED_TEST(AdmitCaps, LargeMaxCountsExactly) {
  const std::vector<cap_rule> rules = {{3600, 40, false}};
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(this->accepted("m" + std::to_string(i), t0 + i, rules)) << i;
  EXPECT_FALSE(this->accepted("over", t0 + 40, rules));
  EXPECT_FALSE(this->accepted("edge", t0 + hour - 1, rules));
  EXPECT_TRUE(this->accepted("slid", t0 + hour, rules));  // m0 left the hour
  EXPECT_FALSE(this->accepted("full", t0 + hour, rules));
}

// Raising a max above the threshold and lowering it again (a configuration change) keeps every
// admission counted once: the Redis key changes representation, the count does not.
TYPED_TEST(AdmitCaps, ChangingTheMaxKeepsTheCount) {
  const std::vector<cap_rule> small = {{24 * 3600, 3, false}};
  const std::vector<cap_rule> large = {{24 * 3600, 34, false}};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(this->accepted("a" + std::to_string(i), t0 + i, small)) << i;
  EXPECT_FALSE(this->accepted("a3", t0 + 3, small));
  for (int i = 0; i < 31; ++i) EXPECT_TRUE(this->accepted("b" + std::to_string(i), t0 + 10 + i, large)) << i;
  EXPECT_FALSE(this->accepted("b31", t0 + 100, large));  // 3 + 31 = 34
  EXPECT_FALSE(this->accepted("c0", t0 + 200, small));   // 34 >= 3, all still counted
  // A day later only b28..b30 (t0+38..t0+40) are in the window, then b29, b30.
  EXPECT_FALSE(this->accepted("c1", t0 + day + 37, small));
  EXPECT_TRUE(this->accepted("c2", t0 + day + 38, small));
  EXPECT_TRUE(this->accepted("c3", t0 + day + 42, large));
}

TYPED_TEST(AdmitCaps, MaxZeroRefusesAndPerCampaignRulesCountPerCampaign) {
  EXPECT_FALSE(this->accepted("z", t0, {{3600, 0, false}}));
  const std::vector<cap_rule> rules = {{3600, 1, true}};
  EXPECT_TRUE(this->accepted("s1", t0, rules, "spring"));
  EXPECT_FALSE(this->accepted("s2", t0 + 1, rules, "spring"));
  EXPECT_TRUE(this->accepted("u1", t0 + 2, rules, "summer"));
  EXPECT_TRUE(this->accepted("n1", t0 + 3, rules));  // no campaign: per-campaign rules do not apply
}

// A refusal by caps names the reached rule that holds the number back longest and when that rule
// allows the next message (the max-th newest admission in its window leaves it; 0: never).
TYPED_TEST(AdmitCaps, RefusalNamesTheRuleThatHoldsLongestAndWhenItAllowsTheNext) {
  const std::vector<cap_rule> rules = {{3600, 2, false}, {24 * 3600, 3, false}};
  EXPECT_TRUE(this->accepted("m1", t0, rules));
  EXPECT_TRUE(this->accepted("m2", t0 + 1, rules));
  auto c = this->refusal("m3", t0 + hour - 1, rules);  // the hour rule only: m1 leaves it at t0 + 1 h
  EXPECT_EQ(c.rule, (cap_rule{3600, 2, false}));
  EXPECT_EQ(c.free_at_ms, t0 + hour);
  EXPECT_TRUE(this->accepted("m4", t0 + hour, rules));
  c = this->refusal("m5", t0 + hour + 1, rules);  // the day rule: m1, m2, m4; m1 leaves the day at t0 + 1 d
  EXPECT_EQ(c.rule, (cap_rule{24 * 3600, 3, false}));
  EXPECT_EQ(c.free_at_ms, t0 + day);

  // Both rules reached: the later of the two instants (the hour frees at m4 + 1 h, the day at m1
  // + 1 d), whatever the order of the rules.
  const std::vector<cap_rule> both = {{3600, 1, false}, {24 * 3600, 2, false}};
  const std::vector<cap_rule> both_reversed = {{24 * 3600, 2, false}, {3600, 1, false}};
  EXPECT_TRUE(this->accepted("b1", t0 + 10 * day, both));
  EXPECT_TRUE(this->accepted("b2", t0 + 10 * day + hour, both));
  c = this->refusal("b3", t0 + 10 * day + hour + 5, both);
  EXPECT_EQ(c.rule, (cap_rule{24 * 3600, 2, false}));
  EXPECT_EQ(c.free_at_ms, t0 + 11 * day);
  c = this->refusal("b4", t0 + 10 * day + hour + 6, both_reversed);
  EXPECT_EQ(c.rule, (cap_rule{24 * 3600, 2, false}));
  EXPECT_EQ(c.free_at_ms, t0 + 11 * day);

  // A max of 0 never allows one, whatever else is reached.
  c = this->refusal("z1", t0 + 10 * day + hour + 7, {{3600, 1, false}, {3600, 0, false}});
  EXPECT_EQ(c.rule, (cap_rule{3600, 0, false}));
  EXPECT_EQ(c.free_at_ms, 0);
}

TYPED_TEST(AdmitCaps, RefusalNamesPerCampaignAndLargeRules) {
  // A per-campaign rule, listed after or before the category's rule.
  const std::vector<cap_rule> after = {{24 * 3600, 5, false}, {3600, 1, true}};
  const std::vector<cap_rule> before = {{3600, 1, true}, {24 * 3600, 5, false}};
  EXPECT_TRUE(this->accepted("s1", t0, after, "spring"));
  auto c = this->refusal("s2", t0 + 1, after, "spring");
  EXPECT_EQ(c.rule, (cap_rule{3600, 1, true}));
  EXPECT_EQ(c.free_at_ms, t0 + hour);
  c = this->refusal("s3", t0 + 2, before, "spring");
  EXPECT_EQ(c.rule, (cap_rule{3600, 1, true}));
  EXPECT_EQ(c.free_at_ms, t0 + hour);
  // Over the Redis string threshold (a zset there): the 40th newest admission leaves the hour.
  const std::vector<cap_rule> large = {{3600, 40, false}};
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(this->accepted("l" + std::to_string(i), t0 + day + 3 * i, large)) << i;
  c = this->refusal("l40", t0 + day + 200, large);
  EXPECT_EQ(c.rule, (cap_rule{3600, 40, false}));
  EXPECT_EQ(c.free_at_ms, t0 + day + hour);
}

// One batch mixing what the Redis store sends as separate profiles (sender, category, caps,
// scheduled or not, idempotency, scope): each request decided on its own, in order.
TYPED_TEST(AdmitCaps, OneBatchWithDifferentKindsOfRequests) {
  const std::string bob = "+14155550124";
  auto for_bob = [&](admit_request r) {
    r.message.number_key = test_secrets()->key(bob);
    r.message.e164 = bob;
    return r;
  };
  std::vector<admit_request> batch;
  batch.push_back(request("a1", t0, {{3600, 1, false}}));
  auto later = request("a2", t0 + 1, {});
  later.category = "alerts";
  later.message.send_at_ms = t0 + hour;
  batch.push_back(later);
  auto other = for_bob(request("b1", t0 + 2, {{3600, 2, false}}));
  other.sender = "+14155550100";
  other.message.sender = other.sender;
  other.scope = opt_out_scope::global;
  batch.push_back(other);
  auto idem = for_bob(request("b2", t0 + 3, {{3600, 2, false}}));
  idem.idempotency_key = "key-1";
  idem.request_hash = "h1";
  batch.push_back(idem);
  batch.push_back(request("a3", t0 + 4, {{3600, 1, false}}));  // capped by a1
  auto again = for_bob(request("b3", t0 + 5, {{3600, 2, false}}));
  again.idempotency_key = "key-1";
  again.request_hash = "h2";
  batch.push_back(again);  // a duplicate of b2's key
  batch.push_back(for_bob(request("b4", t0 + 6, {{3600, 2, false}})));  // b1, b2 in the hour
  auto [ec, res] = call<std::vector<admit_result>>([&](auto cb) { this->store_->admit_batch(batch, cb); });
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(res.size(), 7u);
  EXPECT_TRUE(res[0].accepted());
  EXPECT_EQ(res[0].status, message_status::queued);
  EXPECT_EQ(res[0].send_at_ms, t0);
  EXPECT_TRUE(res[1].accepted());
  EXPECT_EQ(res[1].status, message_status::scheduled);
  EXPECT_EQ(res[1].send_at_ms, t0 + hour);
  EXPECT_TRUE(res[2].accepted());
  EXPECT_TRUE(res[3].accepted());
  EXPECT_EQ(res[4].refused, reason::frequency_capped);
  EXPECT_TRUE(res[5].duplicate);
  EXPECT_EQ(res[5].existing_message_id, "b2");
  EXPECT_EQ(res[5].existing_request_hash, "h1");
  EXPECT_EQ(res[6].refused, reason::frequency_capped);
  for (const char* id : {"a1", "a2", "b1", "b2"}) {
    auto [gec, m] = call<std::optional<message_record>>([&](auto cb) { this->store_->get_message(id, cb); });
    ASSERT_FALSE(gec);
    ASSERT_TRUE(m) << id;
    EXPECT_EQ(m->status, std::string(id) == "a2" ? message_status::scheduled : message_status::queued) << id;
  }
  auto [gec, a2] = call<std::optional<message_record>>([&](auto cb) { this->store_->get_message("a2", cb); });
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->category, "alerts");
  EXPECT_EQ(a2->send_at_ms, t0 + hour);
  auto [gec2, b1] = call<std::optional<message_record>>([&](auto cb) { this->store_->get_message("b1", cb); });
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->sender, "+14155550100");
  EXPECT_EQ(b1->scope, opt_out_scope::global);
  EXPECT_EQ(b1->e164, bob);
  for (const char* id : {"a3", "b3", "b4"}) {
    auto [gec3, m] = call<std::optional<message_record>>([&](auto cb) { this->store_->get_message(id, cb); });
    EXPECT_FALSE(m) << id;
  }
}

// --- Redis layout ---

class RedisAdmitLayout : public store_fixture<redis_backend> {
 protected:
  void SetUp() override {
    store_fixture<redis_backend>::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    raw_ = raw_connection(*backend_.io, backend_.url);
  }
  void TearDown() override {
    if (raw_) raw_->stop();
    store_fixture<redis_backend>::TearDown();
  }
  admit_result admit(admit_request r) {
    auto [ec, res] = call<admit_result>([&](auto cb) { store_->admit(std::move(r), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }
  std::string key(const std::string& tail) const { return backend_.prefix + tail; }
  std::string cap_key() const { return key("{" + test_secrets()->key(alice) + "}:cap:marketing"); }

  std::shared_ptr<redis_connection> raw_;
};

TEST_F(RedisAdmitLayout, SmallCapsAreAStringOfAdmissionTimesLargeOnesAZset) {
  const std::vector<cap_rule> rules = {{3600, 3, false}, {600, 2, false}};
  EXPECT_TRUE(admit(request("m1", t0 + 7, rules)).accepted());
  EXPECT_TRUE(admit(request("m2", t0 + 5, rules)).accepted());  // inserted in time order
  EXPECT_EQ(run(*raw_, {"TYPE", cap_key()}).str, "string");
  EXPECT_EQ(run(*raw_, {"GET", cap_key()}).str, "18000000000051800000000007");
  auto ttl = run(*raw_, {"PTTL", cap_key()}).integer;
  EXPECT_GT(ttl, 3500 * 1000);  // the longest window, relative to Redis' clock
  EXPECT_LE(ttl, 3600 * 1000);
  // An hour later the first two are dropped from the value.
  EXPECT_TRUE(admit(request("m3", t0 + hour + 6, rules)).accepted());
  EXPECT_EQ(run(*raw_, {"GET", cap_key()}).str, "18000000000071800003600006");

  // A max above 32 turns the key into a zset (scored by time, members the message ids).
  EXPECT_TRUE(admit(request("m4", t0 + hour + 8, {{3600, 33, false}})).accepted());
  EXPECT_EQ(run(*raw_, {"TYPE", cap_key()}).str, "zset");
  auto z = run(*raw_, {"ZRANGE", cap_key(), "0", "-1", "WITHSCORES"});
  ASSERT_EQ(z.elements.size(), 4u);  // t0+7 left the hour of m4
  EXPECT_EQ(z.elements[1].str, "1800003600006");
  EXPECT_EQ(z.elements[2].str, "m4");
  EXPECT_EQ(z.elements[3].str, "1800003600008");
  // And back to a string with the same admissions.
  EXPECT_TRUE(admit(request("m5", t0 + hour + 9, {{3600, 3, false}})).accepted());
  EXPECT_EQ(run(*raw_, {"TYPE", cap_key()}).str, "string");
  EXPECT_EQ(run(*raw_, {"GET", cap_key()}).str, "180000360000618000036000081800003600009");
  EXPECT_FALSE(admit(request("m6", t0 + hour + 10, {{3600, 3, false}})).accepted());
}

// claim.lua, set_status.lua, release.lua, stats.lua and purge.lua read these fields.
TEST_F(RedisAdmitLayout, MessageHashHoldsTheFieldsOtherScriptsRead) {
  auto r = request("m1", t0, {});
  r.message.send_at_ms = t0 + hour;
  EXPECT_TRUE(admit(r).accepted());
  auto h = run(*raw_, {"HGETALL", key("msg:{m1}")});
  std::map<std::string, std::string> f;
  for (std::size_t i = 0; i + 1 < h.elements.size(); i += 2) f[h.elements[i].str] = h.elements[i + 1].str;
  std::set<std::string> names;
  for (const auto& [k, v] : f) names.insert(k);
  EXPECT_EQ(names, (std::set<std::string>{"d", "nk", "car", "snd", "cat", "scope", "st", "up", "sa", "ns"}));
  EXPECT_EQ(f["nk"], test_secrets()->key(alice));
  EXPECT_EQ(f["car"], "sim");
  EXPECT_EQ(f["snd"], "12345");
  EXPECT_EQ(f["cat"], "marketing");
  EXPECT_EQ(f["scope"], "sender");
  EXPECT_EQ(f["st"], "scheduled");
  EXPECT_EQ(f["up"], "1800000000000");
  EXPECT_EQ(f["sa"], "1800003600000");
  EXPECT_EQ(f["ns"].size(), 30u);
  EXPECT_EQ(f["d"].rfind("2:m1", 0), 0u);
  // RESTOREd as a listpack (Redis 7), which Redis keeps although 'd' is over 64 bytes, also
  // after the status scripts' HSETs of short values.
  EXPECT_EQ(run(*raw_, {"OBJECT", "ENCODING", key("msg:{m1}")}).str, "listpack");
  EXPECT_EQ(run(*raw_, {"ZSCORE", key("q:{sim}:sched"), "m1"}).str, "1800003600000");
  status_update u;
  u.message_id = "m1";
  u.status = message_status::failed;
  u.error = "expired";
  u.at_ms = t0 + 1;
  auto [sec, sr] = call<status_result>([&](auto cb) { store_->set_status(u, cb); });
  ASSERT_FALSE(sec) << sec.message();
  EXPECT_TRUE(sr.applied);
  EXPECT_EQ(run(*raw_, {"HGET", key("msg:{m1}"), "st"}).str, "failed");
  EXPECT_EQ(run(*raw_, {"OBJECT", "ENCODING", key("msg:{m1}")}).str, "listpack");
}

// The hashtable form of the payload (type 4, what servers before Redis 7 get): the same fields
// with the same values, a hashtable as an HSET of them would make.
TEST_F(RedisAdmitLayout, HashtablePayloadWritesTheSameFields) {
  redis_options o;
  o.url = backend_.url;
  o.key_prefix = backend_.prefix + "ht:";
  o.secrets = test_secrets();
  o.listpack_payloads = false;
  auto c = redis_store::create(backend_.io->io().get_executor(), o);
  ASSERT_TRUE(c.store) << c.error;
  auto [ok, detail] = wait_healthy(*c.store, std::chrono::seconds(5));
  ASSERT_TRUE(ok) << detail;
  auto r = request("m1", t0, {});
  r.lease_ms = 30000;  // leased at admission: all 12 fields
  EXPECT_TRUE(admit(r).accepted());
  EXPECT_TRUE(call<admit_result>([&](auto cb) { c.store->admit(r, cb); }).second.accepted());
  auto fields = [&](const std::string& k) {
    auto h = run(*raw_, {"HGETALL", k});
    std::map<std::string, std::string> f;
    for (std::size_t i = 0; i + 1 < h.elements.size(); i += 2) f[h.elements[i].str] = h.elements[i + 1].str;
    return f;
  };
  auto lp = fields(key("msg:{m1}")), ht = fields(key("ht:msg:{m1}"));
  ASSERT_EQ(lp.size(), 12u);
  ASSERT_EQ(ht.size(), 12u);
  for (const auto& [name, value] : lp) {
    if (name == "d") continue;  // holds the number sealed with a fresh nonce
    EXPECT_EQ(ht[name], value) << name;
  }
  EXPECT_EQ(ht["d"].size(), lp["d"].size());
  EXPECT_EQ(lp["dlv"], "1");
  EXPECT_EQ(run(*raw_, {"OBJECT", "ENCODING", key("msg:{m1}")}).str, "listpack");
  EXPECT_EQ(run(*raw_, {"OBJECT", "ENCODING", key("ht:msg:{m1}")}).str, "hashtable");
  auto [gec, m] = call<std::optional<message_record>>([&](auto cb) { c.store->get_message("m1", cb); });
  ASSERT_FALSE(gec);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->e164, alice);
  EXPECT_EQ(m->text, "Hello from 12345");
  c.store.reset();
}

// A message key that already exists (RESTORE answers BUSYKEY) gets the fields like HSET did.
TEST_F(RedisAdmitLayout, ExistingMessageKeyIsWrittenFieldByField) {
  run(*raw_, {"HSET", key("msg:{m1}"), "att", "2"});
  EXPECT_TRUE(admit(request("m1", t0, {})).accepted());
  EXPECT_EQ(run(*raw_, {"HGET", key("msg:{m1}"), "att"}).str, "2");
  EXPECT_EQ(run(*raw_, {"HGET", key("msg:{m1}"), "st"}).str, "queued");
  auto [ec, m] = call<std::optional<message_record>>([&](auto cb) { store_->get_message("m1", cb); });
  ASSERT_FALSE(ec);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->e164, alice);
  EXPECT_EQ(m->text, "Hello from 12345");
}

// Field lengths of every size class of the payload's length prefix (1, 2 and 5 bytes).
TEST_F(RedisAdmitLayout, LongTextsRoundTrip) {
  for (std::size_t len : {0u, 50u, 300u, 20'000u}) {
    auto r = request("t" + std::to_string(len), t0, {});
    r.message.text = std::string(len, 'x') + "\xc3\xa9";
    EXPECT_TRUE(admit(r).accepted()) << len;
    auto [ec, m] = call<std::optional<message_record>>([&](auto cb) { store_->get_message(r.message.id, cb); });
    ASSERT_FALSE(ec);
    ASSERT_TRUE(m) << len;
    EXPECT_EQ(m->text, r.message.text) << len;
    EXPECT_EQ(m->e164, alice);
  }
}

// A Redis user without RESTORE (ACL): admissions are written with HSET, nothing is lost.
TEST(RedisAdmitAcl, WithoutRestoreAdmissionsUseHset) {
  redis_server server;
  ASSERT_TRUE(server.start());
  const std::string port = server.port();
  ASSERT_EQ(std::system(("redis-cli -p " + port + " ACL SETUSER gw on '>pw' '~*' '&*' '+@all' '-restore' >/dev/null").c_str()), 0);
  io_thread io;
  redis_options o;
  o.url = "redis://gw:pw@127.0.0.1:" + port + "/0";
  o.key_prefix = "t:";
  o.secrets = test_secrets();
  auto c = redis_store::create(io.io().get_executor(), o);
  ASSERT_TRUE(c.store) << c.error;
  auto [ok, detail] = wait_healthy(*c.store, std::chrono::seconds(5));
  ASSERT_TRUE(ok) << detail;
  std::vector<admit_request> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(request("m" + std::to_string(i), t0 + i, {{3600, 3, false}}));
  auto [ec, res] = call<std::vector<admit_result>>([&](auto cb) { c.store->admit_batch(batch, cb); });
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(res.size(), 5u);
  EXPECT_TRUE(res[0].accepted());
  EXPECT_TRUE(res[1].accepted());
  EXPECT_TRUE(res[2].accepted());
  EXPECT_EQ(res[3].refused, reason::frequency_capped);
  EXPECT_EQ(res[4].refused, reason::frequency_capped);
  EXPECT_TRUE(call<admit_result>([&](auto cb) { c.store->admit(request("later", t0 + hour, {}), cb); }).second.accepted());
  for (const char* id : {"m0", "m2", "later"}) {
    auto [gec, m] = call<std::optional<message_record>>([&](auto cb) { c.store->get_message(id, cb); });
    ASSERT_FALSE(gec);
    ASSERT_TRUE(m) << id;
    EXPECT_EQ(m->e164, alice);
    EXPECT_EQ(m->status, message_status::queued);
  }
  c.store.reset();
}

// Out of memory fails the call (as an HSET did) without switching the store to HSET for good.
TEST(RedisAdmitOom, OutOfMemoryFailsTheCallAndRestoreIsUsedAgainAfter) {
  redis_server server;
  ASSERT_TRUE(server.start());
  const std::string port = server.port();
  io_thread io;
  redis_options o;
  o.url = server.url();
  o.key_prefix = "t:";
  o.secrets = test_secrets();
  auto c = redis_store::create(io.io().get_executor(), o);
  ASSERT_TRUE(c.store) << c.error;
  ASSERT_TRUE(wait_healthy(*c.store, std::chrono::seconds(5)).first);
  ASSERT_EQ(std::system(("redis-cli -p " + port + " CONFIG SET maxmemory 1 >/dev/null").c_str()), 0);
  auto [ec, r] = call<admit_result>([&](auto cb) { c.store->admit(request("m1", t0, {{3600, 3, false}}), cb); });
  EXPECT_EQ(ec, make_error_code(store_errc::io_error));
  EXPECT_FALSE(r.accepted());
  ASSERT_EQ(std::system(("redis-cli -p " + port + " CONFIG SET maxmemory 0 >/dev/null").c_str()), 0);
  ASSERT_EQ(std::system(("redis-cli -p " + port + " CONFIG RESETSTAT >/dev/null").c_str()), 0);
  auto [ec2, r2] = call<admit_result>([&](auto cb) { c.store->admit(request("m2", t0, {{3600, 3, false}}), cb); });
  EXPECT_FALSE(ec2) << ec2.message();
  EXPECT_TRUE(r2.accepted());
  auto stats = "redis-cli -p " + port + " INFO commandstats | grep -q '^cmdstat_restore:calls=1,'";
  EXPECT_EQ(std::system(stats.c_str()), 0) << "the message hash was not written with RESTORE";
  c.store.reset();
}

}  // namespace
