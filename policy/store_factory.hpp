#pragma once

// Opens the configured store (docs/stores.md): `store: {kind: sqlite, path}` or
// `store: {kind: redis, url}`. Part of the policy_redis library (it needs an Asio executor).

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>
#include <system_error>

#include "policy/number_key.hpp"
#include "policy/store.hpp"

namespace policy {

struct store_settings {
  std::string kind = "sqlite";  // "sqlite" | "redis"
  std::string path;             // sqlite: database file (already resolved against the config dir)
  std::string url;              // redis: redis://[[user]:password@]host[:port][/db]
  std::string password;         // redis: AUTH password; when set it wins over the URL's
  std::string key_prefix = "smsgw:";  // redis
};

struct open_store_result {
  std::unique_ptr<policy::store> store;
  std::error_code ec;
  std::string error;  // one line for the operator when store is empty
};

// Completions run on `ex` for both kinds (SQLite hands them over with asio::post). For Redis the
// store is returned at once and becomes ready in the background: poll health().
open_store_result open_store(const store_settings& settings, boost::asio::any_io_executor ex,
                             std::shared_ptr<const number_secrets> secrets);

}  // namespace policy
