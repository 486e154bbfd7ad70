#pragma once

// The runtime settings of the service, built from the validated YAML configuration: the
// config/ structs mapped onto what the policy, smpp and gateway code consume. Immutable once
// built; a reload builds a new one and swaps it in whole.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "gateway/api_keys.hpp"
#include "gateway/router.hpp"
#include "policy/policy_config.hpp"
#include "smpp/delivery_receipt.hpp"
#include "smpp/segmentation.hpp"

namespace gateway {

// What the gateway needs to know of a carrier outside its SMPP link.
struct carrier_profile {
  std::string name;
  std::string default_region;               // for national-format numbers from this carrier
  smpp::segmentation_options segmentation;  // encoding, concatenation, max parts
  bool registered_delivery = true;
  std::int64_t validity_seconds = 0;        // 0: the SMSC's default
  smpp::message_id_format message_ids = smpp::message_id_format::as_is;
};

struct settings {
  config::gateway_config source;  // the whole validated configuration
  policy::policy_config policy;
  api_key_table api_keys{{}};
  router routes{{}};
  std::map<std::string, carrier_profile, std::less<>> carriers;
  std::string default_region = "US";

  const carrier_profile* carrier(std::string_view name) const;
};

// Maps a validated configuration. STOPALL and STOP ALL in the opt-out list become global
// opt-out keywords (design.md 5.5: STOPALL is always global).
std::shared_ptr<const settings> make_settings(config::gateway_config cfg);

// The policy part alone (used by make_settings and by tools that need no carriers).
policy::policy_config make_policy_config(const config::policy_settings& p);

}  // namespace gateway
