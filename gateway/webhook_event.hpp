#pragma once

// Webhook events (docs/webhooks.md), the pure part: stable event ids, the JSON bodies, the
// `Smsgw-Signature` header, URL parsing, the receiver a key's events go to and the retry delay.
// No I/O, no clock (times are passed in), no Asio.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/gateway_config.hpp"
#include "policy/store.hpp"

namespace gateway {

// What an `inbound` event tells the application: a reply (MO) from a phone.
struct inbound_event_fields {
  std::string from;     // the phone, E.164
  std::string to;       // our sender id that received it ("12345", "+14155550100")
  std::string text;     // decoded (and reassembled) text
  std::string carrier;  // carrier name in the configuration
  std::string keyword;  // "opt_out", "opt_in", "help" or empty (no keyword)
  std::int64_t received_at_ms = 0;
  // A concatenated reply whose other parts never arrived within policy.reassembly.timeout (or
  // that made room under its memory bound): `text` is what arrived, in order. The body then
  // carries "incomplete": true (absent otherwise).
  bool incomplete = false;
};

// Stable ids: the same input gives the same id, so that a receipt or a reply the carrier
// delivers again (after a temporary error) is de-duplicated by outbox_put.
// status: one event per message and status (statuses only move forward).
std::string status_event_id(std::string_view message_id, policy::message_status status);
// inbound: the carrier, numbers, text, the minute of reception and the occurrence of this same
// reply within that minute (0 for the first one acknowledged), and the receiver (target).
std::string inbound_event_id(const inbound_event_fields& f, unsigned occurrence, std::string_view target);

// The JSON bodies, exactly as they are signed and sent (compact, keys in a fixed order).
std::string status_event_body(std::string_view event_id, const policy::message_record& m,
                              policy::message_status status, std::string_view error, std::int64_t at_ms);
std::string inbound_event_body(std::string_view event_id, const inbound_event_fields& f);

// ISO 8601 UTC with milliseconds: "2026-11-29T19:30:00.123Z".
std::string format_utc_ms(std::int64_t unix_ms);

// Lower-case hex HMAC-SHA256(secret, data).
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);
// "t=<unix_seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>"
std::string signature_header(std::string_view secret, std::string_view body, std::int64_t unix_seconds);

// http:// and https:// URLs: host, port (default 80 / 443) and the request target ("/" at least).
struct webhook_url {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target;
};
std::optional<webhook_url> parse_webhook_url(std::string_view url);

// Who receives an event: "global" or "key:<name>" is stored with the event (webhook_event.target)
// and resolved when it is delivered, so that a reload of URLs or secrets applies to events still
// in the outbox. A key's own URL (per kind) wins over the global one; its secret too.
struct resolved_receiver {
  std::string url;  // empty: nobody is configured for this kind
  std::string secret;
};
resolved_receiver resolve_receiver(const config::gateway_config& cfg, std::string_view target, std::string_view kind);

// The target of status events for a message sent with `api_key_name` ("global" when empty).
std::string status_target(std::string_view api_key_name);
// The targets of an inbound event to `sender`: one per distinct URL among the keys allowed to
// send from that sender ("key:<name>"; a key without its own inbound URL counts as "global");
// "global" when no key may send from it. Empty when no URL is configured for any of them.
std::vector<std::string> inbound_targets(const config::gateway_config& cfg, std::string_view sender);

// Ready-to-store outbox entries (kind, target, body, event_id, created_at; due at once).
// nullopt / empty when nobody is configured to receive them.
std::optional<policy::webhook_event> make_status_event(const config::gateway_config& cfg, const policy::message_record& m,
                                                       policy::message_status status, std::string_view error,
                                                       std::int64_t at_ms);
std::vector<policy::webhook_event> make_inbound_events(const config::gateway_config& cfg, const inbound_event_fields& f,
                                                       unsigned occurrence);
// Whether any status URL is configured (global or per key): receipts skip the extra store
// round trips otherwise.
bool status_webhooks_configured(const config::gateway_config& cfg);

// Delay before retry number `attempts` (1 = after the first failure): backoff_min * 2^(attempts-1)
// capped at backoff_max, then "equal jitter": a value in [delay/2, delay] picked by `unit`
// (0 <= unit < 1, from the caller's random generator), never below backoff_min.
std::int64_t webhook_backoff_ms(const config::webhook_settings& s, int attempts, double unit);

}  // namespace gateway
