#pragma once

// Runtime configuration of the policy engine: plain structs that the gateway fills from the YAML
// configuration (config/ owns the YAML-facing structs; this is what the rules consume).
// Defaults are those of design.md section 5.6.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/phone_number.hpp"

namespace policy {

enum class consent_mode : std::uint8_t {
  none,                 // no consent needed (transactional)
  required,             // consent per number x category, from any sender
  required_per_sender,  // consent per number x category x sender
};

// A frequency cap: at most `max` accepted messages to one number in the last `window_seconds`,
// counted across all senders; with `per_campaign`, counted per campaign (messages without a
// campaign form one group of their own).
struct cap_rule {
  std::int64_t window_seconds = 86'400;
  std::uint32_t max = 3;
  bool per_campaign = false;
  bool operator==(const cap_rule&) const = default;
};

enum class quiet_hours_action : std::uint8_t { defer, reject };

struct category_policy {
  consent_mode consent = consent_mode::none;
  std::vector<cap_rule> caps;
  // Name of a profile in policy_config::quiet_hours_profiles; empty = no quiet hours.
  std::string quiet_hours_profile;
  quiet_hours_action action = quiet_hours_action::defer;
  bool operator==(const category_policy&) const = default;
};

// A daily window of recipient local time in which sending is allowed, [from, to) in minutes after
// midnight. to < from crosses midnight ("21:00"-"08:00"); from == to means the whole day.
struct time_window {
  std::uint16_t from_minute = 8 * 60;
  std::uint16_t to_minute = 21 * 60;
  bool operator==(const time_window&) const = default;
};

// What to do when the candidate zones of a number never share an allowed minute (a +1 800 number
// may be in Guam, Honolulu and Newfoundland at once), or no zone is known.
enum class no_common_window_action : std::uint8_t {
  reject,                 // refuse with reason quiet_hours (default: the safe reading of the law)
  defer_to_primary_zone,  // defer to the first allowed minute in primary_zones[region]
                          // (falls back to reject when the region has no primary zone)
  allow,                  // send now: the operator takes the risk
};

struct quiet_hours_profile {
  // Applies everywhere; the strictest applicable window wins, so an entry below can only narrow.
  time_window default_window{};
  // Keys are jurisdictions: a country ("US", "GB") or a subdivision ("US-FL", "CA-QC").
  std::map<std::string, time_window, std::less<>> jurisdictions{
      {"US-FL", time_window{8 * 60, 20 * 60}},
      {"US-OK", time_window{8 * 60, 20 * 60}},
  };
  no_common_window_action when_no_common_window = no_common_window_action::reject;
  // Region -> IANA zone used by defer_to_primary_zone ("US" -> "America/New_York").
  std::map<std::string, std::string, std::less<>> primary_zones;
  bool operator==(const quiet_hours_profile&) const = default;
};

enum class opt_out_scope : std::uint8_t { sender, global };

// What a longer reply that clearly asks to stop ("please stop texting me") does.
enum class revocation_action : std::uint8_t {
  opt_out,  // treat as STOP (default: FCC 2024 "any reasonable means")
  clarify,  // ask "Reply STOP to unsubscribe" (keyword_action::clarify)
  ignore,   // nothing
};

// Whole-message keywords. Entries are normalised like messages (case, accents, punctuation), so
// "OPT-OUT" and "opt out" are the same entry.
struct keyword_lists {
  std::vector<std::string> opt_out;
  std::vector<std::string> opt_out_global;  // opt-out from every sender, whatever the scope
  std::vector<std::string> opt_in;
  std::vector<std::string> help;
  bool operator==(const keyword_lists&) const = default;
};

struct sender_keywords {
  keyword_lists lists;
  bool replace_defaults = false;  // false: these lists extend the defaults
  // What a probable revocation to this sender does; unset: keyword_config::on_revocation.
  std::optional<revocation_action> on_revocation;
  bool operator==(const sender_keywords&) const = default;
};

struct keyword_config {
  keyword_lists defaults{
      {"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT", "OPT-OUT",
       "REMOVE", "ARRET", "ARRÊT", "PARAR", "ALTO", "CANCELAR", "BAJA"},
      {"STOPALL", "STOP ALL"},
      {"START", "UNSTOP", "YES", "SUBSCRIBE"},
      {"HELP", "INFO", "AIDE", "AYUDA"},
  };
  std::map<std::string, sender_keywords, std::less<>> per_sender;
  bool detect_revocation = true;
  revocation_action on_revocation = revocation_action::opt_out;
  bool operator==(const keyword_config&) const = default;
};

struct policy_config {
  std::string default_category = "transactional";
  opt_out_scope scope = opt_out_scope::sender;
  std::map<std::string, category_policy, std::less<>> categories{
      {"transactional", category_policy{}},
      {"marketing", category_policy{consent_mode::required, {cap_rule{86'400, 3, false}},
                                    "default", quiet_hours_action::defer}},
  };
  std::map<std::string, quiet_hours_profile, std::less<>> quiet_hours_profiles{
      {"default", quiet_hours_profile{}},
  };
  number_type_set sms_types = number_type_set::sms_default();
  keyword_config keywords{};
  bool operator==(const policy_config&) const = default;
};

}  // namespace policy
