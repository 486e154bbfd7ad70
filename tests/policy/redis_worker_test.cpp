// Redis-only behaviour of the carrier worker's path (suite RedisWorker): claim.lua and
// complete.lua issue few inner commands per message, read records written by the previous
// version of the scripts (a `lease` field, an HINCRBY'd `dlv`), lease without writing the message
// hash (lease ids 'd<delivery>', `dlv` = deliveries ended), skip ids whose message is gone,
// and keep the list order of reclaimed and promoted entries. Each test runs its own throw-away
// redis-server (exact INFO commandstats).

#include <gtest/gtest.h>

#include <map>

#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;

std::string number(int i) { return "+1415555" + std::to_string(1000 + i); }

class RedisWorker : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    redis_options o;
    o.url = server_.url();
    o.key_prefix = prefix_;
    o.secrets = test_secrets();
    auto r = redis_store::create(io_.io().get_executor(), o);
    ASSERT_TRUE(r.store) << r.error;
    store_ = std::move(r.store);
    ASSERT_TRUE(wait_healthy(*store_, std::chrono::seconds(5)).first);
    conn_ = raw_connection(io_, server_.url());
  }
  void TearDown() override {
    if (conn_) conn_->stop();
    store_.reset();
  }

  void admit(const std::string& id, int n, std::int64_t now, std::int64_t send_at = 0) {
    auto req = base_request(id, number(n), now);
    req.message.send_at_ms = send_at;
    auto [ec, r] = call<admit_result>([&](auto cb) { store_->admit(req, cb); });
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(r.accepted());
  }
  claim_result claim(std::int64_t now, int max = 10, std::int64_t lease = 30000) {
    auto [ec, r] = call<claim_result>([&](auto cb) { store_->claim({"sim", max, lease, now}, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
  std::vector<completion_result> complete(std::vector<completion> items) {
    auto [ec, r] = call<std::vector<completion_result>>([&](auto cb) { store_->complete(std::move(items), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
  static completion submitted(const queue_entry& e, std::int64_t at, const std::string& cmid) {
    completion c;
    c.carrier = "sim";
    c.lease_id = e.lease_id;
    c.update = {e.message.id, message_status::submitted, cmid, "", at, 0};
    return c;
  }
  std::error_code ack(const std::string& id, const std::string& lease) {
    return call<done>([&](auto cb) { store_->ack("sim", id, lease, cb); }).first;
  }
  std::error_code nack(const std::string& id, const std::string& lease, std::int64_t retry_at) {
    return call<done>([&](auto cb) { store_->nack("sim", id, lease, retry_at, "throttled", cb); }).first;
  }
  // What the previous claim.lua did to lease an entry: LPOP, HINCRBY dlv, HSET lease, ZADD lease.
  void old_claim(const std::string& id, const std::string& lease, std::int64_t until) {
    ASSERT_EQ(run(*conn_, {"LPOP", queue("ready")}).str, id);
    run(*conn_, {"HINCRBY", msg(id), "dlv", "1"});
    run(*conn_, {"HSET", msg(id), "lease", lease});
    run(*conn_, {"ZADD", queue("lease"), std::to_string(until), id});
  }
  bool leased(const std::string& id) { return !run(*conn_, {"ZSCORE", queue("lease"), id}).is_nil(); }
  std::vector<std::string> ids(const claim_result& c) {
    std::vector<std::string> out;
    for (const auto& e : c.entries) out.push_back(e.message.id);
    return out;
  }
  std::string msg(const std::string& id) const { return prefix_ + "msg:{" + id + "}"; }
  std::string queue(const std::string& suffix) const { return prefix_ + "q:{sim}:" + suffix; }
  std::string field(const std::string& id, const std::string& f) { return run(*conn_, {"HGET", msg(id), f}).str; }
  bool has_field(const std::string& id, const std::string& f) {
    return run(*conn_, {"HEXISTS", msg(id), f}).integer == 1;
  }
  // Calls per command since the last CONFIG RESETSTAT ("evalsha" -> 2, ...).
  std::map<std::string, long long> calls() {
    std::map<std::string, long long> out;
    const std::string info = run(*conn_, {"INFO", "commandstats"}).str;
    std::size_t pos = 0;
    while ((pos = info.find("cmdstat_", pos)) != std::string::npos) {
      const auto colon = info.find(':', pos);
      const auto c = info.find("calls=", colon);
      if (colon == std::string::npos || c == std::string::npos) break;
      out[info.substr(pos + 8, colon - pos - 8)] = std::stoll(info.substr(c + 6));
      pos = colon;
    }
    return out;
  }

  redis_server server_;
  io_thread io_;
  std::string prefix_ = "t:" + unique_suffix() + ":";
  std::unique_ptr<redis_store> store_;
  std::shared_ptr<redis_connection> conn_;
};

// The commands behind one claim of 10 entries and one complete() of their 10 outcomes: one LPOP
// and one ZADD per claim, one HMGET + suppression lookup per entry and nothing written to the
// message hash (the lease id is 'd' + the delivery number, derived from `dlv`), then one HGETALL
// per entry by the client (outside the script); one HMGET + HSET (+ the correlation SET) per
// outcome and one ZREM per complete() (its count proves that the entries were still leased: no
// ZMSCORE). Completing ends the delivery (`dlv` = 1): the same lease never releases it again.
TEST_F(RedisWorker, ClaimAndCompleteUseFewInnerCommands) {
  constexpr int n = 10;
  for (int i = 0; i < n; ++i) admit("m" + std::to_string(i), i, t0 + i);
  run(*conn_, {"CONFIG", "RESETSTAT"});
  auto c = claim(t0 + n, n);
  ASSERT_EQ(c.entries.size(), static_cast<std::size_t>(n));
  auto after_claim = calls();
  EXPECT_EQ(after_claim["lpop"], 1);
  EXPECT_EQ(after_claim["hmget"], n);  // the fields, without their names
  EXPECT_EQ(after_claim["hexists"], n);  // sender 12345 has no own suppressions: one lookup each
  EXPECT_EQ(after_claim.count("hset"), 0u);
  EXPECT_EQ(after_claim["zadd"], 1);
  EXPECT_EQ(after_claim.count("incrby"), 0u);
  EXPECT_EQ(after_claim["hgetall"], n);  // the client's read of each leased hash
  EXPECT_EQ(after_claim.count("hincrby"), 0u);
  for (int i = 0; i < n; ++i) {
    const auto& e = c.entries[i];
    EXPECT_EQ(e.message.id, "m" + std::to_string(i));
    EXPECT_EQ(e.deliveries, 1);
    EXPECT_EQ(e.message.e164, number(i));
    EXPECT_EQ(e.message.text, "Hello");
    EXPECT_EQ(e.message.sender, "12345");
    EXPECT_EQ(e.message.status, message_status::queued);
    EXPECT_FALSE(e.suppressed);
    EXPECT_EQ(e.lease_id, "d1");
    EXPECT_FALSE(has_field(e.message.id, "lease"));
    EXPECT_FALSE(has_field(e.message.id, "dlv"));
  }
  // The leases and the +inf member that keeps the zset a skiplist (O(1) / O(log n) per lease).
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("lease")}).integer, n + 1);
  EXPECT_EQ(run(*conn_, {"OBJECT", "ENCODING", queue("lease")}).str, "skiplist");
  auto [sec, st] = call<store::queue_stats>([&](auto cb) { store_->stats("sim", t0 + n, cb); });
  EXPECT_FALSE(sec);
  EXPECT_EQ(st.leased, n);

  run(*conn_, {"CONFIG", "RESETSTAT"});
  std::vector<completion> items;
  for (int i = 0; i < n; ++i) items.push_back(submitted(c.entries[i], t0 + 100, "c" + std::to_string(i)));
  auto r = complete(items);
  ASSERT_EQ(r.size(), static_cast<std::size_t>(n));
  for (const auto& x : r) EXPECT_TRUE(x.applied && x.released);
  auto after_complete = calls();
  EXPECT_EQ(after_complete["hmget"], n);
  EXPECT_EQ(after_complete["hset"], n);
  EXPECT_EQ(after_complete["set"], n);
  EXPECT_EQ(after_complete.count("zmscore"), 0u);
  EXPECT_EQ(after_complete["zrem"], 1);
  EXPECT_EQ(after_complete.count("lpos"), 0u);  // the fallback of a short ZREM count
  EXPECT_EQ(after_complete.count("hdel"), 0u);
  EXPECT_EQ(after_complete.count("exists"), 0u);  // no events
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("lease")}).integer, 1);
  // The delivery ends in the same HSET as the status: `dlv` = 1, still no hash lease.
  EXPECT_EQ(field("m0", "dlv"), "1");
  EXPECT_FALSE(has_field("m0", "lease"));
  EXPECT_EQ(field("m0", "st"), "submitted");
  EXPECT_EQ(field("m0", "cmid"), "c0");
  // A caller passing an empty lease, or the lease of the ended delivery, takes nothing over.
  EXPECT_EQ(ack("m0", ""), make_error_code(store_errc::lease_lost));
  EXPECT_EQ(ack("m0", "d1"), make_error_code(store_errc::lease_lost));
  auto again = complete({submitted(c.entries[0], t0 + 101, "c0")});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].found);
  EXPECT_FALSE(again[0].applied);
  EXPECT_FALSE(again[0].released);
  EXPECT_EQ(field("m0", "dlv"), "1");
}

