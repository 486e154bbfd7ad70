// The store contract of the operator operations (issue 7: smsgwctl): bulk import, export pages,
// right to erasure, retention purge, and no phone number in clear in a dump. Typed over both
// stores like store_contract_test.cpp (StoreTooling/Sqlite, StoreTooling/Redis); the Redis cases
// use SMSGW_TEST_REDIS_URL with a unique key prefix.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;
constexpr std::int64_t day = 24LL * 3600 * 1000;

const std::string alice = "+14155550123";
const std::string bob = "+14155550124";

std::string nk(const std::string& e164) { return test_secrets()->key(e164); }

std::string number(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+1415556%04d", i);
  return buf;
}

admit_request request(const std::string& id, const std::string& e164, std::int64_t now) {
  admit_request r = base_request(id, e164, now);
  r.category = r.message.category = "transactional";
  r.message.text = "Your code is 4711";
  r.caps = {{24 * 3600, 100, false}};
  return r;
}

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

template <class B>
class StoreTooling : public store_fixture<B> {
 protected:
  using store_fixture<B>::store_;
  using store_fixture<B>::backend_;

  import_result import_sups(std::vector<suppression_record> recs) {
    auto [ec, r] = call<import_result>([&](auto cb) { store_->import_suppressions(std::move(recs), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
  import_result import_cons(std::vector<consent_record> recs) {
    auto [ec, r] = call<import_result>([&](auto cb) { store_->import_consents(std::move(recs), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  }
  number_facts facts(const std::string& e164) {
    auto [ec, f] = call<number_facts>([&](auto cb) { store_->lookup_number(nk(e164), cb); });
    EXPECT_FALSE(ec) << ec.message();
    return f;
  }
  std::vector<suppression_record> export_all_sups(int page, std::size_t* pages = nullptr) {
    std::vector<suppression_record> all;
    std::string cursor;
    std::size_t n = 0;
    do {
      auto [ec, p] = call<export_page<suppression_record>>(
          [&](auto cb) { store_->export_suppressions(cursor, page, cb); });
      EXPECT_FALSE(ec) << ec.message();
      if (ec) break;
      all.insert(all.end(), p.items.begin(), p.items.end());
      cursor = p.cursor;
      ++n;
    } while (!cursor.empty() && n < 100000);
    if (pages) *pages = n;
    return all;
  }
  purge_result purge(purge_request r) {
    auto [ec, res] = call<purge_result>([&](auto cb) { store_->purge(r, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }
  std::optional<message_record> message(const std::string& id) {
    auto [ec, m] = call<std::optional<message_record>>([&](auto cb) { store_->get_message(id, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return m;
  }
  void admit_final(const std::string& id, const std::string& e164, std::int64_t at, message_status st) {
    auto [ec, r] = call<admit_result>([&](auto cb) { store_->admit(request(id, e164, at), cb); });
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(r.accepted());
    auto [ec2, s] = call<status_result>([&](auto cb) { store_->set_status({id, st, "", "", at, 0}, cb); });
    ASSERT_FALSE(ec2);
    ASSERT_TRUE(s.applied);
  }

  // Everything the backend holds, as text (SQLite: the file and its WAL; Redis: every key of the
  // test's prefix with its values).
  std::string dump() {
    if constexpr (std::is_same_v<B, sqlite_backend>) {
      std::string all;
      for (const char* suffix : {"", "-wal"}) {
        std::ifstream in(backend_.file().string() + suffix, std::ios::binary);
        all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
      return all;
    } else {
      const std::string cli = "redis-cli -u '" + backend_.url + "' ";
      return run_capture("for k in $(" + cli + "--scan --pattern '" + backend_.prefix +
                         "*'); do echo \"$k\"; t=$(" + cli + "TYPE \"$k\"); case $t in hash) " + cli +
                         "HGETALL \"$k\";; list) " + cli + "LRANGE \"$k\" 0 -1;; zset) " + cli +
                         "ZRANGE \"$k\" 0 -1;; string) " + cli + "GET \"$k\";; esac; done 2>&1");
    }
  }
};

TYPED_TEST_SUITE(StoreTooling, backends, backend_names);

TYPED_TEST(StoreTooling, ImportSuppressionsCountsNewAndExistingAndRepeatsSafely) {
  auto [ec, d] = call<done>([&](auto cb) {
    this->store_->suppress({nk(alice), alice, "", "stop", "keyword", t0 - day}, cb);
  });
  ASSERT_FALSE(ec);
  std::vector<suppression_record> recs = {{nk(alice), alice, "", "dnc", "import", t0},
                                          {nk(bob), bob, "", "dnc", "import", t0},
                                          {nk(bob), bob, "12345", "dnc", "import", t0}};
  auto first = this->import_sups(recs);
  EXPECT_EQ(first.added, 2);
  EXPECT_EQ(first.existing, 1);
  auto second = this->import_sups(recs);
  EXPECT_EQ(second.added, 0);
  EXPECT_EQ(second.existing, 3);
  auto f = this->facts(alice);
  ASSERT_EQ(f.suppressions.size(), 1u);
  EXPECT_EQ(f.suppressions[0].reason, "stop");  // the first record is kept
  EXPECT_EQ(f.suppressions[0].at_ms, t0 - day);
  auto g = this->facts(bob);
  ASSERT_EQ(g.suppressions.size(), 2u);
  EXPECT_EQ(g.suppressions[0].reason, "dnc");
  EXPECT_EQ(g.suppressions[0].e164, bob);
  auto [ec2, blocked] = call<bool>([&](auto cb) {
    this->store_->is_suppressed(nk(bob), "99999", opt_out_scope::sender, cb);
  });
  EXPECT_FALSE(ec2);
  EXPECT_TRUE(blocked);
  EXPECT_EQ(this->import_sups({}).added, 0);
}

// A bulk import as smsgwctl sends it: thousands of records (more than one import.lua call) over
// thousands of buckets, several records sharing a bucket (one HMGET/HSET per bucket in Redis),
// a global and a per-sender record of the same number, the same record twice in one batch, and
// a number already suppressed whose first record must be kept.
TYPED_TEST(StoreTooling, ImportSpanningManyBucketsKeepsExistingAndCountsEachRecordOnce) {
  std::map<std::string, std::vector<std::string>> by_bucket;  // first 4 hex digits of the key
  for (int i = 0; i < 10000; ++i) by_bucket[nk(number(i)).substr(0, 4)].push_back(number(i));
  std::vector<std::string> crowded;  // numbers of buckets holding 3 or more of them
  std::vector<std::string> alone;
  for (const auto& [bucket, numbers] : by_bucket) {
    if (numbers.size() >= 3 && crowded.size() < 30) {
      crowded.insert(crowded.end(), numbers.begin(), numbers.end());
    } else if (numbers.size() == 1 && alone.size() < 4500) {
      alone.push_back(numbers[0]);
    }
  }
  ASSERT_GE(crowded.size(), 9u);
  const std::string kept = crowded[1];
  auto [ec, d] = call<done>([&](auto cb) { this->store_->suppress({nk(kept), kept, "", "stop", "keyword", t0 - day}, cb); });
  ASSERT_FALSE(ec);

  std::vector<suppression_record> recs;
  for (const auto& n : alone) recs.push_back({nk(n), n, "", "dnc", "import", t0});
  for (const auto& n : crowded) recs.push_back({nk(n), n, "", "dnc", "import", t0});
  recs.push_back({nk(crowded[0]), crowded[0], "12345", "complaint", "import", t0});  // per sender, same bucket
  recs.push_back({nk(crowded[2]), crowded[2], "", "dnc", "import", t0 + 1});         // the same field again
  const auto distinct = static_cast<std::int64_t>(alone.size() + crowded.size() + 1);

  auto first = this->import_sups(recs);
  EXPECT_EQ(first.added, distinct - 1);  // all but the one already suppressed
  EXPECT_EQ(first.existing, 2);          // that one, and the repeated record
  auto second = this->import_sups(recs);
  EXPECT_EQ(second.added, 0);
  EXPECT_EQ(second.existing, static_cast<std::int64_t>(recs.size()));

  auto k = this->facts(kept);
  ASSERT_EQ(k.suppressions.size(), 1u);
  EXPECT_EQ(k.suppressions[0].reason, "stop");
  EXPECT_EQ(k.suppressions[0].source, "keyword");
  EXPECT_EQ(k.suppressions[0].at_ms, t0 - day);
  auto c0 = this->facts(crowded[0]);
  ASSERT_EQ(c0.suppressions.size(), 2u);
  EXPECT_EQ(c0.suppressions[0].sender, "");
  EXPECT_EQ(c0.suppressions[0].reason, "dnc");
  EXPECT_EQ(c0.suppressions[1].sender, "12345");
  EXPECT_EQ(c0.suppressions[1].reason, "complaint");
  auto c2 = this->facts(crowded[2]);
  ASSERT_EQ(c2.suppressions.size(), 1u);
  EXPECT_EQ(c2.suppressions[0].e164, crowded[2]);
  for (std::size_t i = 3; i < crowded.size(); ++i) {
    auto f = this->facts(crowded[i]);
    ASSERT_EQ(f.suppressions.size(), 1u) << crowded[i];
    EXPECT_EQ(f.suppressions[0].e164, crowded[i]);
    EXPECT_EQ(f.suppressions[0].at_ms, t0);
  }
  std::set<std::string> exported;
  for (const auto& s : this->export_all_sups(1000)) exported.insert(s.e164);
  EXPECT_EQ(exported.size(), alone.size() + crowded.size());
}

// One bucket filled far beyond the size where Redis' import switches from HMGET + HSET to HSETNX
// per record: keys made to share their first 4 hex digits (the stores take any 64-hex key).
TYPED_TEST(StoreTooling, ImportIntoOneLargeBucketKeepsExistingRecords) {
  auto key = [](int i) {
    char buf[65];
    std::snprintf(buf, sizeof buf, "abcd%060d", i * 7919);
    return std::string(buf);
  };
  std::vector<suppression_record> a, b;
  for (int i = 0; i < 150; ++i) a.push_back({key(i), number(i), "", "dnc", "import", t0});
  for (int i = 100; i < 300; ++i) b.push_back({key(i), number(i), "", "complaint", "import", t0 + day});
  b.push_back({key(5), number(5), "12345", "stop", "keyword", t0 + day});  // per sender, same number
  auto first = this->import_sups(a);  // a new bucket: one write
  EXPECT_EQ(first.added, 150);
  EXPECT_EQ(first.existing, 0);
  auto second = this->import_sups(b);  // into a bucket of 150
  EXPECT_EQ(second.added, 151);
  EXPECT_EQ(second.existing, 50);
  auto third = this->import_sups(b);
  EXPECT_EQ(third.added, 0);
  EXPECT_EQ(third.existing, 201);
  auto facts_of = [&](const std::string& k) {
    auto [ec, f] = call<number_facts>([&](auto cb) { this->store_->lookup_number(k, cb); });
    EXPECT_FALSE(ec);
    return f;
  };
  auto kept = facts_of(key(120));
  ASSERT_EQ(kept.suppressions.size(), 1u);
  EXPECT_EQ(kept.suppressions[0].reason, "dnc");  // imported first, kept
  EXPECT_EQ(kept.suppressions[0].at_ms, t0);
  EXPECT_EQ(kept.suppressions[0].e164, number(120));
  auto added = facts_of(key(250));
  ASSERT_EQ(added.suppressions.size(), 1u);
  EXPECT_EQ(added.suppressions[0].reason, "complaint");
  EXPECT_EQ(added.suppressions[0].e164, number(250));
  EXPECT_EQ(facts_of(key(5)).suppressions.size(), 2u);
  EXPECT_EQ(this->export_all_sups(1000).size(), 301u);

  // Several per-sender records into a new bucket (one HSET with the sender's id appended).
  std::vector<suppression_record> c;
  for (int i = 0; i < 5; ++i) {
    std::string k = key(i);
    k.replace(0, 4, "ef01");
    c.push_back({k, number(1000 + i), "777", "stop", "keyword", t0});
  }
  auto fourth = this->import_sups(c);
  EXPECT_EQ(fourth.added, 5);
  EXPECT_EQ(this->import_sups(c).existing, 5);
  auto scoped = facts_of(c[3].number_key);
  ASSERT_EQ(scoped.suppressions.size(), 1u);
  EXPECT_EQ(scoped.suppressions[0].sender, "777");
  EXPECT_EQ(scoped.suppressions[0].e164, number(1003));
  auto [ec2, blocked] = call<bool>([&](auto cb) {
    this->store_->is_suppressed(c[3].number_key, "777", opt_out_scope::sender, cb);
  });
  EXPECT_FALSE(ec2);
  EXPECT_TRUE(blocked);
  auto [ec3, other] = call<bool>([&](auto cb) {
    this->store_->is_suppressed(c[3].number_key, "888", opt_out_scope::sender, cb);
  });
  EXPECT_FALSE(ec3);
  EXPECT_FALSE(other);
}

// Batches that overlap: what an earlier batch stored counts as already stored in a later one.
TYPED_TEST(StoreTooling, ImportBatchesOverlappingEarlierOnesCountOnlyTheNewRecords) {
  std::vector<suppression_record> a, b;
  for (int i = 0; i < 300; ++i) a.push_back({nk(number(i)), number(i), "", "dnc", "import", t0});
  for (int i = 200; i < 500; ++i) b.push_back({nk(number(i)), number(i), "", "dnc", "import", t0 + day});
  auto first = this->import_sups(a);
  EXPECT_EQ(first.added, 300);
  auto second = this->import_sups(b);
  EXPECT_EQ(second.added, 200);
  EXPECT_EQ(second.existing, 100);
  EXPECT_EQ(this->facts(number(250)).suppressions.at(0).at_ms, t0);  // the earlier batch's record
  EXPECT_EQ(this->facts(number(450)).suppressions.at(0).at_ms, t0 + day);
}

TYPED_TEST(StoreTooling, ImportConsentsGrantsOnceWithOneLedgerEntry) {
  std::vector<consent_record> recs = {{nk(alice), alice, "marketing", "", "import", "list 7", t0},
                                      {nk(bob), bob, "marketing", "12345", "import", "list 7", t0}};
  auto first = this->import_cons(recs);
  EXPECT_EQ(first.added, 2);
  EXPECT_EQ(first.existing, 0);
  auto second = this->import_cons(recs);
  EXPECT_EQ(second.added, 0);
  EXPECT_EQ(second.existing, 2);
  auto f = this->facts(alice);
  ASSERT_EQ(f.consents.size(), 1u);
  EXPECT_EQ(f.consents[0].evidence, "list 7");
  EXPECT_EQ(f.consents[0].e164, alice);
  ASSERT_EQ(f.ledger.size(), 1u);
  EXPECT_TRUE(f.ledger[0].granted);
}

TYPED_TEST(StoreTooling, ExportPagesReturnEverySuppressionAndConsentWithItsNumber) {
  std::vector<suppression_record> sups;
  std::vector<consent_record> cons;
  std::set<std::string> expected;
  for (int i = 0; i < 250; ++i) {
    sups.push_back({nk(number(i)), number(i), "", "dnc", "import", t0 + i});
    expected.insert(number(i));
    if (i % 5 == 0) cons.push_back({nk(number(i)), number(i), "marketing", "", "import", "", t0});
  }
  sups.push_back({nk(number(0)), number(0), "12345", "stop", "keyword", t0});
  this->import_sups(sups);
  this->import_cons(cons);
  std::size_t pages = 0;
  auto all = this->export_all_sups(40, &pages);
  EXPECT_GT(pages, 1u);  // really paged
  std::set<std::pair<std::string, std::string>> got;
  for (const auto& s : all) {
    EXPECT_EQ(s.number_key, nk(s.e164));
    got.insert({s.e164, s.sender});
  }
  EXPECT_EQ(got.size(), 251u);
  std::set<std::string> numbers;
  for (const auto& [e164, sender] : got) numbers.insert(e164);
  EXPECT_EQ(numbers, expected);

  std::set<std::string> consent_numbers;
  std::string cursor;
  int guard = 0;
  do {
    auto [ec, p] = call<export_page<consent_record>>([&](auto cb) { this->store_->export_consents(cursor, 7, cb); });
    ASSERT_FALSE(ec);
    for (const auto& c : p.items) {
      EXPECT_EQ(c.category, "marketing");
      consent_numbers.insert(c.e164);
    }
    cursor = p.cursor;
  } while (!cursor.empty() && ++guard < 10000);
  EXPECT_EQ(consent_numbers.size(), 50u);
}

TYPED_TEST(StoreTooling, EraseKeepsOnlyAnErasedGlobalSuppressionWithoutTheNumber) {
  this->admit_final("m1", alice, t0, message_status::delivered);
  auto [ec0, r0] = call<admit_result>([&](auto cb) { this->store_->admit(request("m2", alice, t0), cb); });
  ASSERT_TRUE(r0.accepted());
  auto [ec1, r1] = call<admit_result>([&](auto cb) { this->store_->admit(request("m3", bob, t0), cb); });
  ASSERT_TRUE(r1.accepted());
  this->import_cons({{nk(alice), alice, "marketing", "", "api", "form", t0}});
  this->import_sups({{nk(alice), alice, "12345", "stop", "keyword", t0}});

  auto [ec, e] = call<erase_result>([&](auto cb) { this->store_->erase_number(nk(alice), "cli:ops", t0 + 5, cb); });
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(e.consents, 1);
  EXPECT_EQ(e.ledger_entries, 1);
  EXPECT_EQ(e.messages, 2);
  EXPECT_EQ(e.suppressions, 1);

  auto f = this->facts(alice);
  ASSERT_EQ(f.suppressions.size(), 1u);
  EXPECT_EQ(f.suppressions[0].sender, "");
  EXPECT_EQ(f.suppressions[0].reason, "erased");
  EXPECT_EQ(f.suppressions[0].source, "cli:ops");
  EXPECT_EQ(f.suppressions[0].at_ms, t0 + 5);
  EXPECT_EQ(f.suppressions[0].e164, "");  // no longer readable
  EXPECT_TRUE(f.consents.empty());
  EXPECT_TRUE(f.ledger.empty());
  EXPECT_FALSE(this->message("m1"));
  EXPECT_FALSE(this->message("m2"));
  EXPECT_TRUE(this->message("m3"));  // another number is untouched
  auto [ec2, c] = call<claim_result>([&](auto cb) { this->store_->claim({"sim", 10, 30000, t0 + 10}, cb); });
  ASSERT_FALSE(ec2);
  ASSERT_EQ(c.entries.size(), 1u);  // the erased number's queued message is gone
  EXPECT_EQ(c.entries[0].message.id, "m3");
  // Still refused for every sender.
  auto [ec3, again] = call<admit_result>([&](auto cb) { this->store_->admit(request("m4", alice, t0 + 20), cb); });
  EXPECT_EQ(again.refused, reason::recipient_opted_out);
  // An export skips nothing silently: the erased entry comes back without a number.
  auto all = this->export_all_sups(100);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].e164, "");
}

TYPED_TEST(StoreTooling, PurgeRemovesBodiesAndRecordsAfterTheirPeriodsOnly) {
  const std::int64_t now = t0 + 100 * day;
  this->admit_final("old", alice, now - 95 * day, message_status::delivered);      // record goes
  this->admit_final("week", bob, now - 10 * day, message_status::undeliverable);   // body goes
  this->admit_final("fresh", number(1), now - 1 * day, message_status::delivered);  // kept whole
  auto [ec0, live] = call<admit_result>([&](auto cb) { this->store_->admit(request("live", number(2), now - 99 * day), cb); });
  ASSERT_TRUE(live.accepted());  // never final: kept whatever its age
  this->import_sups({{nk(number(3)), number(3), "", "dnc", "import", now - 2000 * day}});

  purge_request req;
  req.now_ms = now;
  req.bodies_final_before_ms = now - 7 * day;
  req.records_final_before_ms = now - 90 * day;
  req.dry_run = true;
  auto preview = this->purge(req);
  EXPECT_EQ(preview.records, 1);
  EXPECT_EQ(preview.bodies, 1);
  ASSERT_TRUE(this->message("old"));  // dry run changed nothing
  EXPECT_EQ(this->message("week")->text, "Your code is 4711");

  req.dry_run = false;
  auto done_r = this->purge(req);
  EXPECT_EQ(done_r.records, 1);
  EXPECT_EQ(done_r.bodies, 1);
  EXPECT_FALSE(this->message("old"));
  auto week = this->message("week");
  ASSERT_TRUE(week);
  EXPECT_EQ(week->text, "");
  EXPECT_EQ(week->status, message_status::undeliverable);
  EXPECT_EQ(week->e164, bob);  // the record itself stays until message_records
  EXPECT_EQ(this->message("fresh")->text, "Your code is 4711");
  EXPECT_EQ(this->message("live")->text, "Your code is 4711");
  EXPECT_EQ(this->facts(number(3)).suppressions.size(), 1u);  // suppressions never expire

  auto again = this->purge(req);  // nothing left to do
  EXPECT_EQ(again.records, 0);
  EXPECT_EQ(again.bodies, 0);
}

TYPED_TEST(StoreTooling, ADumpShowsNoPhoneNumberInClear) {
  std::vector<suppression_record> sups;
  for (int i = 0; i < 20; ++i) sups.push_back({nk(number(i)), number(i), "", "dnc", "import", t0});
  this->import_sups(sups);
  this->import_cons({{nk(alice), alice, "marketing", "", "import", "", t0}});
  this->admit_final("m1", bob, t0, message_status::delivered);
  auto [ec, e] = call<erase_result>([&](auto cb) { this->store_->erase_number(nk(number(5)), "cli", t0, cb); });
  ASSERT_FALSE(ec);
  const std::string text = this->dump();
  ASSERT_NE(text.find("dnc"), std::string::npos) << "the dump is empty: " << text.substr(0, 200);
  for (const std::string& n : {alice, bob, number(0), number(5), number(19)}) {
    EXPECT_EQ(text.find(n.substr(2)), std::string::npos) << n << " appears in clear";  // without +1
  }
}

}  // namespace
