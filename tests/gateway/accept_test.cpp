// The admission logic between the HTTP body and the store, on the shipped development config.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "config/load.hpp"
#include "gateway/accept.hpp"

namespace {

using gateway::api_error;
using gateway::prepared_message;

gateway::message_request msg(std::string to, std::string from, std::string text, std::string category = {}) {
  gateway::message_request r;
  r.to = std::move(to);
  r.from = std::move(from);
  r.text = std::move(text);
  r.category = std::move(category);
  return r;
}

class Accept : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = config::load_config(std::string(SMSGW_SOURCE_DIR) + "/config/smsgw.yaml");
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : config::to_string(loaded.errors[0]));
    settings_ = gateway::make_settings(loaded.config);
    secrets_ = policy::number_secrets::from_secret(std::string(64, 'a'));
    key_ = settings_->api_keys.authenticate("Bearer dev-key");
    ASSERT_NE(key_, nullptr);
  }

  gateway::prepare_result prepare(gateway::message_request r, std::int64_t now_ms = 1'796'137'200'000) {
    request_ = std::move(r);
    gateway::accept_input in{&request_, key_, now_ms, "msg_test", "", ""};
    return gateway::prepare_message(in, *settings_, numbers_, *secrets_, [](std::string_view) { return true; });
  }

  api_error error_of(gateway::message_request r) {
    auto result = prepare(std::move(r));
    EXPECT_TRUE(std::holds_alternative<api_error>(result));
    return std::holds_alternative<api_error>(result) ? std::get<api_error>(result) : api_error{};
  }

  std::shared_ptr<const gateway::settings> settings_;
  std::shared_ptr<const policy::number_secrets> secrets_;
  policy::number_cache numbers_{1000};
  const gateway::api_key* key_ = nullptr;
  gateway::message_request request_;
};

TEST_F(Accept, NationalFormatBecomesE164WithTheRightCarrierAndCounts) {
  auto result = prepare(msg("(415) 555-0123", "12345", "Your code is 123456"));
  ASSERT_TRUE(std::holds_alternative<prepared_message>(result));
  const auto& m = std::get<prepared_message>(result);
  EXPECT_EQ(m.admit.message.e164, "+14155550123");
  EXPECT_EQ(m.admit.message.carrier, "sim");
  EXPECT_EQ(m.admit.message.number_key, secrets_->key("+14155550123"));
  EXPECT_EQ(m.admit.category, "transactional");
  EXPECT_FALSE(m.admit.consent_required);
  EXPECT_TRUE(m.admit.caps.empty());
  EXPECT_EQ(m.segments, 1U);
  EXPECT_EQ(m.encoding, "gsm7");
  EXPECT_EQ(m.admit.quiet.k, policy::quiet_outcome::kind::allowed);
  EXPECT_EQ(m.admit.message.send_at_ms, 1'796'137'200'000);
  EXPECT_GT(m.admit.message.valid_until_ms, m.admit.message.send_at_ms);
}

TEST_F(Accept, MarketingNeedsConsentHasTheCapAndQuietHours) {
  // 2026-12-01T03:00:00Z is 22:00 in New York the evening before: quiet hours, deferred to 08:00.
  auto result = prepare(msg("+12125550123", "12345", "Sale!", "marketing"),
                        1'796'094'000'000);
  ASSERT_TRUE(std::holds_alternative<prepared_message>(result));
  const auto& m = std::get<prepared_message>(result);
  EXPECT_TRUE(m.admit.consent_required);
  ASSERT_EQ(m.admit.caps.size(), 1U);
  EXPECT_EQ(m.admit.caps[0].window_seconds, 86400);
  EXPECT_EQ(m.admit.caps[0].max, 3U);
  EXPECT_EQ(m.admit.quiet.k, policy::quiet_outcome::kind::defer);
  EXPECT_EQ(gateway::format_rfc3339(m.admit.quiet.defer_until_ms / 1000), "2026-12-01T13:00:00Z");
}

TEST_F(Accept, EmojiIsUcs2AndLongTextsAreCountedInParts) {
  auto emoji = prepare(msg("+14155550123", "12345", "Hello \xF0\x9F\x98\x80"));
  ASSERT_TRUE(std::holds_alternative<prepared_message>(emoji));
  EXPECT_EQ(std::get<prepared_message>(emoji).encoding, "ucs2");
  auto four = prepare(msg("+14155550123", "12345", std::string(153 * 3 + 1, 'a')));
  ASSERT_TRUE(std::holds_alternative<prepared_message>(four));
  EXPECT_EQ(std::get<prepared_message>(four).segments, 4U);
}

