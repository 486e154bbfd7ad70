// One mistake per configuration, each with the exact line an operator would read.
#include <gtest/gtest.h>

#include <cctype>

#include "config/load.hpp"
#include "test_support.hpp"

namespace {

struct bad_case {
  const char* what;
  const char* yaml;
  const char* error;  // the only error expected, "t.yaml:LINE:COL: message"
};

const bad_case cases[] = {
    {"unknown top-level key, suggestion", "carrier:\n  - {name: sim}\n",
     "t.yaml:1:1: unknown key \"carrier\" (did you mean \"carriers\"?)"},
    {"unknown key, no suggestion", "http:\n  colour: red\n", "t.yaml:2:3: http: unknown key \"colour\""},
    {"unknown key, transposed letters", "http:\n  lsiten: \"127.0.0.1:8080\"\n",
     "t.yaml:2:3: http: unknown key \"lsiten\" (did you mean \"listen\"?)"},
    {"mapping expected", "http: [1, 2]\n", "t.yaml:1:7: http: must be a mapping (key: value), got a list"},
    {"list expected", "carriers: {name: sim}\n", "t.yaml:1:11: carriers: must be a list, got a mapping"},
    {"string expected", "carriers:\n  - {name: sim, host: [a, b], system_id: s}\n",
     "t.yaml:2:23: carriers[0].host: must be a string, got a list"},
    {"port zero", "carriers:\n  - {name: sim, host: h, system_id: s, port: 0}\n",
     "t.yaml:2:46: carriers[0].port: must be an integer from 1 to 65535, got \"0\""},
    {"port not a number", "carriers:\n  - {name: sim, host: h, system_id: s, port: 2775x}\n",
     "t.yaml:2:46: carriers[0].port: must be an integer from 1 to 65535, got \"2775x\""},
    {"listen port too large", "admin: {listen: \"127.0.0.1:65536\"}\n",
     "t.yaml:1:17: admin.listen: must be HOST:PORT such as 127.0.0.1:8080 or [::1]:8080 (port 0 to 65535), "
     "got \"127.0.0.1:65536\""},
    {"window out of range", "carriers:\n  - {name: sim, host: h, system_id: s, window: 1001}\n",
     "t.yaml:2:48: carriers[0].window: must be an integer from 1 to 1000, got \"1001\""},
    {"tps zero", "carriers:\n  - {name: sim, host: h, system_id: s, tps: 0}\n",
     "t.yaml:2:45: carriers[0].tps: must be a number greater than 0 and at most 1000000, got \"0\""},
    {"io threads out of range", "runtime:\n  io_threads: 257\n",
     "t.yaml:2:15: runtime.io_threads: must be an integer from 0 to 256, got \"257\""},
    {"io threads not a number", "runtime: {io_threads: many}\n",
     "t.yaml:1:23: runtime.io_threads: must be an integer from 0 to 256, got \"many\""},
    {"bad duration", "retention:\n  message_bodies: 7days\n",
     "t.yaml:2:19: retention.message_bodies: must be a duration such as 90s, 15m, 24h or 7d, got \"7days\""},
    {"redis key prefix with a glob character", "store: {kind: redis, key_prefix: \"smsgw*\"}\n",
     "t.yaml:1:34: store.key_prefix: must be at most 64 printable characters without spaces, glob characters or "
     "braces, got \"smsgw*\""},
    {"message bodies kept longer than records", "retention:\n  message_bodies: 100d\n  message_records: 90d\n",
     "t.yaml:2:3: retention: message_bodies must not be longer than message_records"},
    {"scheduling horizon over ten years", "http:\n  max_send_at_ahead: 3651d\n",
     "t.yaml:2:22: http.max_send_at_ahead: must be at most 3650d (ten years), got \"3651d\""},
    {"scheduling horizon not a duration", "http: {max_send_at_ahead: 35}\n",
     "t.yaml:1:27: http.max_send_at_ahead: must be a duration such as 90s, 15m, 24h or 7d, got \"35\""},
    {"bad timer duration", "http: {read_timeout: 1.5s}\n",
     "t.yaml:1:22: http.read_timeout: must be a duration such as 500ms, 30s or 5m, got \"1.5s\""},
    {"bad HH:MM", "policy:\n  quiet_hours:\n    default: {from: \"08:00\", to: \"25:00\"}\n",
     "t.yaml:3:34: policy.quiet_hours.default.to: must be a time of day HH:MM from 00:00 to 24:00, got \"25:00\""},
    {"empty quiet-hours window", "policy:\n  quiet_hours:\n    default: {from: \"08:00\", to: \"08:00\"}\n",
     "t.yaml:3:14: policy.quiet_hours.default: from and to are the same time: sending would never be allowed"},
    {"bad jurisdiction", "policy:\n  quiet_hours:\n    jurisdictions: {USA: {from: \"08:00\", to: \"20:00\"}}\n",
     "t.yaml:3:21: policy.quiet_hours.jurisdictions.USA: a jurisdiction must be a country (GB) or a country and "
     "subdivision (US-FL), in capitals"},
    {"unknown primary zone", "policy:\n  quiet_hours:\n    primary_zones: {US: America/Gotham}\n",
     "t.yaml:3:25: policy.quiet_hours.primary_zones.US: \"America/Gotham\" is not a time zone of the system's "
     "zoneinfo (an IANA name such as America/New_York)"},
    {"primary zone path", "policy:\n  quiet_hours:\n    primary_zones: {US: ../../etc/passwd}\n",
     "t.yaml:3:25: policy.quiet_hours.primary_zones.US: \"../../etc/passwd\" is not a time zone of the system's "
     "zoneinfo (an IANA name such as America/New_York)"},
    {"primary zone region", "policy:\n  quiet_hours:\n    primary_zones: {USA: America/New_York}\n",
     "t.yaml:3:21: policy.quiet_hours.primary_zones.USA: a primary zone is keyed by a two-letter ISO 3166 region "
     "code such as US or RU"},
    {"no common window action", "policy:\n  quiet_hours:\n    no_common_window: primary\n",
     "t.yaml:3:23: policy.quiet_hours.no_common_window: must be reject, defer or allow, got \"primary\""},
    {"unknown carrier in route",
     "carriers:\n  - {name: sim, host: h, system_id: s}\nroutes:\n  - {prefix: \"+\", carrier: smpp1}\n",
     "t.yaml:4:28: routes[0].carrier: unknown carrier \"smpp1\""},
    {"unknown failover carrier",
     "carriers:\n  - {name: sim, host: h, system_id: s}\nroutes:\n  - {prefix: \"+\", carrier: sim, failover: [sin]}\n",
     "t.yaml:4:44: routes[0].failover[0]: unknown carrier \"sin\" (did you mean \"sim\"?)"},
    {"bad prefix", "carriers:\n  - {name: sim, host: h, system_id: s}\nroutes:\n  - {prefix: \"1\", carrier: sim}\n",
     "t.yaml:4:14: routes[0].prefix: must be \"+\" followed by up to 15 digits, got \"1\""},
    {"duplicate route prefix",
     "carriers:\n  - {name: sim, host: h, system_id: s}\nroutes:\n  - {prefix: \"+\", carrier: sim}\n"
     "  - {prefix: \"+\", carrier: sim}\n",
     "t.yaml:5:14: routes[1].prefix: duplicate route prefix \"+\" (first at line 4)"},
    {"duplicate carrier name",
     "carriers:\n  - {name: sim, host: h, system_id: s}\n  - {name: sim, host: h2, system_id: s}\n",
     "t.yaml:3:12: carriers[1].name: duplicate carrier name \"sim\" (first at line 2)"},
    {"duplicate api key",
     "api_keys:\n  - {name: a, key_sha256: \"" 
     "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8\", senders: [\"12345\"]}\n"
     "  - {name: b, key_sha256: \"5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8\", "
     "senders: [\"12345\"]}\n",
     "t.yaml:3:27: api_keys[1].key_sha256: the same key as api_keys[0].key_sha256 (\"a\", line 2)"},
    {"duplicate api key name",
     "api_keys:\n  - {name: a, key_file: k, senders: [\"12345\"]}\n  - {name: a, key_file: k2, senders: [\"12345\"]}\n",
     "t.yaml:3:12: api_keys[1].name: duplicate api key name \"a\" (first at line 2)"},
    {"bad key_sha256", "api_keys:\n  - {name: a, key_sha256: \"abc\", senders: [\"12345\"]}\n",
     "t.yaml:2:27: api_keys[0].key_sha256: must be 64 hexadecimal digits (the SHA-256 of the key)"},
    {"api key without key", "api_keys:\n  - {name: a, senders: [\"12345\"]}\n",
     "t.yaml:2:5: api_keys[0]: missing the key: give key_sha256, key_file or (development) key"},
    {"api key with two keys", "api_keys:\n  - {name: a, key_file: k, key_sha256: \"00\", senders: [\"12345\"]}\n",
     "t.yaml:2:15: api_keys[0].key_file: give only one of key, key_sha256 and key_file"},
    {"bad api key sender", "api_keys:\n  - {name: a, key_file: k, senders: [\"4155550100\"]}\n",
     "t.yaml:2:38: api_keys[0].senders[0]: must be an E.164 number (+14155550100), a short code (3 to 8 digits) "
     "or an alphanumeric sender id, got \"4155550100\""},
    {"missing senders", "api_keys:\n  - {name: a, key_file: k}\n",
     "t.yaml:2:5: api_keys[0]: missing required key \"senders\""},
    {"missing secret file", "api_keys:\n  - name: a\n    key_file: secrets/none.key\n    senders: [\"12345\"]\n",
     "t.yaml:3:5: api_keys[0].key_file: cannot read \"@DIR@/secrets/none.key\": No such file or directory"},
    {"missing carrier password file",
     "carriers:\n  - {name: sim, host: h, system_id: s, password_file: /nonexistent/pw}\n",
     "t.yaml:2:40: carriers[0].password_file: cannot read \"/nonexistent/pw\": No such file or directory"},
    {"endless secret file", "carriers:\n  - {name: sim, host: h, system_id: s, password_file: /dev/zero}\n",
     "t.yaml:2:40: carriers[0].password_file: the file \"/dev/zero\" is larger than 64 KiB; a secret file holds one "
     "secret"},
    {"missing webhook CA file", "webhooks:\n  ca_file: /nonexistent/ca.pem\n",
     "t.yaml:2:3: webhooks.ca_file: cannot read \"/nonexistent/ca.pem\": No such file or directory"},
    {"password and password_file", "carriers:\n  - {name: sim, host: h, system_id: s, password: a, password_file: k}\n",
     "t.yaml:2:53: carriers[0].password_file: give either password or password_file, not both"},
    {"password too long", "carriers:\n  - {name: sim, host: h, system_id: s, password: \"123456789\"}\n",
     "t.yaml:2:50: carriers[0].password: must be at most 8 characters (SMPP 3.4), got 9"},
    {"missing required key", "carriers:\n  - name: sim\n    host:\n    system_id: s\n",
     "t.yaml:2:5: carriers[0]: missing required key \"host\""},
    {"YAML syntax error", "http:\n  listen: [\"127.0.0.1:8080\"\nadmin: {}\n",
     "t.yaml:3:1: YAML syntax error: end of sequence flow not found"},
    {"YAML bad indentation", "http:\n  listen: a\n   admin: b\n",
     "t.yaml:3:9: YAML syntax error: illegal map value"},
    {"duplicate YAML key", "http:\n  listen: \"127.0.0.1:1\"\n  listen: \"127.0.0.1:2\"\n",
     "t.yaml:3:3: http.listen: duplicate key (first at line 2)"},
    {"default_category unknown", "policy:\n  default_category: promo\n  categories: {transactional: {}}\n",
     "t.yaml:2:21: policy.default_category: \"promo\" is not a category (categories: transactional)"},
    {"unknown quiet-hours profile", "policy:\n  categories: {transactional: {quiet_hours: night}}\n",
     "t.yaml:2:45: policy.categories.transactional.quiet_hours: must be none, default or a profile of "
     "policy.quiet_hours.profiles, got \"night\""},
    {"enum value", "store: {kind: mysql}\n", "t.yaml:1:15: store.kind: must be sqlite or redis, got \"mysql\""},
    {"rediss not supported", "store: {kind: redis, url: \"rediss://h:6380/0\"}\n",
     "t.yaml:1:27: store.url: TLS to Redis (rediss://) is not supported by hiredis 0.14, got \"rediss://h:6380/0\""},
    {"bool", "logging: {log_bodies: yes}\n", "t.yaml:1:23: logging.log_bodies: must be true or false, got \"yes\""},
    {"size", "http: {max_body_bytes: 10GB}\n",
     "t.yaml:1:24: http.max_body_bytes: must be a size from 1024 to 67108864 bytes (a number, or with KiB or MiB), "
     "got \"10GB\""},
    {"number type", "policy: {allowed_number_types: [mobile, landline]}\n",
     "t.yaml:1:41: policy.allowed_number_types[1]: must be mobile, fixed_line, fixed_line_or_mobile, voip, "
     "toll_free, premium_rate, shared_cost, personal_number, pager, uan, voicemail or unknown, got \"landline\""},
    {"same listener twice", "http: {listen: \"127.0.0.1:8080\"}\nadmin: {listen: \"127.0.0.1:8080\"}\n",
     "t.yaml:2:17: admin.listen: the same address as http.listen"},
    {"keyword in two lists", "policy:\n  keywords: {opt_in: [START, Stop]}\n",
     "t.yaml:2:30: policy.keywords.opt_in[1]: \"Stop\" is both an opt_out and an opt_in keyword"},
    {"webhook URL without secret", "webhooks: {status_url: \"https://x.example/s\"}\n",
     "t.yaml:1:24: webhooks.status_url: a webhook URL needs a signing secret (secret or secret_file)"},
    {"webhook URL scheme", "webhooks: {status_url: \"ftp://x\", secret: s}\n",
     "t.yaml:1:24: webhooks.status_url: must be an http:// or https:// URL, got \"ftp://x\""},
    {"reconnect bounds", "carriers:\n  - {name: sim, host: h, system_id: s, reconnect_min: 2m, reconnect_max: 1m}\n",
     "t.yaml:2:5: carriers[0]: reconnect_min must not be longer than reconnect_max"},
    {"cap max zero", "policy:\n  categories:\n    transactional: {caps: [{window: 24h, max: 0}]}\n",
     "t.yaml:3:47: policy.categories.transactional.caps[0].max: must be an integer from 1 to 1000000, got \"0\""},
    {"region", "policy: {default_region: usa}\n",
     "t.yaml:1:26: policy.default_region: must be a two-letter ISO 3166 region code such as US or GB, got \"usa\""},
    {"region unknown to the number library", "policy: {default_region: XX}\n",
     "t.yaml:1:26: policy.default_region: \"XX\" is not a region the number library knows (ISO 3166, such as US or "
     "GB)"},
    {"carrier region unknown", "carriers:\n  - {name: sim, host: h, system_id: s, default_region: UK}\n",
     "t.yaml:2:56: carriers[0].default_region: \"UK\" is not a region the number library knows (ISO 3166, such as "
     "US or GB)"},
    {"jurisdiction in an unknown country", "policy:\n  quiet_hours:\n    jurisdictions: {ZZ: {from: \"08:00\", to: \"20:00\"}}\n",
     "t.yaml:3:21: policy.quiet_hours.jurisdictions.ZZ: \"ZZ\" is not a region the number library knows: a window "
     "for it would never apply"},
    {"unknown US state", "policy:\n  quiet_hours:\n    jurisdictions: {US-XX: {from: \"08:00\", to: \"20:00\"}}\n",
     "t.yaml:3:21: policy.quiet_hours.jurisdictions.US-XX: \"XX\" is not a US state code: a window for it would "
     "never apply"},
    {"unknown Canadian province", "policy:\n  quiet_hours:\n    jurisdictions: {CA-QUE: {from: \"08:00\", to: \"20:00\"}}\n",
     "t.yaml:3:21: policy.quiet_hours.jurisdictions.CA-QUE: \"QUE\" is not a Canadian province code: a window for "
     "it would never apply"},
    {"subdivision outside US and CA", "policy:\n  quiet_hours:\n    jurisdictions: {DE-BY: {from: \"08:00\", to: \"20:00\"}}\n",
     "t.yaml:3:21: policy.quiet_hours.jurisdictions.DE-BY: subdivisions are known for US and CA only (US-FL, CA-QC); "
     "write the country \"DE\": a window for it would never apply"},
    {"number key file missing", "secrets: {number_key_file: no-such.key}\n",
     "t.yaml:1:11: secrets.number_key_file: cannot read \"@DIR@/no-such.key\": No such file or directory "
     "(generate_number_key is false)"},
    {"number key file too short", "secrets: {number_key_file: k, generate_number_key: true}\n",
     "t.yaml:1:11: secrets.number_key_file: the file \"@DIR@/k\" holds 7 bytes; a number key has at least 32"},
    {"number key file a directory", "secrets: {number_key_file: /}\n",
     "t.yaml:1:11: secrets.number_key_file: cannot read \"/\": it is a directory"},
    {"empty file", "", "t.yaml:1:1: the configuration is empty"},
    {"only comments", "# nothing yet\n", "t.yaml:1:1: the configuration is empty"},
    {"not a mapping", "- http\n", "t.yaml:1:1: the file: must be a mapping (key: value), got a list"},
    {"two documents", "logging: {}\n---\nlogging: {}\n", "t.yaml:3:1: only one YAML document is allowed per file"},
    // yaml-cpp 0.7's LoadAll never returned on these (it reported empty documents forever).
    {"stray comma", ",carriers:\n", "t.yaml:1:1: YAML syntax error: unexpected ',' where a key, a value or a list item was expected"},
    {"stray comma in a mapping", "logging: {}\n,\n", "t.yaml:2:1: YAML syntax error: end of map not found"},
};

class BadConfig : public testing::TestWithParam<bad_case> {};

TEST_P(BadConfig, ReportsExactlyOneErrorWithItsPosition) {
  const bad_case& c = GetParam();
  config_test::temp_dir dir;
  // Secret files some cases name without meaning to test them.
  dir.write("k", "key-one\n");
  dir.write("k2", "key-two\n");
  config::load_result r = config::load_config_from_string(c.yaml, "t.yaml", dir.str());
  std::string expected = c.error;
  if (auto at = expected.find("@DIR@"); at != std::string::npos) expected.replace(at, 5, dir.str());
  EXPECT_EQ(config_test::lines(r.errors), std::vector<std::string>{expected}) << c.what << "\n" << c.yaml;
  EXPECT_FALSE(r.ok());
}

INSTANTIATE_TEST_SUITE_P(Cases, BadConfig, testing::ValuesIn(cases), [](const auto& info) {
  std::string name;
  for (const char* p = info.param.what; *p != '\0'; ++p) {
    name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  }
  return name;
});

}  // namespace
