// Redis-only behaviour (suite RedisStore): start-up refusal, fail closed while down, reconnection,
// script cache loss. Each test runs its own throw-away redis-server on a free loopback port.

#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <set>

#include "policy/redis_connection.hpp"
#include "policy/redis_dump.hpp"
#include "policy/redis_lua_scripts.hpp"  // generated from policy/lua/*.lua
#include "store_test_support.hpp"

namespace {

using namespace policy;
using namespace store_test;

constexpr std::int64_t t0 = 1'800'000'000'000;

admit_request request(const std::string& id, std::int64_t now) {
  admit_request r;
  r.sender = "12345";
  r.category = "marketing";
  r.now_ms = now;
  r.message.id = id;
  r.message.e164 = "+14155550123";
  r.message.number_key = test_secrets()->key(r.message.e164);
  r.message.carrier = "sim";
  r.message.sender = "12345";
  r.message.text = "hi";
  return r;
}

std::unique_ptr<redis_store> make_store(io_thread& io, const std::string& url, std::string prefix = {},
                                        std::string password = {}) {
  redis_options o;
  o.url = url;
  o.password = std::move(password);
  o.key_prefix = prefix.empty() ? "t:" + unique_suffix() + ":" : prefix;
  o.secrets = test_secrets();
  o.request_timeout = std::chrono::milliseconds(1000);
  o.backoff_max = std::chrono::milliseconds(200);
  auto r = redis_store::create(io.io().get_executor(), o);
  EXPECT_TRUE(r.store) << r.error;
  return std::move(r.store);
}

// A store connected as a Redis user who may not RESTORE (ACL), ready; null on failure.
std::unique_ptr<redis_store> store_without_restore(io_thread& io, const std::string& port) {
  const std::string acl = "redis-cli -p " + port + " ACL SETUSER gw on '>pw' '~*' '&*' '+@all' '-restore' >/dev/null";
  if (std::system(acl.c_str()) != 0) return nullptr;
  auto store = make_store(io, "redis://gw:pw@127.0.0.1:" + port + "/0");
  if (!store || !wait_healthy(*store, std::chrono::seconds(5)).first) return nullptr;
  return store;
}

TEST(RedisUrl, Parses) {
  std::string err;
  auto ep = parse_redis_url("redis://127.0.0.1:6390/3", &err);
  ASSERT_TRUE(ep) << err;
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 6390);
  EXPECT_EQ(ep->db, 3);
  auto auth = parse_redis_url("redis://user:pw@redis.local", &err);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->username, "user");
  EXPECT_EQ(auth->password, "pw");
  EXPECT_EQ(auth->port, 6379);
  EXPECT_EQ(auth->db, 0);
  EXPECT_FALSE(parse_redis_url("http://x", &err));
  EXPECT_NE(err.find("redis://"), std::string::npos);
  EXPECT_FALSE(parse_redis_url("redis://host:99999", &err));
  EXPECT_FALSE(parse_redis_url("redis://host:1/x", &err));
}

TEST(RedisStore, RefusesToBecomeReadyWithoutAppendonly) {
  redis_server server(/*appendonly=*/false);
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  auto [ok, detail] = wait_healthy(*store, std::chrono::milliseconds(1500));
  EXPECT_FALSE(ok);
  EXPECT_NE(detail.find("appendonly yes"), std::string::npos) << detail;
  auto [ec, r] = call<admit_result>([&](auto cb) { store->admit(request("m1", t0), cb); });
  EXPECT_EQ(ec, make_error_code(store_errc::not_ready));
  store.reset();
}

TEST(RedisStore, RefusesToBecomeReadyWhenRedisMayEvict) {
  redis_server server(true, "allkeys-lru");
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  auto [ok, detail] = wait_healthy(*store, std::chrono::milliseconds(1500));
  EXPECT_FALSE(ok);
  EXPECT_NE(detail.find("noeviction"), std::string::npos) << detail;
  store.reset();
}