// A message leased by the previous version of claim.lua when the gateway was upgraded: its hash
// has `lease` and an HINCRBY'd `dlv` (which counted that delivery already). After the lease
// expires, the new claim's reclaim removes the hash lease without counting again, and hands it
// out with the next delivery count and a derived lease; the old lease no longer releases it.
TEST_F(RedisWorker, LeaseWrittenByThePreviousVersionIsReclaimedAndCounted) {
  admit("m1", 1, t0);
  admit("m2", 2, t0 + 1);
  old_claim("m1", "7", t0 + 1000);
  run(*conn_, {"SET", queue("seq"), "7"});
  // m2 has a delivery count from an earlier claim (an HINCRBY'd integer) and no lease field.
  run(*conn_, {"HSET", msg("m2"), "dlv", "1"});

  auto c = claim(t0 + 1001, 10);
  ASSERT_EQ(ids(c), (std::vector<std::string>{"m1", "m2"}));
  const auto& e = c.entries[0];
  EXPECT_EQ(e.deliveries, 2);
  EXPECT_EQ(e.lease_id, "d2");
  EXPECT_EQ(field("m1", "dlv"), "1");  // deliveries ended: the old one
  EXPECT_FALSE(has_field("m1", "lease"));
  EXPECT_EQ(c.entries[1].deliveries, 2);
  EXPECT_EQ(c.entries[1].lease_id, "d2");

  auto old = submitted(e, t0 + 1002, "old");
  old.lease_id = "7";
  auto now = submitted(e, t0 + 1003, "new");
  auto r = complete({old, submitted(c.entries[1], t0 + 1003, "c2")});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].applied);
  EXPECT_FALSE(r[0].released);  // the old lease is not the entry's any more
  EXPECT_TRUE(r[1].released);
  EXPECT_TRUE(leased("m1"));
  EXPECT_EQ(field("m1", "dlv"), "1");
  EXPECT_EQ(ack("m1", "7"), make_error_code(store_errc::lease_lost));
  auto r2 = complete({now});
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_FALSE(r2[0].applied);  // submitted already
  EXPECT_TRUE(r2[0].released);
  EXPECT_EQ(field("m1", "dlv"), "2");
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("lease")}).integer, 1);
  EXPECT_TRUE(claim(t0 + 100'000).entries.empty());
}

// Leases still held by their holders when the new scripts arrive (written by the previous
// claim.lua: a numeric hash `lease`, `dlv` counting the delivery; or by an admission: 'a') are
// released by their holders as before, through complete(), ack() and nack(); the delivery count
// is not counted twice, and a nack'd entry is handed out again with a derived lease.
TEST_F(RedisWorker, LeasesHeldFromThePreviousVersionAreReleasedByTheirHolders) {
  admit("m1", 1, t0);
  admit("m2", 2, t0 + 1);
  admit("m3", 3, t0 + 2);
  old_claim("m1", "7", t0 + 30'000);
  old_claim("m2", "8", t0 + 30'000);
  old_claim("m3", "9", t0 + 30'000);
  run(*conn_, {"CONFIG", "RESETSTAT"});
  queue_entry e1;
  e1.message.id = "m1";
  e1.lease_id = "7";
  auto r = complete({submitted(e1, t0 + 10, "c1")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].applied);
  EXPECT_TRUE(r[0].released);
  EXPECT_EQ(calls().count("lpos"), 0u);  // proved by ZREM's count
  EXPECT_FALSE(leased("m1"));
  EXPECT_EQ(field("m1", "lease"), "");
  EXPECT_EQ(field("m1", "dlv"), "1");
  EXPECT_EQ(ack("m2", "wrong"), make_error_code(store_errc::lease_lost));
  EXPECT_EQ(ack("m2", "d1"), make_error_code(store_errc::lease_lost));  // the hash's own lease rules
  EXPECT_FALSE(ack("m2", "8"));
  EXPECT_FALSE(leased("m2"));
  EXPECT_FALSE(has_field("m2", "lease"));
  EXPECT_FALSE(nack("m3", "9", t0 + 20));
  EXPECT_FALSE(has_field("m3", "lease"));
  EXPECT_EQ(field("m3", "dlv"), "1");
  EXPECT_EQ(field("m3", "att"), "1");
  auto c = claim(t0 + 20, 10);
  ASSERT_EQ(ids(c), (std::vector<std::string>{"m3"}));
  EXPECT_EQ(c.entries[0].deliveries, 2);
  EXPECT_EQ(c.entries[0].lease_id, "d2");
  EXPECT_EQ(c.entries[0].message.attempts, 1);
  EXPECT_EQ(c.entries[0].message.error, "throttled");
}

// ack / nack / reschedule with a claim's derived lease: each ends the delivery (`dlv` + 1) so the
// same lease is lost afterwards; nack also counts the attempt. A purged hash is not recreated.
TEST_F(RedisWorker, DerivedLeasesEndWithAckNackAndReschedule) {
  admit("m1", 1, t0);
  admit("m2", 2, t0 + 1);
  admit("m3", 3, t0 + 2);
  auto c = claim(t0 + 3, 3);
  ASSERT_EQ(ids(c), (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_EQ(nack("m1", "d2", t0 + 10), make_error_code(store_errc::lease_lost));  // not this delivery
  EXPECT_EQ(nack("m1", "d01", t0 + 10), make_error_code(store_errc::lease_lost));
  EXPECT_FALSE(nack("m1", "d1", t0 + 10));
  EXPECT_EQ(field("m1", "dlv"), "1");
  EXPECT_EQ(field("m1", "att"), "1");
  EXPECT_EQ(nack("m1", "d1", t0 + 10), make_error_code(store_errc::lease_lost));
  EXPECT_FALSE(call<done>([&](auto cb) { store_->reschedule("sim", "m2", "d1", t0 + 10, cb); }).first);
  EXPECT_EQ(field("m2", "dlv"), "1");
  EXPECT_FALSE(has_field("m2", "att"));
  run(*conn_, {"DEL", msg("m3")});  // purged while leased
  EXPECT_EQ(ack("m3", "d1"), make_error_code(store_errc::lease_lost));
  EXPECT_EQ(run(*conn_, {"EXISTS", msg("m3")}).integer, 0);
  auto again = claim(t0 + 10, 10);
  ASSERT_EQ(ids(again), (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(again.entries[0].deliveries, 2);
  EXPECT_EQ(again.entries[0].lease_id, "d2");
  EXPECT_EQ(again.entries[1].lease_id, "d2");
  EXPECT_FALSE(ack("m1", "d2"));
  EXPECT_EQ(field("m1", "dlv"), "2");
}

// A claim that reclaims an expired lease also clears the hash's lease (so that a hash holds a
// lease only while its entry is in the lease zset), without recreating a purged hash; the late
// completion of the lost lease records its status but releases nothing.
TEST_F(RedisWorker, ReclaimClearsTheHashLeaseAndTheLostLeaseReleasesNothing) {
  admit("m1", 1, t0);
  admit("m2", 2, t0 + 1);
  auto c = claim(t0 + 2, 2, 1000);
  ASSERT_EQ(c.entries.size(), 2u);
  run(*conn_, {"DEL", msg("m2")});  // purged while leased
  EXPECT_TRUE(claim(t0 + 1002, 0).entries.empty());  // reclaims only
  EXPECT_FALSE(has_field("m1", "lease"));
  EXPECT_EQ(field("m1", "dlv"), "1");  // the delivery ended with its lease
  EXPECT_EQ(run(*conn_, {"EXISTS", msg("m2")}).integer, 0);
  EXPECT_EQ(run(*conn_, {"LRANGE", queue("ready"), "0", "-1"}).elements.size(), 2u);
  run(*conn_, {"CONFIG", "RESETSTAT"});
  auto r = complete({submitted(c.entries[0], t0 + 1003, "late")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].applied);
  EXPECT_FALSE(r[0].released);
  EXPECT_EQ(calls().count("zrem"), 0u);  // not a candidate: nothing to remove
  auto again = claim(t0 + 1004, 10);
  ASSERT_EQ(ids(again), (std::vector<std::string>{"m1"}));
  EXPECT_EQ(again.entries[0].deliveries, 2);
  EXPECT_EQ(again.entries[0].lease_id, "d2");
  EXPECT_EQ(ack("m1", "d1"), make_error_code(store_errc::lease_lost));
}

// A lease written and then reclaimed by the previous version of claim.lua (it moved the entry
// back to the ready list but left the lease in the hash): the old holder's complete() finds its
// lease in the hash, ZREM's count falls short, and the fallback finds the entry in the ready list:
// not released; the other entries of the call are released as usual. The new claim then clears
// the stale hash lease and counts the delivery once.
TEST_F(RedisWorker, LeaseReclaimedByThePreviousVersionIsNotReleased) {
  admit("m1", 1, t0);
  admit("m2", 2, t0 + 1);
  old_claim("m1", "7", t0 + 1000);
  auto c = claim(t0 + 2, 1);
  ASSERT_EQ(ids(c), (std::vector<std::string>{"m2"}));
  // The previous claim.lua's reclaim of m1: ZREM + LPUSH, the hash untouched.
  run(*conn_, {"ZREM", queue("lease"), "m1"});
  run(*conn_, {"LPUSH", queue("ready"), "m1"});
  queue_entry e1;
  e1.message.id = "m1";
  e1.lease_id = "7";
  auto r = complete({submitted(e1, t0 + 3, "c1"), submitted(c.entries[0], t0 + 3, "c2")});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].applied);
  EXPECT_FALSE(r[0].released);
  EXPECT_TRUE(r[1].applied);
  EXPECT_TRUE(r[1].released);
  EXPECT_EQ(field("m1", "lease"), "7");
  EXPECT_EQ(field("m2", "dlv"), "1");
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("lease")}).integer, 1);  // the +inf member only
  auto again = claim(t0 + 4, 10);
  ASSERT_EQ(ids(again), (std::vector<std::string>{"m1"}));
  EXPECT_EQ(again.entries[0].deliveries, 2);
  EXPECT_EQ(again.entries[0].lease_id, "d2");
  EXPECT_EQ(field("m1", "lease"), "");  // the stale lease is cleared: "7" releases nothing now
  EXPECT_EQ(ack("m1", "7"), make_error_code(store_errc::lease_lost));
  EXPECT_FALSE(ack("m1", "d2"));
}

// A completion naming another carrier than its message's releases nothing (the entry stays
// leased in its own carrier's zset), while the right one does.
TEST_F(RedisWorker, CompletionForAnotherCarrierReleasesNothing) {
  admit("m1", 1, t0);
  auto c = claim(t0 + 1, 1);
  ASSERT_EQ(c.entries.size(), 1u);
  auto wrong = submitted(c.entries[0], t0 + 2, "c1");
  wrong.carrier = "other";
  auto r = complete({wrong});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].applied);
  EXPECT_FALSE(r[0].released);
  EXPECT_TRUE(leased("m1"));
  EXPECT_FALSE(has_field("m1", "dlv"));
  auto r2 = complete({submitted(c.entries[0], t0 + 3, "c1")});
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_TRUE(r2[0].released);
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("lease")}).integer, 1);
}

