#pragma once

#include <system_error>

namespace policy {

// Failures of a store (not policy outcomes: a refusal is a value in the result). Every one of
// them means "fail closed": the caller answers 503 / a temporary SMPP error and sends nothing.
enum class store_errc {
  unavailable = 1,   // cannot reach the backend right now (Redis down, reconnecting)
  not_ready,         // reachable but refused at start-up (e.g. Redis without appendonly)
  timeout,           // the backend did not answer in time; the connection was reset
  io_error,          // SQLite I/O or constraint failure, unexpected Redis error reply
  corrupt,           // data in the store does not parse (schema newer than this build, ...)
  shutting_down,     // the store is being destroyed; the request was not executed
  invalid_argument,  // the request itself is malformed (empty id, ...)
  lease_lost,        // ack/nack with a lease that is no longer current (entry was reclaimed)
};

const std::error_category& store_category() noexcept;

inline std::error_code make_error_code(store_errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace policy

template <>
struct std::is_error_code_enum<policy::store_errc> : std::true_type {};
