// The configurations in config/ load without errors and say what design.md 5.1 promises.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <algorithm>
#include <random>
#include <regex>
#include <set>
#include <string>

#include "config/load.hpp"
#include "config/yaml_reader.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;

const std::string source_dir = SMSGW_SOURCE_DIR;

config::sha256_digest sha256(std::string_view s) {
  config::sha256_digest out{};
  unsigned int length = 0;
  EVP_Digest(s.data(), s.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

TEST(ShippedConfig, DevelopmentDefaultsAreThoseOfTheDesign) {
  const std::string file = source_dir + "/config/smsgw.yaml";
  config::load_result r = config::load_config(file);
  ASSERT_EQ(config_test::lines(r.errors), std::vector<std::string>{});
  // The only warning: the development key is in clear.
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].message.find("api_keys[0].key: plain-text API key"), std::string::npos);

  const config::gateway_config& c = r.config;
  EXPECT_EQ(c.http.listen, (config::endpoint{"127.0.0.1", 8080}));
  EXPECT_EQ(c.admin.listen, (config::endpoint{"127.0.0.1", 9090}));
  EXPECT_EQ(c.store.kind, config::store_kind::sqlite);
  EXPECT_EQ(c.store.path, source_dir + "/config/var/smsgw.db");
  EXPECT_EQ(c.secrets.number_key_file, source_dir + "/config/var/number.key");
  EXPECT_TRUE(c.secrets.generate_number_key);

  ASSERT_EQ(c.api_keys.size(), 1u);
  EXPECT_EQ(c.api_keys[0].key_sha256, sha256("dev-key"));
  EXPECT_EQ(c.api_keys[0].senders, (std::vector<std::string>{"12345", "+14155550100"}));

  ASSERT_EQ(c.carriers.size(), 1u);
  const config::carrier& sim = c.carriers[0];
  EXPECT_EQ(sim.name, "sim");
  EXPECT_EQ(sim.host, "127.0.0.1");
  EXPECT_EQ(sim.port, 2775);
  EXPECT_EQ(sim.system_id, "smsgw");
  EXPECT_EQ(sim.password, "secret");
  EXPECT_EQ(sim.bind, config::bind_mode::transceiver);
  EXPECT_EQ(sim.default_region, "US");
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].prefix, "+");
  EXPECT_EQ(c.routes[0].carrier, "sim");
  EXPECT_EQ(c.sender_tps("12345"), 100);
  EXPECT_EQ(c.sender_tps("+14155550100"), 1);

  const config::policy_settings& p = c.policy;
  EXPECT_EQ(p.default_region, "US");
  EXPECT_EQ(p.scope, config::opt_out_scope::sender);
  EXPECT_EQ(p.default_category, "transactional");
  const config::category* transactional = p.find_category("transactional");
  ASSERT_NE(transactional, nullptr);
  EXPECT_EQ(transactional->consent, config::consent_mode::none);
  EXPECT_EQ(transactional->quiet_hours, "none");
  EXPECT_TRUE(transactional->caps.empty());
  const config::category* marketing = p.find_category("marketing");
  ASSERT_NE(marketing, nullptr);
  EXPECT_EQ(marketing->consent, config::consent_mode::required);
  EXPECT_EQ(marketing->quiet_hours, "default");
  EXPECT_EQ(marketing->action, config::quiet_hours_action::defer);
  EXPECT_EQ(marketing->caps, (std::vector<config::cap>{{24h, 3, false}}));
  EXPECT_EQ(p.quiet_hours.default_window, (config::time_window{8 * 60, 21 * 60}));
  EXPECT_EQ(p.quiet_hours.jurisdictions, config::default_jurisdictions());
  // The keywords written out in the file are exactly the built-in defaults.
  config::keyword_settings defaults = config::default_keywords();
  EXPECT_EQ(p.keywords.opt_out, defaults.opt_out);
  EXPECT_EQ(p.keywords.opt_in, defaults.opt_in);
  EXPECT_EQ(p.keywords.help, defaults.help);
  EXPECT_EQ(p.keywords.revocation, config::revocation_action::opt_out);
  EXPECT_NE(p.keywords.replies.help_text.find("Msg&data rates may apply"), std::string::npos);
  EXPECT_NE(p.keywords.replies.opt_out_confirmation.find("unsubscribed"), std::string::npos);
}

