#pragma once

// Opens the configured number secrets and store, the same way for the gateway (smsgw) and the
// operator CLI (smsgwctl): one place maps config::store_settings onto policy::store_settings.

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

#include "config/gateway_config.hpp"
#include "policy/store_factory.hpp"

namespace gateway {

policy::store_settings to_store_settings(const config::store_settings& s);

struct configured_store {
  std::shared_ptr<const policy::number_secrets> secrets;
  std::unique_ptr<policy::store> store;
  std::string warning;  // the number key file was generated (generate_number_key: true)
  // Set when store is empty: which part failed ("secrets" or "store") and why.
  std::string failed_part;
  std::string error;
};

// Reads secrets.number_key_file (generating it only when the config allows) and opens the store
// with completions on `ex`. Redis becomes ready in the background: poll health().
configured_store open_configured_store(const config::gateway_config& c, boost::asio::any_io_executor ex);

// The retention policy (config `retention:`) as cut-offs at `now_ms`: message bodies and records
// final for longer than their periods, expired idempotency keys and correlations, cap
// reservations older than the longest cap window of any category.
policy::purge_request make_purge_request(const config::gateway_config& c, std::int64_t now_ms, bool dry_run);

}  // namespace gateway
