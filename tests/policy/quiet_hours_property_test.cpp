// Property test: random numbers x random instants over two years, against a brute-force reference
// that steps minute by minute with cctz. Zero differences allowed.
#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "policy/phone_number.hpp"
#include "policy/quiet_hours.hpp"

namespace {

using policy::quiet_hours_result;
using policy::sys_seconds;
using state = quiet_hours_result::state;

bool in_window(const policy::time_window& w, int minute) {
  if (w.from_minute == w.to_minute) return true;
  if (w.from_minute < w.to_minute) return minute >= w.from_minute && minute < w.to_minute;
  return minute >= w.from_minute || minute < w.to_minute;
}

// The reference: the windows that apply, checked directly, one minute at a time.
quiet_hours_result reference(const policy::quiet_hours_profile& profile,
                             const policy::phone_number_info& n, sys_seconds at) {
  std::vector<policy::time_window> windows{profile.default_window};
  const std::string country = n.jurisdiction.substr(0, n.jurisdiction.find('-'));
  std::vector<std::string> keys{country, n.jurisdiction};
  for (const auto& s : n.subdivisions) keys.push_back(country + "-" + s);
  for (const auto& [key, w] : profile.jurisdictions) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) windows.push_back(w);
  }
  std::vector<cctz::time_zone> zones;
  for (const auto& name : n.timezones) {
    cctz::time_zone tz;
    if (!cctz::load_time_zone(name, &tz)) {
      quiet_hours_result never;
      never.outcome = state::never;
      never.unknown_zone = true;
      return never;
    }
    zones.push_back(tz);
  }
  const auto allowed = [&](sys_seconds t) {
    for (const auto& tz : zones) {
      const cctz::civil_second cs = cctz::convert(t, tz);
      const int minute = cs.hour() * 60 + cs.minute();
      for (const auto& w : windows) {
        if (!in_window(w, minute)) return false;
      }
    }
    return true;
  };
  quiet_hours_result r;
  r.first_allowed = at;
  if (allowed(at)) return r;
  const std::int64_t start = at.time_since_epoch().count();
  const std::int64_t end = start + std::chrono::seconds(policy::quiet_hours_horizon).count();
  for (std::int64_t m = (start / 60) * 60 + 60; m < end; m += 60) {
    const sys_seconds t{std::chrono::seconds{m}};
    if (allowed(t)) {
      r.outcome = state::deferred;
      r.first_allowed = t;
      return r;
    }
  }
  r.outcome = state::never;
  r.first_allowed = {};
  return r;
}

std::vector<policy::phone_number_info> random_numbers(std::mt19937_64& rng, std::size_t count) {
  // Country/range prefixes and the number of random digits that follow.
  const std::vector<std::pair<std::string, int>> ranges{
      {"+1", 10},        {"+1800", 7},  {"+1907", 7},  {"+1305", 7},  {"+1405", 7},
      {"+1902", 7},      {"+1514", 7},  {"+1808", 7},  {"+1787", 7},  {"+447", 9},
      {"+336", 8},       {"+4915", 9},  {"+79", 9},    {"+614", 8},   {"+642", 8},
      {"+8190", 8},      {"+55119", 8}, {"+52", 10},   {"+346", 8},   {"+919", 9},
      {"+8613", 9},      {"+3538", 8},  {"+6281", 9},  {"+38067", 7}, {"+62", 10},
      {"+1671", 7},      {"+1345", 7},  {"+1709", 7},  {"+1867", 7},  {"+9989", 8},
  };
  std::vector<policy::phone_number_info> out;
  std::uniform_int_distribution<std::size_t> pick(0, ranges.size() - 1);
  std::uniform_int_distribution<int> digit(0, 9);
  for (int attempts = 0; out.size() < count && attempts < 100'000; ++attempts) {
    const auto& [prefix, len] = ranges[pick(rng)];
    std::string s = prefix;
    for (int i = 0; i < len; ++i) s.push_back(static_cast<char>('0' + digit(rng)));
    auto n = policy::normalize(s, "");
    if (n.valid && !n.timezones.empty()) out.push_back(std::move(n));
  }
  return out;
}