// production.example.yaml names secret files: once they exist it is valid, as the operator would
// check it after creating them.
TEST(ShippedConfig, ProductionExampleIsValidOnceItsSecretFilesExist) {
  config_test::temp_dir dir;
  dir.write("secrets/redis.password", "redis-pw\n");
  dir.write("secrets/billing-webhook.secret", "billing-secret\n");
  dir.write("secrets/marketing-app.key", "marketing-app-key\n");
  dir.write("secrets/webhook.secret", "global-secret\n");
  dir.write("secrets/carrier-a.password", "pw-a\n");
  dir.write("secrets/number.key", std::string(64, '0') + "\n");
  for (const char* f : {"tls/carrier-a-ca.pem", "tls/client.pem", "tls/client.key", "tls/webhook-ca.pem"}) {
    dir.write(f, "x\n");
  }
  const std::string text = config_test::read_file(source_dir + "/config/production.example.yaml");
  ASSERT_FALSE(text.empty());

  config::load_result r = config::load_config_from_string(text, "production.example.yaml", dir.str());
  ASSERT_EQ(config_test::lines(r.errors), std::vector<std::string>{});
  EXPECT_EQ(config_test::lines(r.warnings), std::vector<std::string>{});

  const config::gateway_config& c = r.config;
  EXPECT_EQ(c.store.kind, config::store_kind::redis);
  EXPECT_EQ(c.store.redis_host, "10.0.0.5");
  EXPECT_EQ(c.store.redis_port, 6379);
  EXPECT_EQ(c.store.redis_password, "redis-pw");
  EXPECT_EQ(c.secrets.number_key_file, dir.str() + "/secrets/number.key");
  ASSERT_EQ(c.api_keys.size(), 2u);
  EXPECT_EQ(c.api_keys[0].key_sha256, sha256("ops-key-example"));
  EXPECT_EQ(c.api_keys[0].limit, (config::rate_limit{50, 100}));
  ASSERT_TRUE(c.api_keys[0].webhooks.has_value());
  EXPECT_EQ(c.api_keys[0].webhooks->secret, "billing-secret");
  EXPECT_EQ(c.api_keys[1].key_sha256, sha256("marketing-app-key"));  // the newline is not part of it
  EXPECT_FALSE(c.api_keys[1].webhooks.has_value());
  EXPECT_EQ(c.webhooks.targets.secret, "global-secret");

  ASSERT_EQ(c.carriers.size(), 2u);
  const config::carrier& a = c.carriers[0];
  EXPECT_EQ(a.password, "pw-a");
  EXPECT_EQ(a.sessions, 4u);
  EXPECT_EQ(a.window, 256u);
  EXPECT_EQ(a.message_id, config::message_id_format::hex);
  EXPECT_EQ(a.validity, std::optional<std::chrono::seconds>(48h));
  EXPECT_TRUE(a.tls.enabled);
  EXPECT_EQ(a.tls.ca_file, dir.str() + "/tls/carrier-a-ca.pem");
  const config::carrier& b = c.carriers[1];
  EXPECT_EQ(b.port, 2775);  // defaults fill what the file leaves out
  EXPECT_EQ(b.bind, config::bind_mode::transmitter_receiver);
  EXPECT_EQ(b.default_region, "US");
  EXPECT_EQ(c.routes[0].failover, std::vector<std::string>{"carrier-b"});

  EXPECT_EQ(c.sender_tps("+18005550100"), 3);  // toll free, from sender_classes
  EXPECT_EQ(c.sender_tps("+447700900123"), 1);  // unlisted long code
  const config::category* marketing = c.policy.find_category("marketing");
  ASSERT_NE(marketing, nullptr);
  EXPECT_EQ(marketing->caps.size(), 3u);
  EXPECT_TRUE(marketing->caps[2].per_campaign);
  EXPECT_EQ(c.policy.find_category("alerts")->quiet_hours, "daytime");
  EXPECT_EQ(c.policy.keywords_for("12345").help, (std::vector<std::string>{"HELP", "INFO", "SUPPORT"}));
  EXPECT_EQ(c.policy.keywords_for("12345").opt_out, config::default_keywords().opt_out);
  EXPECT_NE(c.policy.keywords_for("12345").replies.help_text, c.policy.keywords.replies.help_text);
  EXPECT_EQ(c.policy.keywords_for("+14155550100").replies.help_text, c.policy.keywords.replies.help_text);
}