// Admission with consent of any sender: a consent for every sender (the usual one) costs one
// HEXISTS; a consent of another sender only is still found (HKEYS after it); none: refused.
TEST_F(RedisWorker, ConsentOfAnySenderIsOneHexistsWhenItCoversEverySender) {
  auto grant = [&](int n, const std::string& sender) {
    consent_record rec{test_secrets()->key(number(n)), number(n), "marketing", sender, "api", "", t0};
    ASSERT_FALSE(call<done>([&](auto cb) { store_->grant_consent(rec, cb); }).first);
  };
  grant(1, "");
  grant(2, "99999");
  auto try_admit = [&](const std::string& id, int n) {
    auto req = base_request(id, number(n), t0 + n);
    req.consent_required = true;
    req.caps = {{24 * 3600, 3, false}};
    auto [ec, r] = call<admit_result>([&](auto cb) { store_->admit(req, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  };
  run(*conn_, {"CONFIG", "RESETSTAT"});
  EXPECT_TRUE(try_admit("m1", 1).accepted());
  auto one = calls();
  EXPECT_EQ(one["hexists"], 2);  // the suppression bucket, the consent
  EXPECT_EQ(one.count("hkeys"), 0u);
  EXPECT_TRUE(try_admit("m2", 2).accepted());
  EXPECT_EQ(calls()["hkeys"], 1);
  auto none = try_admit("m3", 3);
  EXPECT_FALSE(none.accepted());
  EXPECT_EQ(none.refused, reason::no_consent);
}

// A string cap key is read with SET … NX GET, which records the admission when the key is new:
// no separate GET and SET then. When RESTORE then refuses the message hash (the key exists), the
// cap key it created is removed and the request is decided again with HSET: one admission time
// in the key, not two; an existing key is read and then written as before.
TEST_F(RedisWorker, NewCapKeyIsWrittenByItsReadAndRemovedWhenTheMessageHashIsRefused) {
  auto req = [&](const std::string& id, std::int64_t now) {
    auto r = base_request(id, number(1), now);
    r.caps = {{24 * 3600, 3, false}};
    return r;
  };
  const std::string cap = prefix_ + "{" + test_secrets()->key(number(1)) + "}:cap:marketing";
  run(*conn_, {"HSET", msg("m1"), "att", "2"});  // RESTORE answers BUSYKEY for m1
  run(*conn_, {"CONFIG", "RESETSTAT"});
  auto [ec, r] = call<admit_result>([&](auto cb) { store_->admit(req("m1", t0), cb); });
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(r.accepted());
  auto first = calls();
  EXPECT_EQ(first["restore"], 1);
  EXPECT_EQ(first["del"], 1);
  EXPECT_EQ(run(*conn_, {"GET", cap}).str, std::to_string(t0));
  EXPECT_EQ(field("m1", "att"), "2");
  EXPECT_EQ(field("m1", "st"), "queued");
  const auto ttl = run(*conn_, {"PTTL", cap}).integer;
  EXPECT_GT(ttl, 24LL * 3600 * 1000 - 60'000);
  EXPECT_LE(ttl, 24LL * 3600 * 1000);

  run(*conn_, {"CONFIG", "RESETSTAT"});
  auto [ec2, r2] = call<admit_result>([&](auto cb) { store_->admit(req("m2", t0 + 5), cb); });
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_TRUE(r2.accepted());
  EXPECT_EQ(calls()["set"], 2);  // the read (NX: nothing written), then the write
  EXPECT_EQ(run(*conn_, {"GET", cap}).str, std::to_string(t0) + std::to_string(t0 + 5));

  // A new key through the fast path: one SET, no GET.
  run(*conn_, {"CONFIG", "RESETSTAT"});
  auto r3 = req("m3", t0 + 6);
  r3.message.number_key = test_secrets()->key(number(2));
  r3.message.e164 = number(2);
  auto [ec3, a3] = call<admit_result>([&](auto cb) { store_->admit(r3, cb); });
  ASSERT_FALSE(ec3) << ec3.message();
  EXPECT_TRUE(a3.accepted());
  auto third = calls();
  EXPECT_EQ(third["set"], 1);
  EXPECT_EQ(third.count("get"), 0u);
}

// Ids whose message hash is gone (purged while queued) are dropped; the claim pops again for the
// places they took, so it still hands out `max` entries when there are that many.
TEST_F(RedisWorker, ClaimSkipsIdsWhoseMessageIsGoneAndStillFillsTheBatch) {
  for (int i = 1; i <= 5; ++i) admit("m" + std::to_string(i), i, t0 + i);
  run(*conn_, {"DEL", msg("m1"), msg("m3")});
  auto c = claim(t0 + 10, 2);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"m2", "m4"}));
  EXPECT_EQ(run(*conn_, {"LRANGE", queue("ready"), "0", "-1"}).elements.size(), 1u);
  EXPECT_EQ(ids(claim(t0 + 11, 2)), (std::vector<std::string>{"m5"}));
  EXPECT_TRUE(claim(t0 + 12, 2).entries.empty());
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("lease")}).integer, 3 + 1);
}