TEST_F(Accept, EachRefusalHasItsCodeAndField) {
  auto e = error_of(msg("+14155550123", "99999", "hi"));
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.code, "sender_not_allowed");
  EXPECT_EQ(e.field, "from");

  e = error_of(msg("+14155550123", "12345", "hi", "promo"));
  EXPECT_EQ(e.code, "unknown_category");
  EXPECT_EQ(e.field, "category");

  e = error_of(msg("+1415555", "12345", "hi"));
  EXPECT_EQ(e.status, 422);
  EXPECT_EQ(e.code, "invalid_number");
  EXPECT_EQ(e.field, "to");

  e = error_of(msg("+442079460958", "12345", "hi"));  // London landline
  EXPECT_EQ(e.code, "not_mobile");
  EXPECT_EQ(e.field, "to");
  EXPECT_EQ(e.message, "'to' is a fixed_line number, a type that cannot receive SMS (policy.allowed_number_types)");

  e = error_of(msg("+14155550123", "12345", std::string(1600, 'a')));
  EXPECT_EQ(e.code, "message_too_long");
  EXPECT_EQ(e.field, "text");
  EXPECT_NE(e.message.find("11 parts"), std::string::npos) << e.message;

  e = error_of(msg("+14155550123", "12345", "bad \xC3"));
  EXPECT_EQ(e.code, "bad_request");
  EXPECT_EQ(e.field, "text");
}

