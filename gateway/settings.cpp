#include "gateway/settings.hpp"

#include <algorithm>
#include <cctype>

namespace gateway {
namespace {

policy::time_window to_window(const config::time_window& w) {
  return {static_cast<std::uint16_t>(w.from_minute), static_cast<std::uint16_t>(w.to_minute)};
}

policy::number_type to_number_type(config::number_type t) {
  // Both enums list libphonenumber's types in the same order.
  return static_cast<policy::number_type>(static_cast<int>(t));
}

bool is_global_stop_word(std::string word) {
  std::string folded;
  for (char c : word) {
    if (c == ' ' || c == '-') continue;
    folded += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return folded == "STOPALL";
}

policy::keyword_lists to_lists(const config::keyword_settings& k) {
  policy::keyword_lists lists;
  for (const auto& word : k.opt_out) {
    (is_global_stop_word(word) ? lists.opt_out_global : lists.opt_out).push_back(word);
  }
  lists.opt_in = k.opt_in;
  lists.help = k.help;
  return lists;
}

policy::revocation_action to_revocation(config::revocation_action a) {
  switch (a) {
    case config::revocation_action::opt_out: return policy::revocation_action::opt_out;
    case config::revocation_action::clarify: return policy::revocation_action::clarify;
    case config::revocation_action::ignore: return policy::revocation_action::ignore;
  }
  return policy::revocation_action::opt_out;
}

smpp::default_alphabet to_alphabet(config::data_coding_zero d) {
  switch (d) {
    case config::data_coding_zero::gsm7: return smpp::default_alphabet::gsm7_unpacked;
    case config::data_coding_zero::gsm7_packed: return smpp::default_alphabet::gsm7_packed;
    case config::data_coding_zero::latin1: return smpp::default_alphabet::latin1;
    case config::data_coding_zero::ia5: return smpp::default_alphabet::ia5;
  }
  return smpp::default_alphabet::gsm7_unpacked;
}

smpp::concatenation to_concatenation(config::concatenation c) {
  switch (c) {
    case config::concatenation::udh8: return smpp::concatenation::udh8;
    case config::concatenation::udh16: return smpp::concatenation::udh16;
    case config::concatenation::sar: return smpp::concatenation::sar;
    case config::concatenation::payload: return smpp::concatenation::message_payload;
  }
  return smpp::concatenation::udh8;
}

}  // namespace

policy::policy_config make_policy_config(const config::policy_settings& p) {
  policy::policy_config out;
  out.default_category = p.default_category;
  out.scope = p.scope == config::opt_out_scope::global ? policy::opt_out_scope::global
                                                        : policy::opt_out_scope::sender;

  // Quiet-hours profiles: "default" from the default window; each named profile replaces the
  // default window. Jurisdiction windows apply in every profile (the strictest wins).
  policy::quiet_hours_profile base;
  base.default_window = to_window(p.quiet_hours.default_window);
  base.jurisdictions.clear();
  for (const auto& j : p.quiet_hours.jurisdictions) base.jurisdictions[j.jurisdiction] = to_window(j.window);
  switch (p.quiet_hours.no_common_window) {
    case config::no_common_window_action::reject:
      base.when_no_common_window = policy::no_common_window_action::reject;
      break;
    case config::no_common_window_action::defer:
      base.when_no_common_window = policy::no_common_window_action::defer_to_primary_zone;
      break;
    case config::no_common_window_action::allow:
      base.when_no_common_window = policy::no_common_window_action::allow;
      break;
  }
  for (const auto& z : p.quiet_hours.primary_zones) base.primary_zones[z.region] = z.zone;
  out.quiet_hours_profiles.clear();
  out.quiet_hours_profiles["default"] = base;
  for (const auto& named : p.quiet_hours.profiles) {
    auto profile = base;
    profile.default_window = to_window(named.window);
    out.quiet_hours_profiles[named.name] = profile;
  }

  out.categories.clear();
  for (const auto& c : p.categories) {
    policy::category_policy cp;
    cp.consent = c.consent == config::consent_mode::none ? policy::consent_mode::none
                 : c.consent_per_sender                  ? policy::consent_mode::required_per_sender
                                                         : policy::consent_mode::required;
    for (const auto& cap : c.caps) cp.caps.push_back({cap.window.count(), cap.max, cap.per_campaign});
    cp.quiet_hours_profile = c.quiet_hours == "none" ? std::string() : c.quiet_hours;
    cp.action = c.action == config::quiet_hours_action::reject ? policy::quiet_hours_action::reject
                                                               : policy::quiet_hours_action::defer;
    out.categories[c.name] = cp;
  }

  if (!p.allowed_number_types.empty()) {
    out.sms_types = {};
    for (auto t : p.allowed_number_types) out.sms_types.insert(to_number_type(t));
  }

  out.keywords.defaults = to_lists(p.keywords);
  out.keywords.on_revocation = to_revocation(p.keywords.revocation);
  out.keywords.detect_revocation = true;
  for (const auto& s : p.sender_overrides) {
    // s.keywords starts as a copy of the global block: its revocation is the global one unless
    // the sender's block sets its own.
    out.keywords.per_sender[s.sender] =
        policy::sender_keywords{to_lists(s.keywords), true, to_revocation(s.keywords.revocation)};
  }
  return out;
}

std::shared_ptr<const settings> make_settings(config::gateway_config cfg) {
  auto out = std::make_shared<settings>();
  out->policy = make_policy_config(cfg.policy);
  out->default_region = cfg.policy.default_region;

  std::vector<api_key> keys;
  for (const auto& k : cfg.api_keys) keys.push_back({k.name, k.key_sha256, k.senders});
  out->api_keys = api_key_table(std::move(keys));

  std::vector<route> routes;
  for (const auto& r : cfg.routes) {
    routes.push_back({r.prefix, r.carrier});
    for (const auto& f : r.failover) routes.push_back({r.prefix, f});
  }
  out->routes = router(std::move(routes));

  for (const auto& c : cfg.carriers) {
    carrier_profile profile;
    profile.name = c.name;
    profile.default_region = c.default_region;
    profile.segmentation.text.data_coding_0 = to_alphabet(c.data_coding_0);
    profile.segmentation.mode = to_concatenation(c.concat);
    profile.segmentation.max_parts = c.max_parts;
    profile.registered_delivery = c.registered_delivery;
    profile.validity_seconds = c.validity ? c.validity->count() : 0;
    profile.message_ids = c.message_id == config::message_id_format::hex       ? smpp::message_id_format::hex
                          : c.message_id == config::message_id_format::decimal ? smpp::message_id_format::decimal
                                                                               : smpp::message_id_format::as_is;
    out->carriers[c.name] = std::move(profile);
  }
  out->source = std::move(cfg);
  return out;
}

const carrier_profile* settings::carrier(std::string_view name) const {
  auto it = carriers.find(name);
  return it == carriers.end() ? nullptr : &it->second;
}

}  // namespace gateway
