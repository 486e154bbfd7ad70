// The decision: rule order, each reason, deferral, and the store plan.
#include "policy/decision.hpp"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

namespace {

using policy::reason;
using policy::sys_seconds;
using policy::verdict;

sys_seconds utc(int y, int mo, int d, int h, int mi) {
  return cctz::convert(cctz::civil_second(y, mo, d, h, mi, 0), cctz::utc_time_zone());
}

class Decision : public testing::Test {
 protected:
  policy::policy_config config;  // design.md 5.6 defaults
  policy::phone_number_info la = policy::normalize("+1 415 555 0123", "");
  policy::phone_number_info fl = policy::normalize("+1 305 555 0123", "");
  policy::phone_number_info landline = policy::normalize("+44 20 7946 0958", "");
  policy::phone_number_info invalid = policy::normalize("+1 123 555 0123", "");
  // 12:00 in Los Angeles (19:00 UTC, July): inside every window.
  sys_seconds noon_la = utc(2026, 7, 15, 19, 0);
  // 23:00 in Los Angeles.
  sys_seconds night_la = utc(2026, 7, 16, 6, 0);

  policy::message_request marketing(const policy::phone_number_info& to) const {
    return policy::message_request{&to, "12345", "marketing", "", std::nullopt};
  }
  static policy::facts consented() {
    policy::facts f;
    f.consent_any_sender = true;
    return f;
  }
};

TEST_F(Decision, TransactionalIsSentAnyTime) {
  const policy::message_request req{&la, "12345", "", "", std::nullopt};
  const auto d = policy::evaluate(req, {}, night_la, config);
  EXPECT_EQ(d.outcome, verdict::send);
  EXPECT_EQ(d.why, reason::none);
  EXPECT_EQ(d.send_at, night_la);
}

TEST_F(Decision, UnknownCategory) {
  const policy::message_request req{&la, "12345", "promo", "", std::nullopt};
  EXPECT_EQ(policy::evaluate(req, {}, noon_la, config).why, reason::unknown_category);
}

TEST_F(Decision, NumberChecksComeFirst) {
  policy::facts f;
  f.suppressed_global = true;
  EXPECT_EQ(policy::evaluate(marketing(invalid), f, noon_la, config).why, reason::invalid_number);
  EXPECT_EQ(policy::evaluate(marketing(landline), f, noon_la, config).why, reason::not_mobile);
  const policy::message_request no_number{nullptr, "12345", "", "", std::nullopt};
  EXPECT_EQ(policy::evaluate(no_number, f, noon_la, config).why, reason::invalid_number);
}

TEST_F(Decision, SuppressionScope) {
  policy::facts f = consented();
  f.suppressed_other_sender = true;
  EXPECT_EQ(policy::evaluate(marketing(la), f, noon_la, config).outcome, verdict::send);
  config.scope = policy::opt_out_scope::global;
  EXPECT_EQ(policy::evaluate(marketing(la), f, noon_la, config).why, reason::recipient_opted_out);

  config.scope = policy::opt_out_scope::sender;
  policy::facts own = consented();
  own.suppressed_for_sender = true;
  EXPECT_EQ(policy::evaluate(marketing(la), own, noon_la, config).why, reason::recipient_opted_out);
  policy::facts global = consented();
  global.suppressed_global = true;
  const policy::message_request txn{&la, "12345", "transactional", "", std::nullopt};
  EXPECT_EQ(policy::evaluate(txn, global, noon_la, config).why, reason::recipient_opted_out);
}

TEST_F(Decision, OrderSuppressionConsentCapsQuiet) {
  policy::facts f;                 // no consent
  f.suppressed_for_sender = true;
  f.cap_counts = {3};              // cap reached too
  // At night, opted out, no consent and capped: suppression wins.
  EXPECT_EQ(policy::evaluate(marketing(la), f, night_la, config).why, reason::recipient_opted_out);
  f.suppressed_for_sender = false;
  EXPECT_EQ(policy::evaluate(marketing(la), f, night_la, config).why, reason::no_consent);
  f.consent_any_sender = true;
  const auto capped = policy::evaluate(marketing(la), f, night_la, config);
  EXPECT_EQ(capped.why, reason::frequency_capped);
  EXPECT_EQ(capped.cap_index, 0);
  EXPECT_EQ(capped.cap.max, 3u);
  f.cap_counts = {2};
  const auto deferred = policy::evaluate(marketing(la), f, night_la, config);
  EXPECT_EQ(deferred.outcome, verdict::deferred);
  EXPECT_EQ(deferred.why, reason::quiet_hours);
  EXPECT_EQ(deferred.send_at, utc(2026, 7, 16, 15, 0));  // 08:00 PDT
}

TEST_F(Decision, ConsentPerSender) {
  config.categories["marketing"].consent = policy::consent_mode::required_per_sender;
  policy::facts f;
  f.consent_any_sender = true;
  EXPECT_EQ(policy::evaluate(marketing(la), f, noon_la, config).why, reason::no_consent);
  f.consent_for_sender = true;
  EXPECT_EQ(policy::evaluate(marketing(la), f, noon_la, config).outcome, verdict::send);
}

TEST_F(Decision, SeveralCapsReportWhichOne) {
  config.categories["marketing"].caps = {{3600, 1, false}, {86'400, 3, false}, {604'800, 5, true}};
  policy::facts f = consented();
  f.cap_counts = {0, 2, 5};
  const auto d = policy::evaluate(marketing(la), f, noon_la, config);
  EXPECT_EQ(d.why, reason::frequency_capped);
  EXPECT_EQ(d.cap_index, 2);
  EXPECT_TRUE(d.cap.per_campaign);
  f.cap_counts = {0, 2, 4};
  EXPECT_EQ(policy::evaluate(marketing(la), f, noon_la, config).outcome, verdict::send);
  f.cap_counts = {};  // the store knows of no message: nothing counted
  EXPECT_EQ(policy::evaluate(marketing(la), f, noon_la, config).outcome, verdict::send);
}

TEST_F(Decision, QuietHoursRejectAction) {
  config.categories["marketing"].action = policy::quiet_hours_action::reject;
  const auto d = policy::evaluate(marketing(la), consented(), night_la, config);
  EXPECT_EQ(d.outcome, verdict::rejected);
  EXPECT_EQ(d.why, reason::quiet_hours);
}

TEST_F(Decision, FloridaStopsAtEight) {
  const sys_seconds fl_2030 = utc(2026, 7, 16, 0, 30);  // 20:30 EDT
  const auto d = policy::evaluate(marketing(fl), consented(), fl_2030, config);
  EXPECT_EQ(d.outcome, verdict::deferred);
  EXPECT_EQ(d.send_at, utc(2026, 7, 16, 12, 0));
}

TEST_F(Decision, ClientScheduleIsCheckedAtItsTime) {
  policy::message_request req = marketing(la);
  req.send_at = night_la;  // asked for 23:00 local
  const auto d = policy::evaluate(req, consented(), noon_la, config);
  EXPECT_EQ(d.outcome, verdict::deferred);
  EXPECT_EQ(d.send_at, utc(2026, 7, 16, 15, 0));
  req.send_at = utc(2026, 7, 16, 18, 0);  // 11:00 local the next day
  const auto later = policy::evaluate(req, consented(), noon_la, config);
  EXPECT_EQ(later.outcome, verdict::send);
  EXPECT_EQ(later.send_at, utc(2026, 7, 16, 18, 0));
}

TEST_F(Decision, NoCommonWindowRejectsByDefault) {
  config.quiet_hours_profiles["default"].default_window = {9 * 60, 17 * 60};
  const auto tollfree = policy::normalize("+1 800 555 0123", "");
  const auto d = policy::evaluate(marketing(tollfree), consented(), noon_la, config);
  EXPECT_EQ(d.outcome, verdict::rejected);
  EXPECT_EQ(d.why, reason::quiet_hours);
  EXPECT_TRUE(d.no_common_window);
}

TEST_F(Decision, StorePlanCarriesTheSameInputs) {
  config.categories["marketing"].caps = {{86'400, 3, false}, {604'800, 5, true}};
  policy::message_request req = marketing(la);
  req.campaign = "spring-sale";
  const auto p = policy::plan(req, night_la, config);
  EXPECT_EQ(p.precheck, reason::none);
  EXPECT_EQ(p.category, "marketing");
  EXPECT_TRUE(p.consent_required);
  EXPECT_FALSE(p.consent_per_sender);
  EXPECT_EQ(p.scope, policy::opt_out_scope::sender);
  ASSERT_EQ(p.caps.size(), 2u);
  EXPECT_EQ(p.caps[0], (policy::store_cap{86'400, 3, ""}));
  EXPECT_EQ(p.caps[1], (policy::store_cap{604'800, 5, "spring-sale"}));
  EXPECT_EQ(p.quiet.outcome, policy::quiet_hours_outcome::kind::defer_until);
  EXPECT_EQ(p.quiet.defer_until_unix, utc(2026, 7, 16, 15, 0).time_since_epoch().count());

  const policy::message_request txn{&la, "12345", "", "", std::nullopt};
  const auto t = policy::plan(txn, night_la, config);
  EXPECT_EQ(t.category, "transactional");
  EXPECT_FALSE(t.consent_required);
  EXPECT_TRUE(t.caps.empty());
  EXPECT_EQ(t.quiet.outcome, policy::quiet_hours_outcome::kind::allowed);
  EXPECT_EQ(policy::plan(marketing(landline), night_la, config).precheck, reason::not_mobile);
}

}  // namespace

namespace {

TEST(SuppressionRefuses, GlobalEntriesAlwaysSenderEntriesPerScope) {
  using policy::opt_out_scope;
  using policy::suppression_refuses;
  EXPECT_TRUE(suppression_refuses("", "12345", opt_out_scope::sender));       // STOPALL, DNC
  EXPECT_TRUE(suppression_refuses("12345", "12345", opt_out_scope::sender));  // STOP to this sender
  EXPECT_FALSE(suppression_refuses("67890", "12345", opt_out_scope::sender)); // STOP to another one
  EXPECT_TRUE(suppression_refuses("67890", "12345", opt_out_scope::global));  // ...under global scope
}

}  // namespace