// store.password_file reaches the store as redis_options::password and wins over the URL's.
TEST(RedisStore, PasswordFromFileWinsOverTheUrlPassword) {
  redis_server server;
  ASSERT_TRUE(server.start());
  ASSERT_EQ(std::system(("redis-cli -u " + server.url() + " CONFIG SET requirepass from-file >/dev/null").c_str()), 0);
  std::string with_wrong = server.url();
  with_wrong.replace(0, 8, "redis://:wrong@");
  io_thread io;
  {
    auto refused = make_store(io, with_wrong);
    auto [ok, detail] = wait_healthy(*refused, std::chrono::milliseconds(1500));
    EXPECT_FALSE(ok);
    EXPECT_NE(detail.find("AUTH"), std::string::npos) << detail;
  }
  auto store = make_store(io, with_wrong, {}, "from-file");
  auto [ok, detail] = wait_healthy(*store, std::chrono::seconds(5));
  EXPECT_TRUE(ok) << detail;
  auto [ec, r] = call<admit_result>([&](auto cb) { store->admit(request("m1", t0), cb); });
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(r.accepted());
  store.reset();
}

TEST(RedisStore, FailsClosedWhileDownAndReconnectsWhenBack) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(5)).first);
  auto [ec, r] = call<admit_result>([&](auto cb) { store->admit(request("m1", t0), cb); });
  ASSERT_FALSE(ec);
  EXPECT_TRUE(r.accepted());

  server.stop();
  // Every operation now fails with an error code (never hangs, never "accepted").
  for (int i = 0; i < 3; ++i) {
    auto [ec2, r2] = call<admit_result>([&](auto cb) { store->admit(request("m2", t0 + 1), cb); });
    EXPECT_TRUE(ec2) << "accepted while Redis is down";
    EXPECT_FALSE(r2.accepted());
    auto [ec3, d] = call<done>([&](auto cb) {
      store->suppress({test_secrets()->key("+14155550123"), "", "12345", "stop", "keyword", t0}, cb);
    });
    EXPECT_TRUE(ec3) << "a STOP must not be acknowledged when it was not stored";
  }
  auto [hec, h] = call<health_info>([&](auto cb) { store->health(cb); });
  EXPECT_TRUE(hec);
  EXPECT_FALSE(h.ok);

  ASSERT_TRUE(server.start());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(10)).first) << "did not reconnect";
  auto [ec4, r4] = call<admit_result>([&](auto cb) { store->admit(request("m3", t0 + 2), cb); });
  EXPECT_FALSE(ec4) << ec4.message();
  EXPECT_TRUE(r4.accepted());
  store.reset();
}

TEST(RedisStore, SurvivesScriptCacheFlush) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(5)).first);
  ASSERT_EQ(std::system(("redis-cli -u " + server.url() + " SCRIPT FLUSH >/dev/null").c_str()), 0);
  auto [ec, r] = call<admit_result>([&](auto cb) { store->admit(request("m1", t0), cb); });
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(r.accepted());
  auto [ec2, r2] = call<admit_result>([&](auto cb) { store->admit(request("m1b", t0), cb); });
  EXPECT_FALSE(ec2);
  EXPECT_TRUE(r2.accepted());
  store.reset();
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

std::string digits_packed(std::string_view e164) {  // what the store seals: two digits per byte
  std::string out;
  for (std::size_t i = 1; i < e164.size(); i += 2) {
    int lo = i + 1 < e164.size() ? e164[i + 1] - '0' : 15;
    out += static_cast<char>((e164[i] - '0') * 16 + lo);
  }
  return out;
}

