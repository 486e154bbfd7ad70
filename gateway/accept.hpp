#pragma once

// Turning a validated POST /v1/messages body into the atomic store admission, and the store's
// answer into the HTTP answer. Pure: no I/O; time, ids and the number cache are passed in.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gateway/api_error.hpp"
#include "gateway/api_keys.hpp"
#include "gateway/message_request.hpp"
#include "gateway/settings.hpp"
#include "policy/number_key.hpp"
#include "policy/phone_number.hpp"
#include "policy/store.hpp"

namespace gateway {

struct accept_input {
  const message_request* request = nullptr;
  const api_key* key = nullptr;
  std::int64_t now_ms = 0;
  std::string message_id;
  std::string idempotency_key;  // already scoped by key name; empty: none
  std::string request_hash;
};

struct prepared_message {
  policy::admit_request admit;
  std::size_t segments = 1;
  std::string encoding;  // "gsm7", "ucs2"
  bool no_common_window = false;  // quiet hours refuse because the number's zones share no window
};

using prepare_result = std::variant<prepared_message, api_error>;

// Checks, in order: sender allowed for the key (403) -> category known -> number valid and able
// to receive SMS -> a route exists -> the text fits the carrier's maximum parts -> the policy
// plan (consent/caps/quiet-hours inputs). `is_bound` tells the router which carriers have a
// bound session (failover).
prepare_result prepare_message(const accept_input& in, const settings& s, policy::number_cache& numbers,
                               const policy::number_secrets& secrets,
                               const std::function<bool(std::string_view)>& is_bound);

// The same, filling `out` (a default-constructed prepared_message) in place: the error, or
// nullopt when `out` holds the prepared message. (The admission request has about 25 strings:
// building it where it is used saves moving it into and out of the variant.)
std::optional<api_error> prepare_message_into(const accept_input& in, const settings& s,
                                              policy::number_cache& numbers, const policy::number_secrets& secrets,
                                              const std::function<bool(std::string_view)>& is_bound,
                                              prepared_message& out);

// A `send_at` (unix seconds) further ahead of `now_s` than `horizon` (http.max_send_at_ahead):
// the 400 naming send_at, the limit and the latest time allowed now; nullopt otherwise (also
// without a send_at).
std::optional<api_error> check_send_at_horizon(std::optional<std::int64_t> send_at, std::int64_t now_s,
                                               std::chrono::seconds horizon);

// The 422 answer for a policy refusal.
api_error refusal_error(policy::reason r);
// The same for a refusal of the store, which may say more about the prepared message (quiet
// hours that can never be met).
api_error refusal_error(policy::reason r, const prepared_message& m);
// The same from the store's answer: a frequency cap names its rule and when it allows the next
// message.
api_error refusal_error(const policy::admit_result& res, const prepared_message& m);

// A `region` given by a client (two upper-case letters): nullopt when the number library knows the
// country, else 400 naming `field` ("ZZ" would otherwise read a national number as having no
// country code at all, a misleading invalid_number).
std::optional<api_error> check_region(std::string_view region, const char* field = "region");

// The 202 body for an accepted admission:
// {"id","status":"queued"|"scheduled","to","segments","encoding"[,"send_at","reason"]}.
std::string accepted_body(const prepared_message& m, const policy::admit_result& r);

// Hex SHA-256 of a request body (idempotency comparisons).
std::string body_hash(std::string_view body);

}  // namespace gateway
