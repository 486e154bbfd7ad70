#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/phone_number.hpp"
#include "policy/policy_config.hpp"
#include "policy/quiet_hours.hpp"
#include "policy/reason.hpp"

namespace policy {

// One outbound message as the policy sees it. Views and the pointer must outlive evaluate().
struct message_request {
  const phone_number_info* recipient = nullptr;  // normalised `to`
  std::string_view sender;                        // `from`
  std::string_view category;                      // empty = policy_config::default_category
  std::string_view campaign;                      // may be empty
  std::optional<sys_seconds> send_at;             // the client's own schedule, if any
};

// What the store knows about the recipient, looked up for this request.
struct facts {
  bool suppressed_global = false;        // STOPALL, DNC entry, or any STOP under global scope
  bool suppressed_for_sender = false;    // a STOP sent to this sender
  bool suppressed_other_sender = false;  // a STOP sent to another sender (matters for scope global)
  bool consent_any_sender = false;       // consent for this category from any sender
  bool consent_for_sender = false;       // consent for this category and this sender
  // Messages already counted in each cap window, in the order of the category's caps
  // (missing entries count as 0).
  std::vector<std::uint32_t> cap_counts;
};

enum class verdict : std::uint8_t {
  send,      // send now (or at the client's send_at)
  deferred,  // quiet hours: schedule for `send_at`
  rejected,  // refuse with `why`
};
std::string_view to_string(verdict v) noexcept;

struct decision {
  verdict outcome = verdict::send;
  reason why = reason::none;       // reason::quiet_hours also when deferred
  sys_seconds send_at{};           // when to send: now, the client's send_at, or the deferral
  int cap_index = -1;              // which cap refused (frequency_capped)
  cap_rule cap{};                  // that cap
  bool no_common_window = false;   // quiet hours: the candidate zones never share a window
  bool operator==(const decision&) const = default;
};

// Decides one message. Order: category known -> number valid -> type may receive SMS ->
// suppression -> consent -> caps -> quiet hours (design.md 5.5). Pure: no I/O, `now` is given.
decision evaluate(const message_request& request, const facts& known, sys_seconds now,
                  const policy_config& config);

// Whether one stored suppression (`entry_sender` empty: a global one) refuses sends from
// `sender` (design.md 5.5): a global entry always, a STOP to that sender, and under global scope
// a STOP to any sender. evaluate() applies the same rule to the facts the store gathered.
bool suppression_refuses(std::string_view entry_sender, std::string_view sender, opt_out_scope scope);

// The quiet-hours step alone, as the atomic store operation receives it pre-computed.
struct quiet_hours_outcome {
  enum class kind : std::uint8_t { allowed, defer_until, reject };
  kind outcome = kind::allowed;
  std::int64_t defer_until_unix = 0;  // for defer_until: the first allowed instant, unix seconds
  bool no_common_window = false;
  bool operator==(const quiet_hours_outcome&) const = default;
};
quiet_hours_outcome evaluate_quiet_hours(const phone_number_info& recipient,
                                         const category_policy& category, sys_seconds at,
                                         const policy_config& config);

// Everything the atomic decide-reserve-enqueue operation of the store needs, computed before it:
// the checks that need no stored state (category, number) and the inputs of those that do, so
// the store applies suppression -> consent -> caps -> quiet hours in the same order as evaluate().
struct store_cap {
  std::int64_t window_seconds = 0;
  std::uint32_t max = 0;
  std::string campaign;  // empty when the cap is not per campaign
  bool operator==(const store_cap&) const = default;
};
struct store_plan {
  reason precheck = reason::none;  // unknown_category / invalid_number / not_mobile: stop here
  std::string category;            // resolved (default applied)
  opt_out_scope scope = opt_out_scope::sender;
  bool consent_required = false;
  bool consent_per_sender = false;
  std::vector<store_cap> caps;
  quiet_hours_outcome quiet{};
  sys_seconds send_at{};           // now or the client's send_at (before quiet hours)
  bool operator==(const store_plan&) const = default;
};
store_plan plan(const message_request& request, sys_seconds now, const policy_config& config);

}  // namespace policy
