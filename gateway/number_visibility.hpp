#pragma once

// What one API key may see of the per-sender data of a number and of stored messages (pure, no
// I/O). Tenants share one store: a key sees global entries (no sender) and those of the senders
// it may send from (api_key::may_send_from), never another key's senders. docs/api.md, "Who sees
// what".

#include <string_view>
#include <vector>

#include "gateway/api_keys.hpp"
#include "policy/store.hpp"

namespace gateway {

// A suppression or consent with this sender ("" = global) is visible to `key`.
bool may_see_sender(const api_key& key, std::string_view sender);

// Whether the suppressions in `stored` refuse a send to the number from `sender` (the matching
// rules of policy::suppression_record under `scope`).
bool refuses_sender(const std::vector<policy::suppression_record>& stored, std::string_view sender,
                    policy::opt_out_scope scope);

// Whether they refuse a send from at least one of the key's senders: the `suppressed` a key is
// told. Under scope global a suppression of another key's sender counts (it refuses these sends
// too, as the key would find out by sending), though the key is not shown it.
bool refuses_some_sender(const std::vector<policy::suppression_record>& stored, const api_key& key,
                         policy::opt_out_scope scope);

// The facts of a number as `key` may see them: suppressions and consents of other keys' senders
// removed (the ledger too).
policy::number_facts visible_facts(const policy::number_facts& all, const api_key& key);

// A stored message is readable by the key that sent it; a record without a key (written before
// keys were recorded) by every key that may send from its sender.
bool may_read_message(const api_key& key, const policy::message_record& m);

}  // namespace gateway
