#pragma once

// What every smsgwctl command works with: the validated configuration, the number secrets and
// the configured store (opened exactly as the gateway opens them, gateway/store_setup.hpp), a
// thread running the store's completions, the clock (overridable with --now) and the actor.

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "config/gateway_config.hpp"
#include "policy/number_key.hpp"
#include "policy/phone_number.hpp"
#include "policy/policy_config.hpp"
#include "policy/store.hpp"

namespace smsgwctl {

// Process exit codes (docs/operations.md).
enum exit_code : int { exit_ok = 0, exit_partial = 1, exit_usage = 2 };

// Options shared by every command.
struct global_options {
  std::string config_file;
  std::string now;    // RFC 3339; empty = the system clock
  std::string actor;  // empty = $USER
};

class context {
 public:
  // Loads the configuration (FILE:LINE:COL errors), the secrets and the store, and waits until
  // the store is ready (at most 10 s). nullptr with `error` (one or more lines) on failure.
  // Without `with_store` only the configuration is loaded (store() must not be used).
  static std::unique_ptr<context> open(const global_options& g, std::string& error, bool with_store = true);
  bool has_store() const { return store_ != nullptr; }
  ~context();

  const config::gateway_config& config() const { return config_; }
  const policy::policy_config& policy() const { return policy_; }
  policy::store& store() { return *store_; }
  const policy::number_secrets& secrets() const { return *secrets_; }
  std::int64_t now_ms() const { return now_ms_; }
  const std::string& actor() const { return actor_; }
  const std::string& default_region() const { return config_.policy.default_region; }
  bool redis() const { return config_.store.kind == config::store_kind::redis; }

  // Runs one store operation and waits for its completion (at most 5 minutes).
  template <class R, class F>
  std::pair<std::error_code, R> call(F&& start) {
    auto p = std::make_shared<std::promise<std::pair<std::error_code, R>>>();
    auto fut = p->get_future();
    start([p](std::error_code ec, R r) { p->set_value({ec, std::move(r)}); });
    if (fut.wait_for(std::chrono::minutes(5)) != std::future_status::ready) {
      return {make_error_code(policy::store_errc::timeout), R{}};
    }
    return fut.get();
  }

  class runner;  // the io_context and its thread (context.cpp)

 private:
  context() = default;
  config::gateway_config config_;
  policy::policy_config policy_;
  std::shared_ptr<const policy::number_secrets> secrets_;
  std::unique_ptr<runner> runner_;
  std::unique_ptr<policy::store> store_;
  std::int64_t now_ms_ = 0;
  std::string actor_;
};

// "2026-11-29T19:20:00Z" (UTC, seconds) for Unix milliseconds.
std::string format_time(std::int64_t ms);
// RFC 3339 to Unix milliseconds; nullopt when malformed.
std::optional<std::int64_t> parse_time(const std::string& text);

// Normalises a number given on the command line: nullopt with `error` naming the argument.
std::optional<policy::phone_number_info> number_argument(const std::string& input, const std::string& region,
                                                          std::string& error);

}  // namespace smsgwctl
