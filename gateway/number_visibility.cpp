#include "gateway/number_visibility.hpp"

#include <algorithm>

#include "policy/decision.hpp"

namespace gateway {

bool may_see_sender(const api_key& key, std::string_view sender) {
  return sender.empty() || key.may_send_from(sender);
}

bool refuses_sender(const std::vector<policy::suppression_record>& stored, std::string_view sender,
                    policy::opt_out_scope scope) {
  return std::any_of(stored.begin(), stored.end(), [&](const policy::suppression_record& s) {
    return policy::suppression_refuses(s.sender, sender, scope);
  });
}

bool refuses_some_sender(const std::vector<policy::suppression_record>& stored, const api_key& key,
                         policy::opt_out_scope scope) {
  return std::any_of(key.senders.begin(), key.senders.end(),
                     [&](const std::string& sender) { return refuses_sender(stored, sender, scope); });
}

policy::number_facts visible_facts(const policy::number_facts& all, const api_key& key) {
  policy::number_facts out;
  for (const auto& s : all.suppressions) {
    if (may_see_sender(key, s.sender)) out.suppressions.push_back(s);
  }
  for (const auto& c : all.consents) {
    if (may_see_sender(key, c.sender)) out.consents.push_back(c);
  }
  for (const auto& e : all.ledger) {
    if (may_see_sender(key, e.record.sender)) out.ledger.push_back(e);
  }
  return out;
}

bool may_read_message(const api_key& key, const policy::message_record& m) {
  if (!m.api_key.empty()) return m.api_key == key.name;
  return key.may_send_from(m.sender);
}

}  // namespace gateway