// "Every key present": each key the loader knows appears in the example, except the inline
// forms of secrets the example deliberately gives as files (and per-sender keyword overrides,
// which take the same keys as policy.keywords).
TEST(ShippedConfig, ProductionExampleHasEveryKey) {
  config_test::temp_dir dir;
  for (const char* f : {"secrets/redis.password", "secrets/billing-webhook.secret", "secrets/marketing-app.key",
                        "secrets/webhook.secret", "secrets/carrier-a.password", "tls/carrier-a-ca.pem",
                        "tls/client.pem", "tls/client.key", "tls/webhook-ca.pem"}) {
    dir.write(f, "x\n");
  }
  dir.write("secrets/number.key", std::string(64, '0') + "\n");
  const std::string text = config_test::read_file(source_dir + "/config/production.example.yaml");
  std::set<std::string> asked;
  std::set<std::string> present;
  config::load_result r = config::detail::load_traced(text, "p.yaml", dir.str(), &asked, &present);
  ASSERT_TRUE(r.ok());
  auto normalise = [](const std::set<std::string>& paths) {
    static const std::regex index(R"(\[[0-9]+\])");
    static const std::regex named(
        R"(^(policy\.(categories|quiet_hours\.jurisdictions|quiet_hours\.profiles|quiet_hours\.primary_zones|keywords\.senders))\.[^.]+)");
    std::set<std::string> out;
    for (const auto& p : paths) out.insert(std::regex_replace(std::regex_replace(p, index, "[]"), named, "$1.*"));
    return out;
  };
  const std::set<std::string> allowed_missing = {"api_keys[].key", "api_keys[].webhooks.secret", "webhooks.secret"};
  std::set<std::string> in_file = normalise(present);
  std::vector<std::string> missing;
  for (const auto& key : normalise(asked)) {
    if (in_file.count(key) == 0 && allowed_missing.count(key) == 0 && !key.starts_with("policy.keywords.senders.*.")) {
      missing.push_back(key);
    }
  }
  EXPECT_EQ(missing, std::vector<std::string>{});
  EXPECT_GT(asked.size(), 150u);  // the trace really saw the schema

  // And docs/configuration.md names every key (as `key` or `section.key` in its tables).
  const std::string docs = config_test::read_file(source_dir + "/docs/configuration.md");
  ASSERT_FALSE(docs.empty());
  std::vector<std::string> undocumented;
  for (const auto& key : normalise(asked)) {
    std::string leaf = key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
    if (leaf.ends_with("[]")) leaf.resize(leaf.size() - 2);
    bool named = docs.find(leaf + "`") != std::string::npos || docs.find("`" + leaf + ".") != std::string::npos;
    if (!named) undocumented.push_back(key);
  }
  EXPECT_EQ(undocumented, std::vector<std::string>{});
}

TEST(ShippedConfig, ProductionExampleInPlaceMissesOnlyItsSecretFiles) {
  config::load_result r = config::load_config(source_dir + "/config/production.example.yaml");
  ASSERT_EQ(r.errors.size(), 10u);  // the 9 secret files and the number key
  for (const auto& e : r.errors) {
    EXPECT_NE(e.message.find(": cannot read \"" + source_dir + "/config/"), std::string::npos) << e.message;
  }
}

}  // namespace

namespace {

// A file cut anywhere (a half-written edit, a truncated copy) gives diagnostics, never a crash
// or an exception, and every diagnostic has a position inside the text.
TEST(ShippedConfig, EveryTruncationOfTheExampleIsReportedNotThrown) {
  const std::string text = config_test::read_file(source_dir + "/config/production.example.yaml");
  const int total_lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (std::size_t cut = 0; cut < text.size(); cut += 23) {
    config::load_result r;
    ASSERT_NO_THROW(r = config::load_config_from_string(text.substr(0, cut), "p.yaml", "/nonexistent"));
    for (const auto& e : r.errors) {
      ASSERT_GE(e.line, 1) << cut;
      ASSERT_LE(e.line, total_lines) << cut;
      ASSERT_GE(e.column, 1) << cut;
    }
  }
}

}  // namespace

namespace {

// Random damage (a byte changed, removed or duplicated) never throws or crashes.
TEST(ShippedConfig, RandomlyDamagedExamplesAreReportedNotThrown) {
  const std::string text = config_test::read_file(source_dir + "/config/production.example.yaml");
  std::mt19937 random(20261129);
  const std::string alphabet = " :-[]{}\"'#&*!|>\n\tax0+,";
  for (int round = 0; round < 300; ++round) {
    std::string damaged = text;
    for (int edits = 0; edits < 3; ++edits) {
      std::size_t at = random() % damaged.size();
      switch (random() % 3) {
        case 0: damaged[at] = alphabet[random() % alphabet.size()]; break;
        case 1: damaged.erase(at, 1); break;
        default: damaged.insert(at, 1, damaged[at]); break;
      }
    }
    config::load_result r;
    ASSERT_NO_THROW(r = config::load_config_from_string(damaged, "p.yaml", "/nonexistent")) << round;
    for (const auto& e : r.errors) ASSERT_GE(e.line, 1) << round;
  }
}

}  // namespace
