// Loader behaviour beyond single mistakes: all errors at once, defaults, paths, secrets, warnings.
#include <algorithm>

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <string>

#include "config/load.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using config_test::lines;
using config_test::temp_dir;

config::sha256_digest sha256(std::string_view s) {
  config::sha256_digest out{};
  unsigned int length = 0;
  EVP_Digest(s.data(), s.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

config::load_result load(std::string_view yaml, const std::string& dir = "/srv/smsgw") {
  return config::load_config_from_string(yaml, "t.yaml", dir);
}

TEST(Load, ReportsEveryErrorOfTheFileInOrder) {
  const char* yaml =
      "http: {listen: \"localhost\"}\n"                                    // 1
      "carriers:\n"                                                      // 2
      "  - {name: sim, host: h, system_id: s, sessions: 0, bnd: x}\n"    // 3
      "routes:\n"                                                        // 4
      "  - {prefix: \"+1\", carrier: nope}\n"                            // 5
      "policy:\n"                                                        // 6
      "  opt_out_scope: everyone\n"                                      // 7
      "  categories: {marketing: {caps: [{window: forever, max: 3}]}}\n"  // 8
      "logging: {level: loud}\n";                                        // 9
  config::load_result r = load(yaml);
  EXPECT_EQ(lines(r.errors),
            (std::vector<std::string>{
                "t.yaml:1:16: http.listen: must be HOST:PORT such as 127.0.0.1:8080 or [::1]:8080 (port 0 to "
                "65535), got \"localhost\"",
                "t.yaml:3:50: carriers[0].sessions: must be an integer from 1 to 64, got \"0\"",
                "t.yaml:3:53: carriers[0]: unknown key \"bnd\" (did you mean \"bind\"?)",
                "t.yaml:5:29: routes[0].carrier: unknown carrier \"nope\"",
                "t.yaml:7:18: policy.opt_out_scope: must be sender or global, got \"everyone\"",
                // default_category is not written: the error points at the categories.
                "t.yaml:8:3: policy.default_category: \"transactional\" is not a category (categories: marketing)",
                "t.yaml:8:44: policy.categories.marketing.caps[0].window: must be a duration such as 90s, 15m, "
                "24h or 7d, got \"forever\"",
                "t.yaml:9:18: logging.level: must be trace, debug, info, warn, error, critical or off, got \"loud\"",
            }));
}

TEST(Load, FillsDefaultsForEverythingLeftOut) {
  config::load_result r = load("logging: {}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  const config::gateway_config& c = r.config;
  EXPECT_EQ(c.http.listen, (config::endpoint{"127.0.0.1", 8080}));
  EXPECT_EQ(c.http.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c.http.read_timeout, 10s);
  EXPECT_EQ(c.http.max_send_at_ahead, 0s);  // no limit unless configured
  EXPECT_EQ(c.admin.listen, (config::endpoint{"127.0.0.1", 9090}));
  EXPECT_EQ(c.store.kind, config::store_kind::sqlite);
  EXPECT_EQ(c.store.path, "/srv/smsgw/var/smsgw.db");
  EXPECT_EQ(c.secrets.number_key_file, "/srv/smsgw/var/number.key");
  EXPECT_FALSE(c.secrets.generate_number_key);
  EXPECT_EQ(c.policy.default_category, "transactional");
  ASSERT_EQ(c.policy.categories.size(), 1u);
  EXPECT_EQ(c.policy.categories[0].name, "transactional");
  EXPECT_EQ(c.policy.scope, config::opt_out_scope::sender);
  EXPECT_EQ(c.policy.quiet_hours.jurisdictions, config::default_jurisdictions());
  EXPECT_EQ(c.policy.keywords, config::default_keywords());
  EXPECT_EQ(c.policy.allowed_number_types, config::default_allowed_number_types());
  EXPECT_EQ(c.retention.message_bodies, 7 * 24h);
  EXPECT_EQ(c.retention.message_records, 90 * 24h);
  EXPECT_EQ(c.retention.idempotency, 24h);
  EXPECT_EQ(c.logging.format, config::log_format::json);
  EXPECT_FALSE(c.logging.log_bodies);
  EXPECT_EQ(c.queue.validity, 48h);
  EXPECT_EQ(c.runtime.io_threads, 0u);  // one per core, at least 2
  // Nothing can be sent: said, not refused (smsgwctl works without carriers).
  EXPECT_EQ(lines(r.warnings), std::vector<std::string>{"t.yaml:1:1: no carriers are configured: nothing can be sent"});
}

TEST(Load, IoThreadsAreSetOrLeftToTheCores) {
  config::load_result r = load("runtime: {io_threads: 1}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.runtime.io_threads, 1u);
  config::load_result r0 = load("runtime: {io_threads: 0}\n");
  ASSERT_TRUE(r0.ok()) << lines(r0.errors)[0];
  EXPECT_EQ(r0.config.runtime.io_threads, 0u);
  EXPECT_FALSE(r.config.runtime == r0.config.runtime);  // a reload can tell (and refuses it)
}

TEST(Load, AnEmptyValueMeansTheDefault) {
  config::load_result r = load("http:\n  listen: ~\n  read_timeout:\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.http.listen.port, 8080);
  EXPECT_EQ(r.config.http.read_timeout, 10s);
}

TEST(Load, ParsesListenersDurationsAndSizes) {
  config::load_result r = load(
      "http: {listen: \"[::1]:0\", max_body_bytes: 64KiB, max_header_bytes: 4096, read_timeout: 500ms,"
      " idle_timeout: 2m, max_send_at_ahead: 90d}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.http.listen, (config::endpoint{"::1", 0}));  // port 0: the OS picks (tests)
  EXPECT_EQ(r.config.http.max_body_bytes, 64u * 1024u);
  EXPECT_EQ(r.config.http.max_header_bytes, 4096u);
  EXPECT_EQ(r.config.http.read_timeout, 500ms);
  EXPECT_EQ(r.config.http.idle_timeout, 120s);
  EXPECT_EQ(r.config.http.max_send_at_ahead, 90 * 24h);
}

TEST(Load, ResolvesRelativePathsAgainstTheConfigDirectory) {
  temp_dir dir;
  dir.write("tls/ca.pem", "x");
  dir.write("keys/number.key", std::string(64, 'a') + "\n");
  const std::string file = dir.write(
      "etc/smsgw.yaml",
      "store: {path: \"data/smsgw.db\"}\n"
      "secrets: {number_key_file: \"../keys/number.key\"}\n"
      "carriers:\n"
      "  - {name: c, host: h, system_id: s, tls: {enabled: true, ca_file: ../tls/ca.pem}}\n");
  config::load_result r = config::load_config(file);
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.base_dir, dir.str() + "/etc");
  EXPECT_EQ(r.config.store.path, dir.str() + "/etc/data/smsgw.db");
  EXPECT_EQ(r.config.secrets.number_key_file, dir.str() + "/keys/number.key");
  EXPECT_EQ(r.config.carriers[0].tls.ca_file, dir.str() + "/tls/ca.pem");

  config::load_result fixed = load("store: {path: /var/lib/smsgw/db}\n");
  EXPECT_EQ(fixed.config.store.path, "/var/lib/smsgw/db");
  config::load_result memory = load("store: {path: \":memory:\"}\n");
  EXPECT_EQ(memory.config.store.path, ":memory:");
}

TEST(Load, ReadsSecretsFromFiles) {
  temp_dir dir;
  dir.write("api.key", "s3cr3t-api-key\n");
  dir.write("carrier.pw", "pw1234\r\n");
  dir.write("hook.secret", "hook");
  dir.write("redis.pw", "redispw\n");
  config::load_result r = load(
      "store: {kind: redis, url: \"redis://:inurl@10.1.2.3:6380/2\", password_file: redis.pw}\n"
      "api_keys:\n"
      "  - {name: app, key_file: api.key, senders: [\"12345\"], webhooks: {status_url: \"http://a/s\"}}\n"
      "webhooks: {secret_file: hook.secret}\n"
      "carriers:\n"
      "  - {name: c, host: h, system_id: s, password_file: carrier.pw}\n",
      dir.str());
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.api_keys[0].key_sha256, sha256("s3cr3t-api-key"));
  EXPECT_EQ(r.config.carriers[0].password, "pw1234");
  EXPECT_EQ(r.config.webhooks.targets.secret, "hook");
  EXPECT_EQ(r.config.api_keys[0].webhooks->secret, "hook");  // inherits the global secret
  EXPECT_EQ(r.config.store.redis_host, "10.1.2.3");
  EXPECT_EQ(r.config.store.redis_port, 6380);
  EXPECT_EQ(r.config.store.redis_db, 2u);
  EXPECT_EQ(r.config.store.redis_password, "redispw");  // the file wins over the URL
}

TEST(Load, EmptyOrDirectorySecretFilesAreErrors) {
  temp_dir dir;
  dir.write("empty.key", "\n");
  std::filesystem::create_directory(dir.path() / "adir");
  config::load_result r = load(
      "api_keys:\n"
      "  - {name: a, key_file: empty.key, senders: [\"12345\"]}\n"
      "  - {name: b, key_file: adir, senders: [\"12345\"]}\n",
      dir.str());
  EXPECT_EQ(lines(r.errors),
            (std::vector<std::string>{
                "t.yaml:2:15: api_keys[0].key_file: the file \"" + dir.str() + "/empty.key\" is empty",
                "t.yaml:3:15: api_keys[1].key_file: cannot read \"" + dir.str() + "/adir\": it is a directory",
            }));
}

TEST(Load, FlagsPlainTextKeysAndRiskySettings) {
  config::load_result r = load(
      "api_keys:\n"
      "  - {name: dev, key: dev-key, senders: [\"12345\"]}\n"
      "carriers:\n"
      "  - {name: c, host: h, system_id: s, tls: {enabled: true, verify: false}}\n"
      "routes:\n"
      "  - {prefix: \"+1\", carrier: c}\n"
      "logging: {log_bodies: true}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.api_keys[0].key_sha256, sha256("dev-key"));
  EXPECT_EQ(lines(r.warnings),
            (std::vector<std::string>{
                "t.yaml:2:22: api_keys[0].key: plain-text API key in the config file; fine for development, use "
                "key_sha256 or key_file in production",
                "t.yaml:4:43: carriers[0].tls: certificate verification is off; the link is open to interception",
                "t.yaml:5:1: routes: no default route (prefix \"+\"): numbers matching no prefix get no_route",
                "t.yaml:7:23: logging.log_bodies: message texts will be written to the logs",
            }));
}

TEST(Load, RateLimitBurstDefaultsToOneSecondOfRate) {
  config::load_result r = load(
      "api_keys:\n"
      "  - {name: a, key_sha256: \"" "0000000000000000000000000000000000000000000000000000000000000000"
      "\", senders: [\"12345\"], rate_limit: {per_second: 2.5}}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.api_keys[0].limit, (config::rate_limit{2.5, 3}));
}

TEST(Load, SenderPacingFromEntryOrClass) {
  config::load_result r = load(
      "senders:\n"
      "  - {id: \"12345\"}\n"
      "  - {id: \"+18885550100\", tps: 7}\n"
      "  - {id: \"+14155550100\", class: toll_free}\n"
      "sender_classes: {short_code: {tps: 50}, toll_free: {tps: 4}}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  const auto& s = r.config.senders;
  EXPECT_EQ(s[0].cls, config::sender_class::short_code);
  EXPECT_EQ(s[0].tps, 50);  // the class default, although sender_classes comes after
  EXPECT_EQ(s[1].cls, config::sender_class::toll_free);
  EXPECT_EQ(s[1].tps, 7);
  EXPECT_EQ(s[2].cls, config::sender_class::toll_free);
  EXPECT_EQ(s[2].tps, 4);
  EXPECT_EQ(r.config.sender_tps("+14155550199"), 1);  // unlisted long code: class default
  EXPECT_EQ(r.config.sender_tps("Acme"), 10);         // alphanumeric
}

TEST(Load, KeywordOverridesReplaceOnlyWhatTheyName) {
  config::load_result r = load(
      "policy:\n"
      "  keywords:\n"
      "    help: [HELP, SOS]\n"
      "    replies: {help_text: \"Global help\"}\n"
      "    senders:\n"
      "      \"12345\": {opt_in: [GO], revocation: clarify, replies: {opt_in_confirmation: \"Back on\"}}\n"
      "      \"67891\": {revocation: clarify, replies: {clarification: \"Reply STOP to confirm\"}}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  const config::policy_settings& p = r.config.policy;
  EXPECT_EQ(p.keywords.help, (std::vector<std::string>{"HELP", "SOS"}));
  EXPECT_EQ(p.keywords.opt_out, config::default_keywords().opt_out);
  const config::keyword_settings& k = p.keywords_for("12345");
  EXPECT_EQ(k.opt_in, std::vector<std::string>{"GO"});
  EXPECT_EQ(k.help, (std::vector<std::string>{"HELP", "SOS"}));
  EXPECT_EQ(k.revocation, config::revocation_action::clarify);
  EXPECT_EQ(k.replies.opt_in_confirmation, "Back on");
  EXPECT_EQ(k.replies.help_text, "Global help");
  EXPECT_EQ(k.replies.clarification, "Reply STOP to unsubscribe.");  // the default
  EXPECT_EQ(p.keywords_for("67891").replies.clarification, "Reply STOP to confirm");
  EXPECT_EQ(&p.keywords_for("67890"), &p.keywords);
}

TEST(Load, QuietHoursProfilesAndJurisdictions) {
  config::load_result r = load(
      "policy:\n"
      "  categories: {transactional: {}, alerts: {quiet_hours: night, action: reject}}\n"
      "  quiet_hours:\n"
      "    default: {from: \"09:00\", to: \"20:30\"}\n"
      "    jurisdictions: {GB: {from: \"08:00\", to: \"21:00\"}, CA-QC: {from: \"09:00\", to: \"24:00\"}}\n"
      "    profiles: {night: {from: \"22:00\", to: \"06:00\"}, always: {from: \"00:00\", to: \"24:00\"}}\n"
      "    no_common_window: defer\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  const config::quiet_hours_settings& q = r.config.policy.quiet_hours;
  EXPECT_EQ(q.default_window, (config::time_window{9 * 60, 20 * 60 + 30}));
  EXPECT_EQ(q.jurisdictions, (std::vector<config::jurisdiction_window>{{"GB", {8 * 60, 21 * 60}},
                                                                        {"CA-QC", {9 * 60, 24 * 60}}}));
  EXPECT_EQ(q.profiles, (std::vector<config::named_window>{{"night", {22 * 60, 6 * 60}}, {"always", {0, 24 * 60}}}));
  EXPECT_EQ(q.no_common_window, config::no_common_window_action::defer);
  EXPECT_EQ(q.primary_zones, config::default_primary_zones());
  EXPECT_EQ(r.config.policy.find_category("alerts")->action, config::quiet_hours_action::reject);
}

// Where a number whose zones share no window is deferred to: the built-in primary zones of the
// multi-zone countries, or the operator's list, which replaces them.
TEST(Load, PrimaryZonesDefaultAndReplace) {
  config::load_result d = load("policy: {quiet_hours: {no_common_window: allow}}\n");
  ASSERT_TRUE(d.ok()) << lines(d.errors)[0];
  EXPECT_EQ(d.config.policy.quiet_hours.no_common_window, config::no_common_window_action::allow);
  const auto& zones = d.config.policy.quiet_hours.primary_zones;
  ASSERT_FALSE(zones.empty());
  EXPECT_NE(std::find(zones.begin(), zones.end(), config::primary_zone{"US", "America/New_York"}), zones.end());

  config::load_result r = load(
      "policy:\n"
      "  quiet_hours:\n"
      "    no_common_window: defer\n"
      "    primary_zones: {US: America/Chicago, AU: Australia/Perth}\n");
  ASSERT_TRUE(r.ok()) << lines(r.errors)[0];
  EXPECT_EQ(r.config.policy.quiet_hours.primary_zones,
            (std::vector<config::primary_zone>{{"US", "America/Chicago"}, {"AU", "Australia/Perth"}}));
}

// A reload compares the old and the new config: only the carrier that changed differs.
TEST(Load, ConfigsCompareSoAReloadCanTellWhatChanged) {
  const std::string base =
      "carriers:\n"
      "  - {name: a, host: h, system_id: s, tps: 100}\n"
      "  - {name: b, host: h, system_id: s, tps: 100}\n";
  std::string changed = base;
  changed.replace(changed.rfind("100"), 3, "200");
  config::load_result one = load(base);
  config::load_result two = load(changed);
  EXPECT_EQ(one.config, load(base).config);
  EXPECT_EQ(one.config.carriers[0], two.config.carriers[0]);
  EXPECT_NE(one.config.carriers[1], two.config.carriers[1]);
}

TEST(ClassifySender, KnowsTheUsSenderKinds) {
  EXPECT_EQ(config::classify_sender("12345"), config::sender_class::short_code);
  EXPECT_EQ(config::classify_sender("+14155550100"), config::sender_class::long_code);
  EXPECT_EQ(config::classify_sender("+18005550100"), config::sender_class::toll_free);
  EXPECT_EQ(config::classify_sender("+18335550100"), config::sender_class::toll_free);
  EXPECT_EQ(config::classify_sender("+18105550100"), config::sender_class::long_code);  // 810 is Michigan
  EXPECT_EQ(config::classify_sender("+447700900123"), config::sender_class::long_code);
  EXPECT_EQ(config::classify_sender("Acme"), config::sender_class::alphanumeric);
}

TEST(Diagnostic, PrintsFileLineColumnMessage) {
  EXPECT_EQ(config::to_string(config::diagnostic{"/etc/smsgw.yaml", 12, 7, "boom"}), "/etc/smsgw.yaml:12:7: boom");
}

}  // namespace

namespace {

// Operators share carrier settings with anchors; yaml-cpp 0.7 does not apply "<<" itself.
TEST(Load, AppliesYamlMergeKeysAndIgnoresTopLevelExtensionKeys) {
  config::load_result r = load(
      "x-carrier: &carrier {host: smpp.example.net, system_id: acme, window: 128}\n"
      "carriers:\n"
      "  - {<<: *carrier, name: a}\n"
      "  - {<<: *carrier, name: b, window: 8}\n"
      "  - {<<: *carrier, name: c, colour: red}\n");
  EXPECT_EQ(lines(r.errors), std::vector<std::string>{"t.yaml:5:29: carriers[2]: unknown key \"colour\""});
  ASSERT_EQ(r.config.carriers.size(), 3u);
  EXPECT_EQ(r.config.carriers[0].host, "smpp.example.net");
  EXPECT_EQ(r.config.carriers[0].window, 128u);
  EXPECT_EQ(r.config.carriers[1].window, 8u);  // the key written here wins

  // A mistake inside the anchor is reported where it is written.
  config::load_result bad = load(
      "x-carrier: &carrier {host: h, system_id: s, window: 0}\n"
      "carriers:\n"
      "  - {<<: *carrier, name: a}\n");
  EXPECT_EQ(lines(bad.errors),
            std::vector<std::string>{"t.yaml:1:53: carriers[0].window: must be an integer from 1 to 1000, got \"0\""});
}

}  // namespace