// Expired leases go back to the head of the list in lease order, due scheduled entries to its
// tail (then queued, with the promotion time), each group in one command.
TEST_F(RedisWorker, ReclaimedEntriesComeFirstAndPromotedOnesLast) {
  admit("m1", 1, t0);
  admit("m2", 2, t0 + 1);
  admit("m3", 3, t0 + 2);
  ASSERT_EQ(claim(t0 + 3, 3, 1000).entries.size(), 3u);
  admit("m4", 4, t0 + 4);
  admit("m5", 5, t0 + 5, t0 + 2000);  // scheduled
  admit("m6", 6, t0 + 6, t0 + 2000);
  admit("m7", 7, t0 + 7);
  EXPECT_EQ(field("m5", "st"), "scheduled");
  auto c = claim(t0 + 2000, 10);
  EXPECT_EQ(ids(c), (std::vector<std::string>{"m1", "m2", "m3", "m4", "m7", "m5", "m6"}));
  ASSERT_EQ(c.entries.size(), 7u);
  EXPECT_EQ(c.entries[0].deliveries, 2);
  EXPECT_EQ(c.entries[3].deliveries, 1);
  EXPECT_EQ(c.entries[5].message.status, message_status::queued);
  EXPECT_EQ(c.entries[5].message.updated_at_ms, t0 + 2000);
  EXPECT_EQ(field("m5", "st"), "queued");
  EXPECT_EQ(field("m5", "up"), std::to_string(t0 + 2000));
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("sched")}).integer, 0);
  EXPECT_EQ(run(*conn_, {"ZCARD", queue("lease")}).integer, 7 + 1);
}

}  // namespace
