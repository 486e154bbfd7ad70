#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy_config.hpp"

namespace policy {

using sys_seconds = std::chrono::sys_seconds;

inline constexpr int minutes_per_day = 24 * 60;

// The minutes of a local day in which sending is allowed.
class minute_set {
 public:
  static minute_set from_window(const time_window& w);
  static minute_set full() { return minute_set{std::bitset<minutes_per_day>{}.set()}; }
  bool contains(int minute_of_day) const { return bits_.test(static_cast<std::size_t>(minute_of_day)); }
  bool full_day() const { return bits_.all(); }
  bool empty() const { return bits_.none(); }
  minute_set& operator&=(const minute_set& o) {
    bits_ &= o.bits_;
    return *this;
  }
  // Maximal runs of allowed minutes as [from, to) minute pairs within one day; a run touching
  // midnight is split into [x, 1440) and [0, y).
  std::vector<std::pair<int, int>> runs() const;
  bool operator==(const minute_set&) const = default;

 private:
  explicit minute_set(std::bitset<minutes_per_day> b) : bits_(b) {}
  minute_set() = default;
  std::bitset<minutes_per_day> bits_;
};

// The window that applies to a number: the profile's default intersected with every entry whose
// key is the number's country ("US"), its jurisdiction ("US-FL") or one of its candidate
// subdivisions ("CA-NS", "CA-PE"): the strictest applicable window wins.
minute_set applicable_minutes(const quiet_hours_profile& profile, std::string_view jurisdiction,
                              std::span<const std::string> subdivisions);

// How far ahead next_allowed looks before answering `never`.
inline constexpr std::chrono::hours quiet_hours_horizon{24 * 8};

struct quiet_hours_result {
  enum class state : std::uint8_t {
    allowed,   // allowed at `at` (now)
    deferred,  // first allowed instant is `first_allowed` (exact to the minute)
    never,     // no common allowed minute within the horizon, or no known zone
  };
  state outcome = state::allowed;
  sys_seconds first_allowed{};
  bool unknown_zone = false;  // never because a zone is unknown to the system zoneinfo / none given
  bool operator==(const quiet_hours_result&) const = default;
};

// Whether `at` is allowed in ALL `zones` (IANA names, resolved with cctz on the system zoneinfo),
// and otherwise the first instant after `at` that is allowed in all of them, across midnight and
// DST transitions. Local minutes are whole minutes: the allowed state only changes at whole
// minutes of UTC, so the answer is exact to the minute.
quiet_hours_result next_allowed(const minute_set& allowed, std::span<const std::string> zones,
                                sys_seconds at);

// The same for the zones of a normalised number with a profile, including the profile's
// no-common-window action (allow -> allowed, defer_to_primary_zone -> deferred/allowed in the
// primary zone, reject -> never).
quiet_hours_result evaluate_quiet_hours(const quiet_hours_profile& profile,
                                        const phone_number_info& number, sys_seconds at);

}  // namespace policy
