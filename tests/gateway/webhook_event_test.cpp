// Webhook events: ids, bodies and signatures byte for byte (vectors computed independently with
// Python's hmac/hashlib), URL parsing, receivers and back-off.
#include "gateway/webhook_event.hpp"

#include <gtest/gtest.h>

namespace gateway {
namespace {

policy::message_record sample_message() {
  policy::message_record m;
  m.id = "msg_1";
  m.e164 = "+14155550123";
  m.sender = "12345";
  m.carrier = "sim";
  m.carrier_message_id = "abc123";
  m.segments = 1;
  m.category = "transactional";
  m.client_ref = "order-42";
  m.api_key = "dev";
  return m;
}

TEST(WebhookSignature, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, HeaderSignsTimestampDotBody) {
  // python3: hmac.new(b"whsec_test", b'1700000000.{"event_id":"evt_1","type":"status"}', sha256)
  EXPECT_EQ(signature_header("whsec_test", R"({"event_id":"evt_1","type":"status"})", 1700000000),
            "t=1700000000,v1=a539d0ee1bb13aafd6d1d30bbe26ad1b63a7b03c79805d6e6d24aeed979ecb7c");
}

TEST(WebhookEvent, StatusIdIsStableAndPerStatus) {
  // python3: sha256(b"status\0msg_1\0delivered\0").hexdigest()[:32]
  EXPECT_EQ(status_event_id("msg_1", policy::message_status::delivered), "evt_46c40fbba01bd0c96ee8de9bfdbf8a58");
  EXPECT_NE(status_event_id("msg_1", policy::message_status::submitted),
            status_event_id("msg_1", policy::message_status::delivered));
  EXPECT_NE(status_event_id("msg_2", policy::message_status::delivered),
            status_event_id("msg_1", policy::message_status::delivered));
}

TEST(WebhookEvent, TimesAreUtcWithMilliseconds) {
  EXPECT_EQ(format_utc_ms(1764444600123), "2025-11-29T19:30:00.123Z");
  EXPECT_EQ(format_utc_ms(0), "1970-01-01T00:00:00.000Z");
}

TEST(WebhookEvent, StatusBodyIsCompactJsonInAFixedOrder) {
  auto m = sample_message();
  EXPECT_EQ(status_event_body("evt_x", m, policy::message_status::undeliverable, "stat:UNDELIV err:001", 1764444600123),
            R"({"event_id":"evt_x","type":"status","created_at":"2025-11-29T19:30:00.123Z","data":{)"
            R"("message_id":"msg_1","status":"undeliverable","error":"stat:UNDELIV err:001","to":"+14155550123",)"
            R"("from":"12345","carrier":"sim","carrier_message_id":"abc123","segments":1,)"
            R"("category":"transactional","campaign":null,"client_ref":"order-42"}})");
}

TEST(WebhookEvent, InboundBodyCarriesTheTextAndKeyword) {
  inbound_event_fields f{"+14155550123", "12345", "STOP \"now\" é", "sim", "opt_out", 1764444600123, false};
  EXPECT_EQ(inbound_event_body("evt_y", f),
            R"({"event_id":"evt_y","type":"inbound","created_at":"2025-11-29T19:30:00.123Z","data":{)"
            R"("from":"+14155550123","to":"12345","text":"STOP \"now\" é","keyword":"opt_out","carrier":"sim"}})");
  f.keyword.clear();
  EXPECT_NE(inbound_event_body("evt_y", f).find(R"("keyword":null)"), std::string::npos);
}

TEST(WebhookEvent, AnIncompleteReplySaysSoAfterTheCarrier) {
  inbound_event_fields f{"+14155550123", "12345", "Please stop texting me, I never", "sim", "opt_out", 1764444600123, true};
  EXPECT_EQ(inbound_event_body("evt_z", f),
            R"({"event_id":"evt_z","type":"inbound","created_at":"2025-11-29T19:30:00.123Z","data":{)"
            R"("from":"+14155550123","to":"12345","text":"Please stop texting me, I never","keyword":"opt_out",)"
            R"("carrier":"sim","incomplete":true}})");
}

TEST(WebhookEvent, InboundIdsRepeatForARetryButNotForARepeat) {
  inbound_event_fields f{"+14155550123", "12345", "STOP", "sim", "opt_out", 1764444600123, false};
  const auto first = inbound_event_id(f, 0, "global");
  auto retried = f;
  retried.received_at_ms += 5'000;  // same minute
  EXPECT_EQ(inbound_event_id(retried, 0, "global"), first);
  EXPECT_NE(inbound_event_id(f, 1, "global"), first);       // the same text again, acknowledged before
  EXPECT_NE(inbound_event_id(f, 0, "key:dev"), first);      // another receiver
  retried.received_at_ms += 60'000;
  EXPECT_NE(inbound_event_id(retried, 0, "global"), first);  // another minute
}