TEST(RedisStore, SuppressionBucketLayoutIsCompactAndHoldsNoNumberInClear) {
  redis_server server;  // Redis' defaults (hash-max-listpack-entries 512, -value 64) are what it needs
  ASSERT_TRUE(server.start());
  io_thread io;
  const std::string prefix = "t:" + unique_suffix() + ":";
  auto store = make_store(io, server.url(), prefix);
  auto [ok, detail] = wait_healthy(*store, std::chrono::seconds(5));
  ASSERT_TRUE(ok) << detail;
  EXPECT_NE(detail.find("hash-max-listpack-entries 512"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("warning"), std::string::npos) << detail;

  // 2,000 global suppressions, per-sender ones (a short code, a long number, an unusual source and
  // the longest E.164), and one erased number.
  std::vector<suppression_record> recs;
  std::vector<std::string> numbers;
  for (int i = 0; i < 2000; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+1415557%04d", i);
    numbers.push_back(buf);
    recs.push_back({test_secrets()->key(buf), buf, "", "dnc", "import", t0 + i});
  }
  recs.push_back({test_secrets()->key(numbers[1]), numbers[1], "12345", "stop", "keyword", t0});
  recs.push_back({test_secrets()->key(numbers[1]), numbers[1], "+14155550100", "stopall", "cli:ops-team", t0});
  const std::string longest = "+861391234567890";  // 15 digits
  recs.push_back({test_secrets()->key(longest), longest, "+14155550100", "stopall", "cli:ops-team", t0});
  auto [iec, imp] = call<import_result>([&](auto cb) { store->import_suppressions(recs, cb); });
  ASSERT_FALSE(iec) << iec.message();
  EXPECT_EQ(imp.added, 2003);
  auto [eec, er] = call<erase_result>([&](auto cb) { store->erase_number(test_secrets()->key(numbers[2]), "cli", t0, cb); });
  ASSERT_FALSE(eec);

  auto conn = raw_connection(io, server.url());
  // Byte-exact record of numbers[0]: bucket = first 4 hex digits of its key, field = the other 30
  // bytes, value = at_ms (6 bytes big-endian) | 0x83 (source "import") | 3 "dnc" | sealed digits.
  const std::string nk0 = test_secrets()->key(numbers[0]);
  auto v0 = run(*conn, {"HGET", prefix + "sup:" + nk0.substr(0, 4), unhex(nk0.substr(4))});
  ASSERT_EQ(v0.str.size(), 6u + 1 + 1 + 3 + (12 + 6 + 16));
  EXPECT_EQ(v0.str.substr(0, 11), std::string("\x01\xa3\x18\x5c\x50\x00\x83\x03" "dnc", 11));  // t0
  auto opened = test_secrets()->open_bytes(v0.str.substr(11));  // number_secrets::seal_bytes of the packed digits
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, digits_packed(numbers[0]));

  std::set<std::string> buckets;
  std::string dump;
  std::string cursor = "0";
  do {
    auto page = run(*conn, {"SCAN", cursor, "MATCH", prefix + "sup:*", "COUNT", "1000"});
    ASSERT_EQ(page.elements.size(), 2u);
    cursor = page.elements[0].str;
    for (const auto& k : page.elements[1].elements) buckets.insert(k.str);
  } while (cursor != "0");
  std::size_t fields = 0, longest_value = 0, longest_field = 0;
  for (const auto& k : buckets) {
    dump += k;
    if (k == prefix + "sup:senders" || k == prefix + "sup:ids") {
      for (const auto& e : run(*conn, {"HGETALL", k}).elements) dump += e.str;
      continue;
    }
    ASSERT_EQ(k.size(), prefix.size() + 8) << k;
    EXPECT_EQ(run(*conn, {"OBJECT", "ENCODING", k}).str, "listpack") << k;
    auto h = run(*conn, {"HGETALL", k});
    for (std::size_t i = 0; i + 1 < h.elements.size(); i += 2) {
      ++fields;
      longest_field = std::max(longest_field, h.elements[i].str.size());
      longest_value = std::max(longest_value, h.elements[i + 1].str.size());
      dump += h.elements[i].str + h.elements[i + 1].str;
    }
  }
  EXPECT_EQ(fields, 2003u);  // numbers[2]: its one suppression replaced by one `erased`
  EXPECT_EQ(longest_field, 31u);  // 30 bytes + a one-byte sender id
  EXPECT_LE(longest_value, 64u);  // within the default hash-max-listpack-value
  // No number in clear, neither as text nor as packed digits.
  for (const std::string& n : {numbers[0], numbers[1], numbers[2], numbers[1999], longest}) {
    EXPECT_EQ(dump.find(n.substr(2)), std::string::npos) << n;
    EXPECT_EQ(dump.find(digits_packed(n).substr(1, 4)), std::string::npos) << n;
  }
  auto [lec, f] = call<number_facts>([&](auto cb) { store->lookup_number(test_secrets()->key(longest), cb); });
  ASSERT_FALSE(lec);
  ASSERT_EQ(f.suppressions.size(), 1u);
  EXPECT_EQ(f.suppressions[0].e164, longest);
  EXPECT_EQ(f.suppressions[0].sender, "+14155550100");
  EXPECT_EQ(f.suppressions[0].source, "cli:ops-team");
  conn->stop();
  store.reset();
}

// Bulk imports (suite RedisImport) write a bucket that does not exist yet with one RESTORE (a
// serialized hash) and merge into a stored one with import_swap.lua, keeping what is stored;
// what they cannot do that way goes to import.lua.

