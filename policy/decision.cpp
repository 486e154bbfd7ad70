#include "policy/decision.hpp"

namespace policy {
namespace {

const category_policy* find_category(std::string_view name, const policy_config& config) {
  if (name.empty()) name = config.default_category;
  const auto it = config.categories.find(name);
  return it == config.categories.end() ? nullptr : &it->second;
}

// Checks that need no stored state: category, number validity, number type.
reason precheck(const message_request& request, const policy_config& config,
                const category_policy*& category) {
  category = find_category(request.category, config);
  if (category == nullptr) return reason::unknown_category;
  if (request.recipient == nullptr) return reason::invalid_number;
  return check_number(*request.recipient, config.sms_types);
}

sys_seconds start_time(const message_request& request, sys_seconds now) {
  return request.send_at && *request.send_at > now ? *request.send_at : now;
}

decision reject(reason why, sys_seconds at) {
  decision d;
  d.outcome = verdict::rejected;
  d.why = why;
  d.send_at = at;
  return d;
}

}  // namespace

std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::send: return "send";
    case verdict::deferred: return "deferred";
    case verdict::rejected: return "rejected";
  }
  return "rejected";
}

quiet_hours_outcome evaluate_quiet_hours(const phone_number_info& recipient,
                                         const category_policy& category, sys_seconds at,
                                         const policy_config& config) {
  quiet_hours_outcome out;
  if (category.quiet_hours_profile.empty()) return out;
  // A category naming a missing profile is a configuration error that the loader reports; the
  // safe reading here is the built-in default profile, never "no quiet hours".
  static const quiet_hours_profile builtin{};
  const auto it = config.quiet_hours_profiles.find(category.quiet_hours_profile);
  const quiet_hours_profile& profile = it == config.quiet_hours_profiles.end() ? builtin : it->second;
  const quiet_hours_result r = evaluate_quiet_hours(profile, recipient, at);
  switch (r.outcome) {
    case quiet_hours_result::state::allowed:
      return out;
    case quiet_hours_result::state::deferred:
      if (category.action == quiet_hours_action::reject) {
        out.outcome = quiet_hours_outcome::kind::reject;
      } else {
        out.outcome = quiet_hours_outcome::kind::defer_until;
        out.defer_until_unix = r.first_allowed.time_since_epoch().count();
      }
      return out;
    case quiet_hours_result::state::never:
      out.outcome = quiet_hours_outcome::kind::reject;
      out.no_common_window = true;
      return out;
  }
  return out;
}

bool suppression_refuses(std::string_view entry_sender, std::string_view sender, opt_out_scope scope) {
  return entry_sender.empty() || entry_sender == sender || scope == opt_out_scope::global;
}

decision evaluate(const message_request& request, const facts& known, sys_seconds now,
                  const policy_config& config) {
  const sys_seconds at = start_time(request, now);
  const category_policy* category = nullptr;
  if (const reason r = precheck(request, config, category); r != reason::none) return reject(r, at);

  // Suppression (suppression_refuses, over the facts): global entries always; sender entries
  // for this sender, or for any sender when the scope is global.
  if (known.suppressed_global || known.suppressed_for_sender ||
      (config.scope == opt_out_scope::global && known.suppressed_other_sender)) {
    return reject(reason::recipient_opted_out, at);
  }

  switch (category->consent) {
    case consent_mode::none: break;
    case consent_mode::required:
      if (!known.consent_any_sender && !known.consent_for_sender) return reject(reason::no_consent, at);
      break;
    case consent_mode::required_per_sender:
      if (!known.consent_for_sender) return reject(reason::no_consent, at);
      break;
  }

  for (std::size_t i = 0; i < category->caps.size(); ++i) {
    const std::uint32_t count = i < known.cap_counts.size() ? known.cap_counts[i] : 0;
    if (count >= category->caps[i].max) {
      decision d = reject(reason::frequency_capped, at);
      d.cap_index = static_cast<int>(i);
      d.cap = category->caps[i];
      return d;
    }
  }

  const quiet_hours_outcome q = evaluate_quiet_hours(*request.recipient, *category, at, config);
  decision d;
  d.send_at = at;
  d.no_common_window = q.no_common_window;
  switch (q.outcome) {
    case quiet_hours_outcome::kind::allowed:
      break;
    case quiet_hours_outcome::kind::defer_until:
      d.outcome = verdict::deferred;
      d.why = reason::quiet_hours;
      d.send_at = sys_seconds{std::chrono::seconds{q.defer_until_unix}};
      break;
    case quiet_hours_outcome::kind::reject:
      d.outcome = verdict::rejected;
      d.why = reason::quiet_hours;
      break;
  }
  return d;
}

store_plan plan(const message_request& request, sys_seconds now, const policy_config& config) {
  store_plan p;
  p.send_at = start_time(request, now);
  p.scope = config.scope;
  const category_policy* category = nullptr;
  p.precheck = precheck(request, config, category);
  p.category = std::string(request.category.empty() ? std::string_view(config.default_category)
                                                    : request.category);
  if (p.precheck != reason::none) return p;
  p.consent_required = category->consent != consent_mode::none;
  p.consent_per_sender = category->consent == consent_mode::required_per_sender;
  for (const cap_rule& c : category->caps) {
    p.caps.push_back(store_cap{c.window_seconds, c.max,
                               c.per_campaign ? std::string(request.campaign) : std::string()});
  }
  p.quiet = evaluate_quiet_hours(*request.recipient, *category, p.send_at, config);
  return p;
}

}  // namespace policy
