#include "policy/quiet_hours.hpp"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <unordered_map>

namespace policy {
namespace {

constexpr std::int64_t seconds_per_day = 86'400;

struct interval {
  std::int64_t begin;  // unix seconds, inclusive
  std::int64_t end;    // exclusive
};

// cctz keeps every loaded zone for the life of the process; this per-thread map only saves the
// name lookup under cctz's global lock on the hot path.
const cctz::time_zone* resolve(const std::string& name) {
  struct slot {
    cctz::time_zone tz;
    bool ok;
  };
  thread_local std::unordered_map<std::string, slot> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    slot s{};
    s.ok = cctz::load_time_zone(name, &s.tz);
    it = cache.emplace(name, s).first;
  }
  return it->second.ok ? &it->second.tz : nullptr;
}

int minute_of_day(const cctz::time_zone& tz, sys_seconds at) {
  const cctz::civil_second cs = cctz::convert(at, tz);
  return cs.hour() * 60 + cs.minute();
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Allowed intervals of one zone within [from, to): the range is cut at every offset change, and
// within a piece of constant offset local time is UTC + offset, so the local runs map exactly.
std::vector<interval> zone_intervals(const std::vector<std::pair<int, int>>& runs,
                                     const cctz::time_zone& tz, std::int64_t from, std::int64_t to) {
  std::vector<interval> out;
  std::int64_t t = from;
  while (t < to) {
    const auto tp = sys_seconds{std::chrono::seconds{t}};
    const std::int64_t offset = tz.lookup(tp).offset;
    std::int64_t piece_end = to;
    cctz::time_zone::civil_transition tr;
    if (tz.next_transition(tp, &tr)) {
      const std::int64_t at = tz.lookup(tr.to).trans.time_since_epoch().count();
      if (at > t && at < piece_end) piece_end = at;
    }
    const std::int64_t local_begin = t + offset;
    const std::int64_t local_end = piece_end + offset;
    for (std::int64_t day = floor_div(local_begin, seconds_per_day) * seconds_per_day; day < local_end;
         day += seconds_per_day) {
      for (const auto& [a, b] : runs) {
        const std::int64_t s = std::max(day + a * 60, local_begin);
        const std::int64_t e = std::min(day + b * 60, local_end);
        if (s >= e) continue;
        if (!out.empty() && out.back().end >= s - offset) {
          out.back().end = std::max(out.back().end, e - offset);
        } else {
          out.push_back(interval{s - offset, e - offset});
        }
      }
    }
    t = piece_end;
  }
  return out;
}

std::vector<interval> intersect(const std::vector<interval>& a, const std::vector<interval>& b) {
  std::vector<interval> out;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const std::int64_t s = std::max(a[i].begin, b[j].begin);
    const std::int64_t e = std::min(a[i].end, b[j].end);
    if (s < e) out.push_back(interval{s, e});
    if (a[i].end < b[j].end) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

quiet_hours_result never(bool unknown_zone) {
  quiet_hours_result r;
  r.outcome = quiet_hours_result::state::never;
  r.unknown_zone = unknown_zone;
  return r;
}

}  // namespace

minute_set minute_set::from_window(const time_window& w) {
  const std::size_t from = std::min<std::size_t>(w.from_minute, minutes_per_day - 1);
  const std::size_t to = std::min<std::size_t>(w.to_minute, minutes_per_day) % minutes_per_day;
  if (from == to) return full();
  std::bitset<minutes_per_day> all;
  all.set();
  // [from, to) or, across midnight, everything but [to, from); whole-word shifts, no loop.
  const std::size_t lo = std::min(from, to);
  const std::size_t hi = std::max(from, to);
  const std::bitset<minutes_per_day> middle = (all >> (minutes_per_day - (hi - lo))) << lo;
  minute_set s;
  s.bits_ = from < to ? middle : ~middle;
  return s;
}

std::vector<std::pair<int, int>> minute_set::runs() const {
  std::vector<std::pair<int, int>> out;
  int m = 0;
  while (m < minutes_per_day) {
    if (!contains(m)) {
      ++m;
      continue;
    }
    const int start = m;
    while (m < minutes_per_day && contains(m)) ++m;
    out.emplace_back(start, m);
  }
  return out;
}

minute_set applicable_minutes(const quiet_hours_profile& profile, std::string_view jurisdiction,
                              std::span<const std::string> subdivisions) {
  minute_set allowed = minute_set::from_window(profile.default_window);
  if (profile.jurisdictions.empty()) return allowed;
  const std::string_view country = jurisdiction.substr(0, jurisdiction.find('-'));
  const auto apply = [&](std::string_view key) {
    if (const auto it = profile.jurisdictions.find(key); it != profile.jurisdictions.end()) {
      allowed &= minute_set::from_window(it->second);
    }
  };
  if (!country.empty()) apply(country);
  if (jurisdiction != country) apply(jurisdiction);
  for (const std::string& sub : subdivisions) {
    std::string key(country);
    key += '-';
    key += sub;
    if (key != jurisdiction) apply(key);
  }
  return allowed;
}

quiet_hours_result next_allowed(const minute_set& allowed, std::span<const std::string> zones,
                                sys_seconds at) {
  quiet_hours_result result;
  result.first_allowed = at;
  if (zones.empty()) return never(true);
  std::vector<const cctz::time_zone*> tzs;
  tzs.reserve(zones.size());
  for (const std::string& name : zones) {
    const cctz::time_zone* tz = resolve(name);
    if (tz == nullptr) return never(true);
    tzs.push_back(tz);
  }
  if (allowed.full_day()) return result;
  if (allowed.empty()) return never(false);

  // Fast path: allowed right now in every zone.
  bool now_ok = true;
  for (const cctz::time_zone* tz : tzs) {
    if (!allowed.contains(minute_of_day(*tz, at))) {
      now_ok = false;
      break;
    }
  }
  if (now_ok) return result;

  const auto runs = allowed.runs();
  const std::int64_t from = at.time_since_epoch().count();
  // A short look-ahead answers nearly every case; the full horizon decides `never`.
  for (const std::int64_t horizon : {std::int64_t{2} * seconds_per_day,
                                     std::int64_t{std::chrono::seconds(quiet_hours_horizon).count()}}) {
    std::vector<interval> common = zone_intervals(runs, *tzs.front(), from, from + horizon);
    for (std::size_t i = 1; i < tzs.size() && !common.empty(); ++i) {
      common = intersect(common, zone_intervals(runs, *tzs[i], from, from + horizon));
    }
    if (!common.empty()) {
      result.outcome = quiet_hours_result::state::deferred;
      result.first_allowed = sys_seconds{std::chrono::seconds{std::max(common.front().begin, from)}};
      if (result.first_allowed == at) result.outcome = quiet_hours_result::state::allowed;
      return result;
    }
  }
  return never(false);
}

quiet_hours_result evaluate_quiet_hours(const quiet_hours_profile& profile,
                                        const phone_number_info& number, sys_seconds at) {
  const minute_set allowed = applicable_minutes(profile, number.jurisdiction, number.subdivisions);
  quiet_hours_result r = next_allowed(allowed, number.timezones, at);
  if (r.outcome != quiet_hours_result::state::never) return r;
  switch (profile.when_no_common_window) {
    case no_common_window_action::reject:
      return r;
    case no_common_window_action::allow: {
      quiet_hours_result ok;
      ok.first_allowed = at;
      return ok;
    }
    case no_common_window_action::defer_to_primary_zone: {
      auto it = profile.primary_zones.find(std::string_view(number.region));
      if (it == profile.primary_zones.end()) {
        const std::string_view country =
            std::string_view(number.jurisdiction).substr(0, number.jurisdiction.find('-'));
        it = profile.primary_zones.find(country);
      }
      if (it == profile.primary_zones.end()) return r;
      const std::string zone[1] = {it->second};
      return next_allowed(allowed, zone, at);
    }
  }
  return r;
}

}  // namespace policy