TEST(WebhookUrl, ParsesSchemesPortsAndTargets) {
  auto u = parse_webhook_url("http://127.0.0.1:8081/hooks/sms?x=1");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8081);
  EXPECT_EQ(u->target, "/hooks/sms?x=1");
  u = parse_webhook_url("https://example.com");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  u = parse_webhook_url("http://[::1]:9000/x#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/x");
  EXPECT_FALSE(parse_webhook_url("ftp://example.com/"));
  EXPECT_FALSE(parse_webhook_url("http://:80/"));
  EXPECT_FALSE(parse_webhook_url("http://host:0/"));
  EXPECT_FALSE(parse_webhook_url("http://host:99999/"));
  EXPECT_FALSE(parse_webhook_url("http://user:pw@host/"));
}

config::gateway_config two_keys() {
  config::gateway_config c;
  c.webhooks.targets = {"http://global/in", "http://global/status", "global-secret"};
  config::api_key dev;
  dev.name = "dev";
  dev.senders = {"12345"};
  config::api_key other;
  other.name = "other";
  other.senders = {"12345", "67890"};
  other.webhooks = config::webhook_targets{"http://other/in", "", "other-secret"};
  c.api_keys = {dev, other};
  return c;
}

TEST(WebhookReceiver, KeyUrlsOverrideTheGlobalOnesPerKind) {
  auto c = two_keys();
  auto r = resolve_receiver(c, "key:other", "inbound");
  EXPECT_EQ(r.url, "http://other/in");
  EXPECT_EQ(r.secret, "other-secret");
  r = resolve_receiver(c, "key:other", "status");  // no status URL of its own
  EXPECT_EQ(r.url, "http://global/status");
  EXPECT_EQ(r.secret, "global-secret");
  r = resolve_receiver(c, "key:dev", "status");
  EXPECT_EQ(r.url, "http://global/status");
  r = resolve_receiver(c, "key:gone", "inbound");  // a key removed by a reload
  EXPECT_EQ(r.url, "http://global/in");
}

TEST(WebhookReceiver, InboundGoesToEveryDistinctReceiverOfTheSender) {
  auto c = two_keys();
  EXPECT_EQ(inbound_targets(c, "12345"), (std::vector<std::string>{"global", "key:other"}));
  EXPECT_EQ(inbound_targets(c, "67890"), (std::vector<std::string>{"key:other"}));
  EXPECT_EQ(inbound_targets(c, "99999"), (std::vector<std::string>{"global"}));  // no key sends from it
  c.webhooks.targets.inbound_url.clear();
  EXPECT_EQ(inbound_targets(c, "12345"), (std::vector<std::string>{"key:other"}));
  c.api_keys[1].webhooks.reset();
  EXPECT_TRUE(inbound_targets(c, "12345").empty());
}

TEST(WebhookReceiver, StatusEventsFollowTheSendingKey) {
  auto c = two_keys();
  auto m = sample_message();
  auto ev = make_status_event(c, m, policy::message_status::delivered, "", 1000);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->target, "key:dev");
  EXPECT_EQ(ev->kind, "status");
  EXPECT_EQ(ev->event_id, status_event_id("msg_1", policy::message_status::delivered));
  EXPECT_EQ(ev->next_attempt_ms, 1000);
  c.webhooks.targets.status_url.clear();
  EXPECT_FALSE(make_status_event(c, m, policy::message_status::delivered, "", 1000));
  EXPECT_FALSE(status_webhooks_configured(c));
}

TEST(WebhookBackoff, DoublesWithEqualJitterWithinBounds) {
  config::webhook_settings s;
  s.backoff_min = std::chrono::milliseconds(1000);
  s.backoff_max = std::chrono::milliseconds(10'000);
  EXPECT_EQ(webhook_backoff_ms(s, 1, 0.0), 1000);  // half of 1 s, but never below the minimum
  EXPECT_EQ(webhook_backoff_ms(s, 1, 0.999), 1000);
  EXPECT_EQ(webhook_backoff_ms(s, 3, 0.0), 2000);  // 4 s with jitter in [2 s, 4 s]
  EXPECT_EQ(webhook_backoff_ms(s, 3, 0.5), 3000);
  EXPECT_EQ(webhook_backoff_ms(s, 10, 0.0), 5000);  // capped at 10 s
  EXPECT_EQ(webhook_backoff_ms(s, 10, 1.0), 10'000);
  EXPECT_LE(webhook_backoff_ms(s, 60, 1.0), 10'000);  // no overflow
}

}  // namespace
}  // namespace gateway