std::vector<policy::quiet_hours_profile> profiles() {
  std::vector<policy::quiet_hours_profile> out;
  out.emplace_back();  // 08:00-21:00, US-FL and US-OK 08:00-20:00
  policy::quiet_hours_profile night;
  night.default_window = {22 * 60, 6 * 60};
  out.push_back(night);
  policy::quiet_hours_profile dst_edges;  // edges inside the hours that DST skips or repeats
  dst_edges.default_window = {1 * 60 + 30, 21 * 60};
  dst_edges.jurisdictions["GB"] = {2 * 60 + 30, 20 * 60};
  out.push_back(dst_edges);
  policy::quiet_hours_profile narrow;
  narrow.default_window = {9 * 60, 17 * 60};
  narrow.jurisdictions["CA"] = {10 * 60, 16 * 60};
  out.push_back(narrow);
  policy::quiet_hours_profile short_night;
  short_night.default_window = {2 * 60, 3 * 60 + 30};
  out.push_back(short_night);
  return out;
}

TEST(QuietHoursProperty, MatchesMinuteSteppingReference) {
  std::mt19937_64 rng(20261129);
  const auto numbers = random_numbers(rng, 400);
  ASSERT_GE(numbers.size(), 300u);
  const auto all_profiles = profiles();

  const std::int64_t from = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}.time_since_epoch())
                                .count();
  const std::int64_t to = from + 2 * 365 * 86'400;
  std::uniform_int_distribution<std::int64_t> instant(from, to);
  std::uniform_int_distribution<std::size_t> pick_number(0, numbers.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_profile(0, all_profiles.size() - 1);
  std::uniform_int_distribution<int> near(-3 * 3600, 3 * 3600);
  std::bernoulli_distribution near_transition(0.3);

  int compared = 0;
  int differences = 0;
  int deferred = 0;
  int never = 0;
  for (int i = 0; i < 6000; ++i) {
    const auto& n = numbers[pick_number(rng)];
    const auto& profile = all_profiles[pick_profile(rng)];
    std::int64_t t = instant(rng);
    if (near_transition(rng)) {
      // Land close to an offset change of the number's first zone.
      cctz::time_zone tz;
      cctz::time_zone::civil_transition tr;
      if (cctz::load_time_zone(n.timezones.front(), &tz) &&
          tz.next_transition(sys_seconds{std::chrono::seconds{t}}, &tr)) {
        t = tz.lookup(tr.to).trans.time_since_epoch().count() + near(rng);
      }
    }
    const sys_seconds at{std::chrono::seconds{t}};
    const auto got = policy::evaluate_quiet_hours(profile, n, at);
    const auto want = reference(profile, n, at);
    ++compared;
    if (want.outcome == state::deferred) ++deferred;
    if (want.outcome == state::never) ++never;
    if (got.outcome != want.outcome ||
        (want.outcome != state::never && got.first_allowed != want.first_allowed)) {
      ++differences;
      if (differences <= 10) {
        ADD_FAILURE() << n.e164 << " at " << cctz::format("%Y-%m-%d %H:%M:%S UTC", at, cctz::utc_time_zone())
                      << " profile window " << profile.default_window.from_minute << "-"
                      << profile.default_window.to_minute << ": got "
                      << static_cast<int>(got.outcome) << " "
                      << cctz::format("%Y-%m-%d %H:%M", got.first_allowed, cctz::utc_time_zone())
                      << ", reference " << static_cast<int>(want.outcome) << " "
                      << cctz::format("%Y-%m-%d %H:%M", want.first_allowed, cctz::utc_time_zone());
      }
    }
  }
  EXPECT_EQ(differences, 0) << "of " << compared;
  // The sample must exercise every outcome.
  EXPECT_GT(deferred, 200);
  EXPECT_GT(never, 10);
  EXPECT_GT(compared - deferred - never, 200);
}

}  // namespace