// INFO commandstats of one command as "calls=N,...,failed_calls=N" (empty when never called).
std::string command_stats(const std::string& port, const std::string& command) {
  std::string out;
  std::FILE* p = ::popen(("redis-cli -p " + port + " INFO commandstats").c_str(), "r");
  if (!p) return out;
  char line[512];
  const std::string head = "cmdstat_" + command + ":";
  while (std::fgets(line, sizeof line, p)) {
    std::string l = line;
    if (l.rfind(head, 0) == 0) out = l.substr(head.size(), l.find_first_of("\r\n") - head.size());
  }
  ::pclose(p);
  return out;
}

// `count` numbers whose keys are in the same bucket (first 4 hex digits) as `of`'s.
std::vector<std::string> bucket_neighbours(const std::string& of, std::size_t count) {
  const std::string bucket = test_secrets()->key(of).substr(0, 4);
  std::vector<std::string> out;
  for (int i = 0; out.size() < count; ++i) {
    const std::string n = "+1646" + std::to_string(2000000 + i);
    if (n != of && test_secrets()->key(n).substr(0, 4) == bucket) out.push_back(n);
  }
  return out;
}

TEST(RedisImport, NewBucketsAreRestoredAndExistingBucketsKeepTheirRecords) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  const std::string prefix = "t:" + unique_suffix() + ":";
  auto store = make_store(io, server.url(), prefix);
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(5)).first);
  auto import = [&](const std::vector<suppression_record>& recs) {
    auto [ec, r] = call<import_result>([&](auto cb) { store->import_suppressions(recs, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  };
  const std::string stopped = "+14155550123";
  const std::string neighbour = bucket_neighbours(stopped, 1)[0];
  ASSERT_EQ(import({{test_secrets()->key(stopped), stopped, "", "stop", "keyword", t0}}).added, 1);

  const std::string port = server.port();
  ASSERT_EQ(std::system(("redis-cli -p " + port + " CONFIG RESETSTAT >/dev/null").c_str()), 0);
  std::vector<suppression_record> recs;
  std::set<std::string> buckets;
  for (int i = 0; i < 500; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+1415557%04d", i);
    recs.push_back({test_secrets()->key(buf), buf, "", "dnc", "import", t0 + 1});
    buckets.insert(recs.back().number_key.substr(0, 4));
  }
  const std::string stopped_bucket = test_secrets()->key(stopped).substr(0, 4);
  ASSERT_EQ(buckets.count(stopped_bucket), 0u);
  recs.push_back({test_secrets()->key(stopped), stopped, "", "dnc", "import", t0 + 1});
  recs.push_back({test_secrets()->key(neighbour), neighbour, "", "dnc", "import", t0 + 1});
  auto r = import(recs);
  EXPECT_EQ(r.added, 501);
  EXPECT_EQ(r.existing, 1);
  // One DUMP per bucket and one RESTORE per new bucket; the stopped number's bucket existed and
  // was merged and swapped by import_swap.lua (one script call, which runs one more DUMP and
  // RESTORE), not written record by record.
  const std::string all = std::to_string(buckets.size() + 2);
  EXPECT_EQ(command_stats(port, "dump").rfind("calls=" + all + ",", 0), 0u) << command_stats(port, "dump");
  EXPECT_EQ(command_stats(port, "restore").rfind("calls=" + std::to_string(buckets.size() + 1) + ",", 0), 0u)
      << command_stats(port, "restore");
  EXPECT_NE(command_stats(port, "restore").find("failed_calls=0"), std::string::npos) << command_stats(port, "restore");
  EXPECT_EQ(command_stats(port, "evalsha").rfind("calls=1,", 0), 0u) << command_stats(port, "evalsha");
  EXPECT_EQ(command_stats(port, "hsetnx"), "");

  auto facts = [&](const std::string& n) {
    auto [ec, f] = call<number_facts>([&](auto cb) { store->lookup_number(test_secrets()->key(n), cb); });
    EXPECT_FALSE(ec);
    return f;
  };
  auto kept = facts(stopped);
  ASSERT_EQ(kept.suppressions.size(), 1u);
  EXPECT_EQ(kept.suppressions[0].reason, "stop");  // stored first, kept
  EXPECT_EQ(kept.suppressions[0].source, "keyword");
  auto added = facts(neighbour);
  ASSERT_EQ(added.suppressions.size(), 1u);
  EXPECT_EQ(added.suppressions[0].reason, "dnc");
  EXPECT_EQ(added.suppressions[0].e164, neighbour);
  auto restored = facts("+14155570499");
  ASSERT_EQ(restored.suppressions.size(), 1u);
  EXPECT_EQ(restored.suppressions[0].e164, "+14155570499");
  EXPECT_EQ(restored.suppressions[0].at_ms, t0 + 1);
  auto conn = raw_connection(io, server.url());
  EXPECT_EQ(run(*conn, {"OBJECT", "ENCODING", prefix + "sup:" + recs[0].number_key.substr(0, 4)}).str, "listpack");
  conn->stop();

  // Again: every bucket exists now, nothing is added, nothing is overwritten, nothing written.
  const std::string scripts_before = command_stats(port, "evalsha");
  auto again = import(recs);
  EXPECT_EQ(again.added, 0);
  EXPECT_EQ(again.existing, 502);
  EXPECT_EQ(command_stats(port, "evalsha"), scripts_before) << "a script ran although nothing was new";
  EXPECT_EQ(facts(stopped).suppressions[0].reason, "stop");
  store.reset();
}

// import_swap.lua replaces a bucket only if it is still what the client read: a suppression
// written after the DUMP (a STOP during a refresh) is never lost.
TEST(RedisImport, SwapReplacesOnlyTheBucketAsItWasRead) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  auto conn = raw_connection(io, server.url());
  const std::string body(policy::detail::lua_import_swap);
  auto swap = [&](const std::string& read, const std::string& merged) {
    return run(*conn, {"EVAL", body, "1", "bucket", read, merged}).integer;
  };
  const policy::detail::field_value merged[] = {{"f1", "v1"}, {"f2", "stop"}, {"f3", "dnc"}};
  const policy::detail::field_value without_f2[] = {{"f1", "v1"}, {"f3", "dnc"}};
  run(*conn, {"HSET", "bucket", "f1", "v1"});
  const std::string read = run(*conn, {"DUMP", "bucket"}).str;
  run(*conn, {"HSET", "bucket", "f2", "stop"});  // written after the DUMP
  EXPECT_EQ(swap(read, policy::detail::dump_hash(without_f2)), 0);
  EXPECT_EQ(run(*conn, {"HLEN", "bucket"}).integer, 2);
  EXPECT_EQ(run(*conn, {"HGET", "bucket", "f2"}).str, "stop");

  EXPECT_EQ(swap(run(*conn, {"DUMP", "bucket"}).str, policy::detail::dump_hash(merged)), 1);
  EXPECT_EQ(run(*conn, {"HLEN", "bucket"}).integer, 3);
  EXPECT_EQ(run(*conn, {"HGET", "bucket", "f3"}).str, "dnc");
  EXPECT_EQ(run(*conn, {"OBJECT", "ENCODING", "bucket"}).str, "listpack");

  run(*conn, {"DEL", "bucket"});  // deleted after the DUMP: stays deleted
  EXPECT_EQ(swap(read, policy::detail::dump_hash(merged)), 0);
  EXPECT_EQ(run(*conn, {"EXISTS", "bucket"}).integer, 0);
  conn->stop();
}

// A bucket the client cannot read back (here a hash table: more fields than
// hash-max-listpack-entries) is imported into by import.lua, which keeps what is stored.
TEST(RedisImport, BucketsTheClientCannotReadGoToTheScript) {
  redis_server server;
  ASSERT_TRUE(server.start());
  const std::string port = server.port();
  io_thread io;
  auto store = make_store(io, server.url());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(5)).first);
  ASSERT_EQ(std::system(("redis-cli -p " + port + " CONFIG SET hash-max-listpack-entries 2 >/dev/null").c_str()), 0);
  const std::string first = "+14155550123";
  const auto others = bucket_neighbours(first, 3);
  auto record = [](const std::string& n, const std::string& reason) {
    return suppression_record{test_secrets()->key(n), n, "", reason, "import", t0};
  };
  auto import = [&](const std::vector<suppression_record>& recs) {
    auto [ec, r] = call<import_result>([&](auto cb) { store->import_suppressions(recs, cb); });
    EXPECT_FALSE(ec) << ec.message();
    return r;
  };
  EXPECT_EQ(import({record(first, "stop"), record(others[0], "dnc"), record(others[1], "dnc")}).added, 3);
  ASSERT_EQ(std::system(("redis-cli -p " + port + " CONFIG RESETSTAT >/dev/null").c_str()), 0);
  auto r = import({record(first, "dnc"), record(others[2], "dnc")});
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(r.existing, 1);
  EXPECT_EQ(command_stats(port, "evalsha").rfind("calls=1,", 0), 0u) << command_stats(port, "evalsha");
  EXPECT_EQ(command_stats(port, "restore"), "") << "no RESTORE into a bucket that was not read";
  auto [ec, f] = call<number_facts>([&](auto cb) { store->lookup_number(test_secrets()->key(first), cb); });
  ASSERT_FALSE(ec);
  ASSERT_EQ(f.suppressions.size(), 1u);
  EXPECT_EQ(f.suppressions[0].reason, "stop");
  auto [ec2, g] = call<number_facts>([&](auto cb) { store->lookup_number(test_secrets()->key(others[2]), cb); });
  ASSERT_FALSE(ec2);
  ASSERT_EQ(g.suppressions.size(), 1u);
  EXPECT_EQ(g.suppressions[0].e164, others[2]);
  store.reset();
}