// send_at at most http.max_send_at_ahead ahead when it is set (no limit by default).
TEST_F(Accept, SendAtBeyondTheSchedulingHorizonIsRefusedNamingTheLimit) {
  const std::int64_t now_s = 1'796'137'200;  // 2026-12-01T15:00:00Z
  auto at = [&](std::int64_t send_at) {
    auto r = msg("+14155550123", "12345", "hi");
    r.send_at = send_at;
    return r;
  };
  // The default: any send_at is scheduled, year 9999 too.
  EXPECT_TRUE(std::holds_alternative<prepared_message>(prepare(at(253'402'300'799))));
  auto loaded = config::load_config(std::string(SMSGW_SOURCE_DIR) + "/config/smsgw.yaml");
  loaded.config.http.max_send_at_ahead = std::chrono::seconds{35 * 86'400};
  settings_ = gateway::make_settings(loaded.config);
  key_ = settings_->api_keys.authenticate("Bearer dev-key");  // the key of the new settings
  EXPECT_TRUE(std::holds_alternative<prepared_message>(prepare(at(now_s + 35 * 86'400))));
  for (std::int64_t send_at : {now_s + 35 * 86'400 + 1, std::int64_t{253'402'300'799}}) {  // and 9999-12-31
    const auto e = error_of(at(send_at));
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "bad_request");
    EXPECT_EQ(e.field, "send_at");
    EXPECT_EQ(e.message,
              "'send_at' is more than 35 days ahead (http.max_send_at_ahead): at most 2027-01-05T15:00:00Z now");
  }
  // A past send_at sends now, however far back.
  EXPECT_TRUE(std::holds_alternative<prepared_message>(prepare(at(0))));
  EXPECT_FALSE(gateway::check_send_at_horizon(std::nullopt, now_s, std::chrono::seconds{1}).has_value());
  const auto hours = gateway::check_send_at_horizon(now_s + 7'201, now_s, std::chrono::hours{2});
  ASSERT_TRUE(hours.has_value());
  EXPECT_NE(hours->message.find("more than 2 hours ahead"), std::string::npos) << hours->message;
  const auto odd = gateway::check_send_at_horizon(now_s + 91, now_s, std::chrono::seconds{90});
  ASSERT_TRUE(odd.has_value());
  EXPECT_NE(odd->message.find("more than 90 seconds ahead"), std::string::npos) << odd->message;
}

TEST_F(Accept, AcceptedBodyFollowsTheContract) {
  auto result = prepare(msg("+14155550123", "12345", "hi"));
  ASSERT_TRUE(std::holds_alternative<prepared_message>(result));
  policy::admit_result queued;
  queued.status = policy::message_status::queued;
  EXPECT_EQ(gateway::accepted_body(std::get<prepared_message>(result), queued),
            R"({"id":"msg_test","status":"queued","to":"+14155550123","segments":1,"encoding":"gsm7"})");
}

TEST_F(Accept, ScheduledBodyCarriesSendAtAndReason) {
  auto result = prepare(msg("+14155550123", "12345", "hi"));
  ASSERT_TRUE(std::holds_alternative<prepared_message>(result));
  policy::admit_result scheduled;
  scheduled.status = policy::message_status::scheduled;
  scheduled.send_at_ms = 1'796'137'200'000;  // 2026-12-01T15:00:00Z
  EXPECT_EQ(gateway::accepted_body(std::get<prepared_message>(result), scheduled),
            R"({"id":"msg_test","status":"scheduled","to":"+14155550123","segments":1,"encoding":"gsm7",)"
            R"("send_at":"2026-12-01T15:00:00Z","reason":"send_at"})");
}

// policy.quiet_hours.no_common_window on a +1 800 number (zones from Guam to Pago Pago): a
// 09:00-17:00 window is never open in all of them at once.
class NoCommonWindow : public ::testing::Test {
 protected:
  prepared_message prepared_with(const std::string& quiet_hours_extra) {
    std::ifstream in(std::string(SMSGW_SOURCE_DIR) + "/config/smsgw.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    const std::string window = "default: {from: \"08:00\", to: \"21:00\"}";
    const auto at = yaml.find(window);
    EXPECT_NE(at, std::string::npos);
    yaml.replace(at, window.size(), "default: {from: \"09:00\", to: \"17:00\"}\n" + quiet_hours_extra);
    auto loaded = config::load_config_from_string(yaml, "smsgw.yaml", std::string(SMSGW_SOURCE_DIR) + "/config");
    EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : config::to_string(loaded.errors[0]));
    auto settings = gateway::make_settings(loaded.config);
    auto secrets = policy::number_secrets::from_secret(std::string(64, 'a'));
    const gateway::api_key* key = settings->api_keys.authenticate("Bearer dev-key");
    gateway::message_request request = msg("+18005550199", "12345", "Sale!", "marketing");
    // 2026-12-01T03:00:00Z: 22:00 in New York the evening before.
    gateway::accept_input input{&request, key, 1'796'094'000'000, "msg_test", "", ""};
    auto result = gateway::prepare_message(input, *settings, numbers_, *secrets, [](std::string_view) { return true; });
    EXPECT_TRUE(std::holds_alternative<prepared_message>(result));
    if (!std::holds_alternative<prepared_message>(result)) return {};
    return std::get<prepared_message>(result);
  }
  policy::quiet_outcome quiet_with(const std::string& quiet_hours_extra) {
    return prepared_with(quiet_hours_extra).admit.quiet;
  }
  policy::number_cache numbers_{100};
};

TEST_F(NoCommonWindow, RejectIsTheDefaultAndSaysWhy) {
  auto m = prepared_with("");
  EXPECT_EQ(m.admit.quiet.k, policy::quiet_outcome::kind::reject);
  EXPECT_TRUE(m.no_common_window);
  const api_error e = gateway::refusal_error(policy::reason::quiet_hours, m);
  EXPECT_EQ(e.code, "quiet_hours");
  EXPECT_EQ(e.field, "to");
  EXPECT_NE(e.message.find("time zones share no allowed sending time"), std::string::npos) << e.message;
  // An ordinary night is still an ordinary quiet-hours refusal.
  m.no_common_window = false;
  EXPECT_EQ(gateway::refusal_error(policy::reason::quiet_hours, m).message,
            gateway::refusal_error(policy::reason::quiet_hours).message);
}

TEST_F(NoCommonWindow, DeferGoesToTheFirstMinuteOfThePrimaryZone) {
  // The built-in primary zone of US is New York: 09:00 EST is 14:00 UTC.
  auto q = quiet_with("    no_common_window: defer\n");
  EXPECT_EQ(q.k, policy::quiet_outcome::kind::defer);
  EXPECT_EQ(gateway::format_rfc3339(q.defer_until_ms / 1000), "2026-12-01T14:00:00Z");

  q = quiet_with("    no_common_window: defer\n    primary_zones: {US: America/Los_Angeles}\n");
  EXPECT_EQ(q.k, policy::quiet_outcome::kind::defer);
  EXPECT_EQ(gateway::format_rfc3339(q.defer_until_ms / 1000), "2026-12-01T17:00:00Z");

  // A region without a primary zone is refused as before.
  q = quiet_with("    no_common_window: defer\n    primary_zones: {CA: America/Toronto}\n");
  EXPECT_EQ(q.k, policy::quiet_outcome::kind::reject);
}

TEST_F(NoCommonWindow, AllowSendsNow) {
  EXPECT_EQ(quiet_with("    no_common_window: allow\n").k, policy::quiet_outcome::kind::allowed);
}

TEST(BodyHash, IsHexSha256) {
  EXPECT_EQ(gateway::body_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
