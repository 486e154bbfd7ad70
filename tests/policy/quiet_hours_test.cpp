// Quiet hours: windows across midnight, DST, several zones, strictest jurisdiction, exact minute.
#include "policy/quiet_hours.hpp"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include "policy/phone_number.hpp"

namespace {

using policy::quiet_hours_result;
using policy::sys_seconds;
using state = quiet_hours_result::state;

sys_seconds utc(int y, int mo, int d, int h, int mi, int s = 0) {
  return cctz::convert(cctz::civil_second(y, mo, d, h, mi, s), cctz::utc_time_zone());
}

policy::time_window window(int from_h, int from_m, int to_h, int to_m) {
  return policy::time_window{static_cast<std::uint16_t>(from_h * 60 + from_m),
                             static_cast<std::uint16_t>(to_h * 60 + to_m)};
}

struct qh_case {
  const char* name;
  const char* number;
  policy::time_window default_window;
  sys_seconds at;
  state expected;
  sys_seconds first_allowed;  // for deferred
};

class QuietHours : public testing::TestWithParam<qh_case> {};

TEST_P(QuietHours, FirstAllowedInstant) {
  const qh_case& c = GetParam();
  policy::quiet_hours_profile profile;  // with US-FL and US-OK 08:00-20:00
  profile.default_window = c.default_window;
  const policy::phone_number_info n = policy::normalize(c.number, "");
  ASSERT_TRUE(n.valid) << c.number;
  const quiet_hours_result r = policy::evaluate_quiet_hours(profile, n, c.at);
  EXPECT_EQ(r.outcome, c.expected) << c.name;
  if (c.expected == state::deferred) {
    EXPECT_EQ(r.first_allowed, c.first_allowed)
        << c.name << ": got " << cctz::format("%Y-%m-%d %H:%M:%S UTC", r.first_allowed, cctz::utc_time_zone());
  }
  if (c.expected == state::allowed) {
    EXPECT_EQ(r.first_allowed, c.at);
  }
}

const auto day = window(8, 0, 21, 0);
const auto night = window(22, 0, 6, 0);
constexpr const char* la = "+1 415 555 0123";  // America/Los_Angeles, US-CA
constexpr const char* ny = "+1 212 555 0123";  // America/New_York, US-NY
constexpr const char* fl = "+1 305 555 0123";  // America/New_York, US-FL
constexpr const char* ok = "+1 405 555 0123";  // America/Chicago, US-OK
constexpr const char* tx = "+1 214 555 0123";  // America/Chicago, US-TX
constexpr const char* uk = "+44 7400 123456";  // Europe/London
constexpr const char* de = "+49 1512 3456789";  // Europe/Berlin

const qh_case qh_cases[] = {
    // Los Angeles in July is UTC-7.
    {"la_daytime", la, day, utc(2026, 7, 15, 17, 0), state::allowed, {}},
    {"la_before_8", la, day, utc(2026, 7, 15, 14, 30), state::deferred, utc(2026, 7, 15, 15, 0)},
    {"la_0759_59", la, day, utc(2026, 7, 15, 14, 59, 59), state::deferred, utc(2026, 7, 15, 15, 0)},
    {"la_0800_exact", la, day, utc(2026, 7, 15, 15, 0), state::allowed, {}},
    {"la_2059_30", la, day, utc(2026, 7, 16, 3, 59, 30), state::allowed, {}},
    {"la_2100_exact", la, day, utc(2026, 7, 16, 4, 0), state::deferred, utc(2026, 7, 16, 15, 0)},
    {"la_after_midnight", la, day, utc(2026, 7, 16, 8, 0), state::deferred, utc(2026, 7, 16, 15, 0)},
    // A window across midnight (22:00-06:00 local).
    {"night_inside_late", la, night, utc(2026, 7, 16, 6, 0), state::allowed, {}},      // 23:00
    {"night_inside_early", la, night, utc(2026, 7, 16, 12, 59), state::allowed, {}},   // 05:59
    {"night_0600", la, night, utc(2026, 7, 16, 13, 0), state::deferred, utc(2026, 7, 17, 5, 0)},
    {"night_noon", la, night, utc(2026, 7, 16, 19, 0), state::deferred, utc(2026, 7, 17, 5, 0)},
    // Florida and Oklahoma stop at 20:00, the federal rule at 21:00.
    {"ny_2030", ny, day, utc(2026, 7, 16, 0, 30), state::allowed, {}},
    {"fl_2030", fl, day, utc(2026, 7, 16, 0, 30), state::deferred, utc(2026, 7, 16, 12, 0)},
    {"fl_1959", fl, day, utc(2026, 7, 15, 23, 59), state::allowed, {}},
    {"ok_2000", ok, day, utc(2026, 7, 16, 1, 0), state::deferred, utc(2026, 7, 16, 13, 0)},
    {"tx_2000", tx, day, utc(2026, 7, 16, 1, 0), state::allowed, {}},
    // US spring forward, 2026-03-08 02:00 EST -> 03:00 EDT.
    {"ny_spring_0130_est", ny, day, utc(2026, 3, 8, 6, 30), state::deferred, utc(2026, 3, 8, 12, 0)},
    {"ny_spring_day_before", ny, day, utc(2026, 3, 7, 12, 30), state::deferred, utc(2026, 3, 7, 13, 0)},
    // Window opening at 02:30, a local time that does not exist that night: opens at 03:00 EDT.
    {"ny_spring_skipped_edge", ny, window(2, 30, 21, 0), utc(2026, 3, 8, 6, 0), state::deferred,
     utc(2026, 3, 8, 7, 0)},
    // US fall back, 2026-11-01 02:00 EDT -> 01:00 EST.
    {"ny_fall_0100_edt", ny, day, utc(2026, 11, 1, 5, 0), state::deferred, utc(2026, 11, 1, 13, 0)},
    {"ny_fall_edge_first", ny, window(1, 30, 21, 0), utc(2026, 11, 1, 5, 0), state::deferred,
     utc(2026, 11, 1, 5, 30)},
    // Second 01:00-01:30 of the night (EST) is outside the window again.
    {"ny_fall_edge_second", ny, window(1, 30, 21, 0), utc(2026, 11, 1, 6, 0), state::deferred,
     utc(2026, 11, 1, 6, 30)},
    {"ny_fall_edge_inside", ny, window(1, 30, 21, 0), utc(2026, 11, 1, 5, 45), state::allowed, {}},
    // Europe: London 2026-03-29 01:00 GMT -> 02:00 BST; Berlin 2026-10-25 03:00 CEST -> 02:00 CET.
    {"uk_spring", uk, day, utc(2026, 3, 29, 6, 30), state::deferred, utc(2026, 3, 29, 7, 0)},
    {"uk_winter", uk, day, utc(2026, 1, 10, 7, 30), state::deferred, utc(2026, 1, 10, 8, 0)},
    {"de_autumn", de, day, utc(2026, 10, 25, 5, 30), state::deferred, utc(2026, 10, 25, 7, 0)},
    {"de_summer_evening", de, day, utc(2026, 10, 24, 19, 0), state::deferred, utc(2026, 10, 25, 7, 0)},
    // Several zones. +1 800: Guam (UTC+10) to Pago Pago (UTC-11) and Newfoundland: in July the
    // common window is 22:00-23:30 UTC (Guam opens at 08:00, St John's closes at 21:00 NDT).
    {"tollfree_july", "+1 800 555 0123", day, utc(2026, 7, 15, 12, 0), state::deferred,
     utc(2026, 7, 15, 22, 0)},
    {"tollfree_inside", "+1 800 555 0123", day, utc(2026, 7, 15, 23, 0), state::allowed, {}},
    {"tollfree_2330_july", "+1 800 555 0123", day, utc(2026, 7, 15, 23, 30), state::deferred,
     utc(2026, 7, 16, 22, 0)},
    // Russian mobile: Bucharest/Kaliningrad-like UTC+2/+3 to Kamchatka UTC+12: 05:00-09:00 UTC in
    // summer, 06:00-09:00 in winter.
    {"ru_summer", "+7 916 123 45 67", day, utc(2026, 7, 15, 12, 0), state::deferred,
     utc(2026, 7, 16, 5, 0)},
    {"ru_winter", "+7 916 123 45 67", day, utc(2026, 1, 15, 12, 0), state::deferred,
     utc(2026, 1, 16, 6, 0)},
    {"ru_inside", "+7 916 123 45 67", day, utc(2026, 1, 15, 8, 59), state::allowed, {}},
    // Australian mobile: Cocos (UTC+6:30) opens 01:30 UTC; Sydney/Lord Howe close at 10:00 UTC in
    // January (DST), Lord Howe at 10:30 in July.
    {"au_january", "+61 412 345 678", day, utc(2026, 1, 15, 12, 0), state::deferred,
     utc(2026, 1, 16, 1, 30)},
    {"au_january_late", "+61 412 345 678", day, utc(2026, 1, 16, 10, 0), state::deferred,
     utc(2026, 1, 17, 1, 30)},
    {"au_july_1015", "+61 412 345 678", day, utc(2026, 7, 16, 10, 15), state::allowed, {}},
};
INSTANTIATE_TEST_SUITE_P(Table, QuietHours, testing::ValuesIn(qh_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(QuietHoursNoCommonWindow, ConfigurableOutcome) {
  policy::quiet_hours_profile profile;
  profile.default_window = window(9, 0, 17, 0);  // too short for Guam + Newfoundland together
  const auto n = policy::normalize("+1 800 555 0123", "");
  const sys_seconds at = utc(2026, 7, 15, 12, 0);

  const auto rejected = policy::evaluate_quiet_hours(profile, n, at);
  EXPECT_EQ(rejected.outcome, state::never);
  EXPECT_FALSE(rejected.unknown_zone);

  profile.when_no_common_window = policy::no_common_window_action::allow;
  EXPECT_EQ(policy::evaluate_quiet_hours(profile, n, at).outcome, state::allowed);

  // Primary zone for the region: New York, 09:00 EDT = 13:00 UTC.
  profile.when_no_common_window = policy::no_common_window_action::defer_to_primary_zone;
  EXPECT_EQ(policy::evaluate_quiet_hours(profile, n, at).outcome, state::never);  // none configured
  profile.primary_zones["US"] = "America/New_York";
  const auto primary = policy::evaluate_quiet_hours(profile, n, utc(2026, 7, 15, 22, 0));
  EXPECT_EQ(primary.outcome, state::deferred);
  EXPECT_EQ(primary.first_allowed, utc(2026, 7, 16, 13, 0));
  // 12:00 UTC is 08:00 EDT: before New York's 09:00.
  EXPECT_EQ(policy::evaluate_quiet_hours(profile, n, at).first_allowed, utc(2026, 7, 15, 13, 0));
}

TEST(QuietHoursZones, UnknownZoneIsNever) {
  const auto all = policy::minute_set::from_window(window(8, 0, 21, 0));
  const std::vector<std::string> bogus{"Mars/Olympus_Mons"};
  const auto r = policy::next_allowed(all, bogus, utc(2026, 7, 15, 12, 0));
  EXPECT_EQ(r.outcome, state::never);
  EXPECT_TRUE(r.unknown_zone);
  EXPECT_EQ(policy::next_allowed(all, {}, utc(2026, 7, 15, 12, 0)).outcome, state::never);
}

TEST(QuietHoursWindows, StrictestApplicableWins) {
  policy::quiet_hours_profile profile;
  profile.jurisdictions["US"] = window(9, 0, 21, 0);
  profile.jurisdictions["CA-PE"] = window(10, 0, 19, 0);
  const auto us_fl = policy::applicable_minutes(profile, "US-FL", std::vector<std::string>{"FL"});
  EXPECT_FALSE(us_fl.contains(8 * 60 + 30));  // US 09:00
  EXPECT_TRUE(us_fl.contains(9 * 60));
  EXPECT_TRUE(us_fl.contains(19 * 60 + 59));
  EXPECT_FALSE(us_fl.contains(20 * 60));      // FL 20:00
  // Ambiguous province: both candidates apply.
  const auto ca = policy::applicable_minutes(profile, "CA", std::vector<std::string>{"NS", "PE"});
  EXPECT_FALSE(ca.contains(9 * 60 + 59));
  EXPECT_TRUE(ca.contains(10 * 60));
  EXPECT_FALSE(ca.contains(19 * 60));
  // A jurisdiction entry cannot widen the default.
  profile.jurisdictions["GB"] = window(7, 0, 23, 0);
  const auto gb = policy::applicable_minutes(profile, "GB", {});
  EXPECT_FALSE(gb.contains(7 * 60));
  EXPECT_TRUE(gb.contains(8 * 60));
}

TEST(QuietHoursWindows, MinuteSets) {
  EXPECT_TRUE(policy::minute_set::from_window(window(8, 0, 8, 0)).full_day());
  const auto across = policy::minute_set::from_window(window(22, 0, 6, 0));
  EXPECT_TRUE(across.contains(23 * 60));
  EXPECT_TRUE(across.contains(0));
  EXPECT_TRUE(across.contains(5 * 60 + 59));
  EXPECT_FALSE(across.contains(6 * 60));
  EXPECT_FALSE(across.contains(21 * 60 + 59));
  EXPECT_EQ(across.runs(), (std::vector<std::pair<int, int>>{{0, 360}, {1320, 1440}}));
  const auto to_midnight = policy::minute_set::from_window(window(8, 0, 24, 0));
  EXPECT_TRUE(to_midnight.contains(23 * 60 + 59));
  EXPECT_FALSE(to_midnight.contains(0));
  auto none = policy::minute_set::from_window(window(8, 0, 12, 0));
  none &= policy::minute_set::from_window(window(13, 0, 20, 0));
  EXPECT_TRUE(none.empty());
  const std::vector<std::string> la{"America/Los_Angeles"};
  EXPECT_EQ(policy::next_allowed(none, la, utc(2026, 7, 15, 12, 0)).outcome, state::never);
  EXPECT_EQ(policy::next_allowed(policy::minute_set::full(), la, utc(2026, 7, 15, 12, 0)).outcome,
            state::allowed);
}

}  // namespace