// A Redis user without RESTORE (ACL): the import goes through import.lua, after one refused try.
TEST(RedisImport, WithoutRestorePermissionTheScriptImportsEverything) {
  redis_server server;
  ASSERT_TRUE(server.start());
  const std::string port = server.port();
  io_thread io;
  auto store = store_without_restore(io, port);
  ASSERT_TRUE(store);
  std::vector<suppression_record> recs;
  for (int i = 0; i < 300; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+1415557%04d", i);
    recs.push_back({test_secrets()->key(buf), buf, "", "dnc", "import", t0});
  }
  std::vector<std::string> stats;  // RESTORE's INFO commandstats after each round
  for (int round = 0; round < 2; ++round) {
    auto [ec, r] = call<import_result>([&](auto cb) { store->import_suppressions(recs, cb); });
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.added, round == 0 ? 300 : 0);
    EXPECT_EQ(r.existing, round == 0 ? 0 : 300);
    stats.push_back(command_stats(port, "restore"));
  }
  // The calls of the first import were built before the first refusal came back; the second
  // import does not try RESTORE again.
  EXPECT_NE(stats[0].find("rejected_calls="), std::string::npos) << stats[0];
  EXPECT_EQ(stats[1], stats[0]);
  auto [ec, f] = call<number_facts>([&](auto cb) { store->lookup_number(recs[299].number_key, cb); });
  ASSERT_FALSE(ec);
  ASSERT_EQ(f.suppressions.size(), 1u);
  EXPECT_EQ(f.suppressions[0].e164, "+14155570299");
  store.reset();
}

// Without RESTORE the admission writes the message hash with HSET: a message leased at admission
// (direct hand-off) is written as a claim leaves it, and its lease works like a claim's.
TEST(RedisStore, MessageLeasedAtAdmissionWithoutRestoreIsWrittenAsAClaimLeavesIt) {
  redis_server server;
  ASSERT_TRUE(server.start());
  const std::string port = server.port();
  io_thread io;
  auto store = store_without_restore(io, port);
  ASSERT_TRUE(store);
  for (int i = 0; i < 2; ++i) {  // the first may go out as RESTORE before the refusal is known
    auto r = request("d" + std::to_string(i), t0);
    r.message.e164 = "+1415555012" + std::to_string(i);
    r.message.number_key = test_secrets()->key(r.message.e164);
    r.lease_ms = 30000;
    auto [ec, res] = call<admit_result>([&](auto cb) { store->admit(r, cb); });
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(res.accepted());
    EXPECT_EQ(res.lease_id, "a");
  }
  EXPECT_NE(command_stats(port, "hset").find("calls="), std::string::npos) << "written with HSET";
  auto [mec, m] = call<std::optional<message_record>>([&](auto cb) { store->get_message("d1", cb); });
  ASSERT_FALSE(mec);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, message_status::queued);
  auto [cec, none] = call<claim_result>([&](auto cb) { store->claim({"sim", 10, 30000, t0 + 1}, cb); });
  ASSERT_FALSE(cec);
  EXPECT_TRUE(none.entries.empty());
  auto [aec, again] = call<claim_result>([&](auto cb) { store->claim({"sim", 10, 30000, t0 + 30000}, cb); });
  ASSERT_FALSE(aec);
  ASSERT_EQ(again.entries.size(), 2u);
  for (const auto& e : again.entries) {
    EXPECT_EQ(e.deliveries, 2);  // the admission's lease was the first delivery
    EXPECT_EQ(e.message.status, message_status::queued);
  }
  store.reset();
}

TEST(RedisStore, WarnsWhenListpackLimitsAreTooLowForTheBuckets) {
  redis_server server;
  ASSERT_TRUE(server.start());
  ASSERT_EQ(std::system(("redis-cli -u " + server.url() + " CONFIG SET hash-max-listpack-entries 128 >/dev/null").c_str()), 0);
  io_thread io;
  auto store = make_store(io, server.url());
  auto [ok, detail] = wait_healthy(*store, std::chrono::seconds(5));
  ASSERT_TRUE(ok) << detail;  // a warning, not a refusal
  EXPECT_NE(detail.find("warning: suppression buckets need hash-max-listpack-entries >= 512"), std::string::npos)
      << detail;
  store.reset();
}

TEST(RedisStore, RefusesNumberKeysThatAreNotHmacs) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  auto store = make_store(io, server.url());
  ASSERT_TRUE(wait_healthy(*store, std::chrono::seconds(5)).first);
  auto [ec, d] = call<done>([&](auto cb) { store->suppress({"not-a-key", "", "", "stop", "keyword", t0}, cb); });
  EXPECT_EQ(ec, make_error_code(store_errc::invalid_argument));
  auto r = request("m1", t0);
  r.message.number_key = "nk";
  auto [ec2, a] = call<admit_result>([&](auto cb) { store->admit(r, cb); });
  EXPECT_EQ(ec2, make_error_code(store_errc::invalid_argument));
  EXPECT_FALSE(a.accepted());
  store.reset();
}

// Two instances on one Redis: a suppression stored through one is in the other's feed (the
// gateway's carrier workers poll it, docs/stores.md "Several instances"), once, with its time;
// an existing one is not repeated, a removal is not a suppression.
TEST(RedisStore, SuppressionFeedShowsWhatAnotherInstanceStored) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  const std::string prefix = "t:" + unique_suffix() + ":";
  auto a = make_store(io, server.url(), prefix);
  auto b = make_store(io, server.url(), prefix);
  ASSERT_TRUE(wait_healthy(*a, std::chrono::seconds(5)).first);
  ASSERT_TRUE(wait_healthy(*b, std::chrono::seconds(5)).first);
  ASSERT_TRUE(b->has_suppression_feed());
  const std::string old_one = test_secrets()->key("+14155550120");
  ASSERT_FALSE(call<done>([&](auto cb) { a->suppress({old_one, "", "12345", "stop", "keyword", t0}, cb); }).first);
  // Cursor "": nothing, and where to start (after what was stored so far).
  auto [ec, start] = call<suppression_feed_page>([&](auto cb) { b->suppression_feed("", 100, cb); });
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(start.items.empty());
  ASSERT_FALSE(start.cursor.empty());

  const std::string k1 = test_secrets()->key("+14155550123"), k2 = test_secrets()->key("+14155550124");
  ASSERT_FALSE(call<done>([&](auto cb) { a->suppress({k1, "+14155550123", "12345", "stop", "keyword", t0 + 1}, cb); }).first);
  ASSERT_FALSE(call<done>([&](auto cb) { a->suppress({k1, "+14155550123", "12345", "stop", "keyword", t0 + 2}, cb); }).first);
  ASSERT_FALSE(call<bool>([&](auto cb) { a->unsuppress(k1, "12345", cb); }).first);
  ASSERT_FALSE(call<done>([&](auto cb) { a->suppress({k2, "", "", "api", "api", t0 + 3}, cb); }).first);
  auto [ec2, page] = call<suppression_feed_page>([&](auto cb) { b->suppression_feed(start.cursor, 100, cb); });
  ASSERT_FALSE(ec2) << ec2.message();
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0], (suppression_notice{k1, "12345", t0 + 1}));
  EXPECT_EQ(page.items[1], (suppression_notice{k2, "", t0 + 3}));
  // Pages: `max` at a time, then nothing new.
  auto [ec3, first] = call<suppression_feed_page>([&](auto cb) { b->suppression_feed(start.cursor, 1, cb); });
  ASSERT_FALSE(ec3);
  ASSERT_EQ(first.items.size(), 1u);
  auto [ec4, second] = call<suppression_feed_page>([&](auto cb) { b->suppression_feed(first.cursor, 1, cb); });
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].number_key, k2);
  auto [ec5, none] = call<suppression_feed_page>([&](auto cb) { b->suppression_feed(page.cursor, 100, cb); });
  ASSERT_FALSE(ec5);
  EXPECT_TRUE(none.items.empty());
  EXPECT_EQ(none.cursor, page.cursor);
  a.reset();
  b.reset();
}

// The listpack payload builder (policy/redis_dump.hpp) against Redis itself: what Redis lays out
// when HSET (or RPUSH, which appends list elements to a listpack the same way) adds strings to
// an empty key, byte for byte; then Redis loads the payload with deep sanitisation.
TEST(RedisDumpAgainstRedis, ListpackOfAHashIsWhatRedisBuilds) {
  redis_server server;
  ASSERT_TRUE(server.start());
  io_thread io;
  auto raw = raw_connection(io, server.url());
  auto dumped_listpack = [&](const std::string& key) {
    auto d = run(*raw, {"DUMP", key});
    std::string lp;
    EXPECT_TRUE(detail::read_dump_listpack(d.str, lp)) << key;
    return lp;
  };

  // A hash Redis keeps as a listpack (values up to 64 bytes): short strings, numeric-looking
  // strings that are and that are not integers for Redis, 63 and 64 bytes.
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"d", "2:m1"},     {"st", "queued"},         {"dlv", "1"},           {"zero", "0"},
      {"12", "12"},      {"neg", "-5"},            {"lead", "007"},        {"up", "1700000000000"},
      {"minus0", "-0"},  {"plus", "+5"},           {"big", "9223372036854775807"},
      {"over", "9223372036854775808"},             {"min", "-9223372036854775808"},
      {"128", "-4097"},  {"e", ""},                {"s63", std::string(63, 'a')},
      {"s64", std::string(64, 'b')},               {"32768", "-8388609"},  {"2147483648", "1.5"}};
  std::vector<std::string> hset = {"HSET", "h"};
  std::vector<detail::field_value> fields;
  for (const auto& [f, v] : pairs) {
    hset.push_back(f);
    hset.push_back(v);
    fields.emplace_back(f, v);
  }
  run(*raw, hset);
  ASSERT_EQ(run(*raw, {"OBJECT", "ENCODING", "h"}).str, "listpack");
  EXPECT_EQ(dumped_listpack("h"), detail::listpack_hash(fields));

  // Longer strings (a hash would turn into a hashtable on HSET): as list elements, in pairs
  // while the pair fits one quicklist node (8 KB), else one element per list, whose entry must be
  // the field's entry of the builder's listpack.
  int n = 0;
  for (std::size_t len : {65u, 125u, 126u, 4095u, 4096u, 16377u, 16378u, 20000u}) {
    const std::string key = "l" + std::to_string(++n);
    const std::string a(len, 'x'), b = std::to_string(len);
    const detail::field_value one[] = {{a, b}};
    const std::string ours = detail::listpack_hash(one);
    if (len < 8000) {
      run(*raw, {"RPUSH", key, a, b});
      EXPECT_TRUE(dumped_listpack(key) == ours) << len;
    } else {
      run(*raw, {"RPUSH", key, a});
      const std::string lp = dumped_listpack(key);
      ASSERT_GT(lp.size(), 7u) << len;
      const std::string entry = lp.substr(6, lp.size() - 7);
      EXPECT_TRUE(ours.compare(6, entry.size(), entry) == 0) << len;
    }
  }

  // Redis loads the payload (deep sanitisation: every entry and the pairs checked) as a listpack,
  // also with a value over hash-max-listpack-value, and keeps it one after a short HSET.
  run(*raw, {"CONFIG", "SET", "sanitize-dump-payload", "yes"});
  const std::string long_value(300, 'z');
  fields.emplace_back("long", long_value);
  run(*raw, {"RESTORE", "r", "0", detail::dump_hash_listpack(fields)});
  EXPECT_EQ(run(*raw, {"OBJECT", "ENCODING", "r"}).str, "listpack");
  run(*raw, {"HSET", "r", "st", "sent"});
  EXPECT_EQ(run(*raw, {"OBJECT", "ENCODING", "r"}).str, "listpack");
  auto all = run(*raw, {"HGETALL", "r"});
  std::map<std::string, std::string> got;
  for (std::size_t i = 0; i + 1 < all.elements.size(); i += 2) got[all.elements[i].str] = all.elements[i + 1].str;
  EXPECT_EQ(got.size(), pairs.size() + 1);
  for (const auto& [f, v] : pairs) EXPECT_EQ(got[f], f == "st" ? "sent" : v) << f;
  EXPECT_EQ(got["long"], long_value);
  raw->stop();
}

}  // namespace
