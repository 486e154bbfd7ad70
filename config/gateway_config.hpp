#pragma once

// The configuration of smsgw as it is written in YAML, after validation and with every default
// filled in. Plain data only: the gateway maps these structs onto the runtime settings of the
// smpp and policy modules (config/ depends on neither). docs/configuration.md describes every key.
//
// Conventions:
// - durations are std::chrono types: `milliseconds` for timers that may be sub-second ("500ms"),
//   `seconds` for windows and retention periods;
// - relative paths were already resolved against the directory of the config file;
// - secrets read from files are already loaded (API keys only as their SHA-256 digest);
// - every struct compares with ==, so a reload can tell which carriers changed.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace config {

using sha256_digest = std::array<std::uint8_t, 32>;

// "HOST:PORT" of a listener or a peer. IPv6 literals are written "[::1]:8080".
struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const endpoint&) const = default;
};

// ---------------------------------------------------------------- http, admin

struct http_settings {
  endpoint listen{"127.0.0.1", 8080};
  std::size_t max_body_bytes = 1024 * 1024;   // 413 above
  std::size_t max_header_bytes = 8 * 1024;    // 431 above
  std::chrono::milliseconds read_timeout{10'000};  // whole request (headers + body)
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connection without a request
  std::uint32_t max_connections = 10'000;
  // How far ahead a request's send_at may be (400 beyond), so that a year-9999 typo does not sit
  // in the queue forever; 0 (the default): no limit, as the API contract sets none.
  std::chrono::seconds max_send_at_ahead{0};
  bool operator==(const http_settings&) const = default;
};

struct admin_settings {
  endpoint listen{"127.0.0.1", 9090};
  bool operator==(const admin_settings&) const = default;
};

// ---------------------------------------------------------------- store, secrets

enum class store_kind { sqlite, redis };

struct store_settings {
  store_kind kind = store_kind::sqlite;
  // sqlite
  std::string path;  // absolute; default "<config dir>/var/smsgw.db"
  std::uint32_t group_commit_max = 256;              // operations per transaction at most
  std::chrono::milliseconds group_commit_delay{1};   // wait this long to gather a group
  std::chrono::milliseconds busy_timeout{5'000};
  // redis
  std::string url = "redis://127.0.0.1:6379/0";
  std::string redis_host = "127.0.0.1";  // parsed from url
  std::uint16_t redis_port = 6379;
  std::uint32_t redis_db = 0;
  std::string redis_password;            // from url ("redis://:pw@host:port/db") or password_file
  std::uint32_t connections = 4;         // pool size
  std::uint32_t pipeline_max = 256;      // commands in flight per connection
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds command_timeout{2'000};
  std::string key_prefix = "smsgw:";     // every Redis key starts with it (tests, shared servers)
  bool operator==(const store_settings&) const = default;
};

struct secrets_settings {
  std::string number_key_file;       // absolute; HMAC key for numbers at rest (not read here)
  bool generate_number_key = false;  // create it on first start when missing (development)
  bool operator==(const secrets_settings&) const = default;
};

// ---------------------------------------------------------------- api keys, webhooks

struct webhook_targets {
  std::string inbound_url;  // empty = none
  std::string status_url;   // empty = none
  std::string secret;       // HMAC-SHA256 signing secret
  bool operator==(const webhook_targets&) const = default;
};

struct rate_limit {
  double per_second = 0;   // 0 = unlimited
  std::uint32_t burst = 0;  // bucket size; defaults to ceil(per_second)
  bool operator==(const rate_limit&) const = default;
};

struct api_key {
  std::string name;
  sha256_digest key_sha256{};      // the key is never kept in clear
  std::vector<std::string> senders;
  rate_limit limit;
  std::optional<webhook_targets> webhooks;  // overrides the global webhooks for this key
  bool operator==(const api_key&) const = default;
};

struct webhook_settings {
  webhook_targets targets;  // global URLs and secret (keys may override)
  std::uint32_t max_attempts = 10;  // then the event becomes a dead letter
  std::chrono::milliseconds backoff_min{1'000};
  std::chrono::milliseconds backoff_max{600'000};
  std::chrono::milliseconds timeout{10'000};  // per delivery attempt
  std::uint32_t concurrency = 16;             // deliveries in flight at most
  std::string ca_file;  // PEM CA certificates trusted for https:// receivers besides the system's
  bool operator==(const webhook_settings&) const = default;
};

// ---------------------------------------------------------------- carriers, routes, senders

enum class bind_mode { transceiver, transmitter_receiver };
enum class data_coding_zero { gsm7, gsm7_packed, latin1, ia5 };  // what data_coding 0 means
enum class concatenation { udh8, udh16, sar, payload };
enum class message_id_format { text, hex, decimal };

struct tls_settings {
  bool enabled = false;
  std::string ca_file;    // absolute or empty (system trust store)
  std::string cert_file;  // client certificate, optional
  std::string key_file;
  bool verify = true;
  std::string server_name;  // SNI and certificate name; empty = carrier host
  bool operator==(const tls_settings&) const = default;
};

struct carrier {
  std::string name;
  std::string host;
  std::uint16_t port = 2775;
  std::string system_id;
  std::string password;
  std::string system_type;
  bind_mode bind = bind_mode::transceiver;
  std::uint32_t sessions = 1;
  std::uint32_t window = 64;
  double tps = 100;  // segments per second, all sessions together
  std::string default_region = "US";  // for national-format numbers from this carrier
  data_coding_zero data_coding_0 = data_coding_zero::gsm7;
  concatenation concat = concatenation::udh8;
  std::uint32_t max_parts = 10;
  message_id_format message_id = message_id_format::text;
  std::chrono::milliseconds enquire_link{30'000};
  std::chrono::milliseconds response_timeout{10'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds reconnect_min{1'000};
  std::chrono::milliseconds reconnect_max{60'000};
  std::chrono::milliseconds throttle_pause{0};  // extra pause when a throttle lowers the rate
  std::optional<std::chrono::seconds> validity;     // validity_period sent in submit_sm
  bool registered_delivery = true;                  // ask for delivery receipts
  tls_settings tls;
  bool operator==(const carrier&) const = default;
};

struct route {
  std::string prefix;  // "+" or "+" followed by digits; longest match wins
  std::string carrier;
  std::vector<std::string> failover;  // tried in order when `carrier` has no bound session
  bool operator==(const route&) const = default;
};

enum class sender_class { long_code, toll_free, short_code, alphanumeric };

struct sender {
  std::string id;
  sender_class cls = sender_class::long_code;
  double tps = 1;  // messages per second from this sender
  bool operator==(const sender&) const = default;
};

struct sender_class_settings {
  double long_code_tps = 1;
  double toll_free_tps = 3;
  double short_code_tps = 100;
  double alphanumeric_tps = 10;
  bool operator==(const sender_class_settings&) const = default;
};

// ---------------------------------------------------------------- policy

enum class opt_out_scope { sender, global };
enum class consent_mode { none, required };
enum class quiet_hours_action { defer, reject };
enum class no_common_window_action { reject, defer, allow };
enum class revocation_action { opt_out, clarify, ignore };
enum class incomplete_action { deliver, drop };
enum class number_type {
  mobile, fixed_line, fixed_line_or_mobile, voip, toll_free, premium_rate, shared_cost,
  personal_number, pager, uan, voicemail, unknown
};

struct cap {
  std::chrono::seconds window{86'400};
  std::uint32_t max = 1;
  bool per_campaign = false;  // counted per campaign instead of per category
  bool operator==(const cap&) const = default;
};

// Minutes after local midnight; the window in which sending is allowed is [from, to).
// from > to crosses midnight.
struct time_window {
  int from_minute = 8 * 60;
  int to_minute = 21 * 60;
  bool operator==(const time_window&) const = default;
};

struct category {
  std::string name;
  consent_mode consent = consent_mode::none;
  bool consent_per_sender = false;
  std::string quiet_hours = "none";  // "none", "default" or the name of a profile
  quiet_hours_action action = quiet_hours_action::defer;
  std::vector<cap> caps;
  bool operator==(const category&) const = default;
};

struct jurisdiction_window {
  std::string jurisdiction;  // "GB", "US-FL"
  time_window window;
  bool operator==(const jurisdiction_window&) const = default;
};

struct named_window {
  std::string name;
  time_window window;
  bool operator==(const named_window&) const = default;
};

// The zone a number of a multi-zone region is deferred to when its zones share no window
// (no_common_window: defer).
struct primary_zone {
  std::string region;  // "US"
  std::string zone;    // IANA name, "America/New_York"
  bool operator==(const primary_zone&) const = default;
};

struct quiet_hours_settings {
  time_window default_window;  // 08:00-21:00
  std::vector<jurisdiction_window> jurisdictions;  // default: US-FL and US-OK 08:00-20:00
  std::vector<named_window> profiles;              // used by categories: quiet_hours: <name>
  no_common_window_action no_common_window = no_common_window_action::reject;
  std::vector<primary_zone> primary_zones;         // default: default_primary_zones()
  bool operator==(const quiet_hours_settings&) const = default;
};

struct keyword_replies {
  std::string opt_out_confirmation;
  std::string opt_in_confirmation;
  std::string help_text;
  // Sent for a probable revocation ("please stop texting me") under `revocation: clarify`.
  std::string clarification;
  bool operator==(const keyword_replies&) const = default;
};

struct keyword_settings {
  std::vector<std::string> opt_out;
  std::vector<std::string> opt_in;
  std::vector<std::string> help;
  revocation_action revocation = revocation_action::opt_out;
  keyword_replies replies;
  bool operator==(const keyword_settings&) const = default;
};

// The complete keyword set of one sender: the defaults with the sender's overrides applied.
struct sender_keywords {
  std::string sender;
  keyword_settings keywords;
  bool operator==(const sender_keywords&) const = default;
};

struct reply_limit {
  std::uint32_t max = 5;  // automatic replies per number and sender ...
  std::chrono::seconds window{3'600};  // ... within this window
  bool operator==(const reply_limit&) const = default;
};

struct reassembly_settings {
  std::chrono::milliseconds timeout{60'000};
  incomplete_action incomplete = incomplete_action::deliver;
  std::uint32_t max_pending = 10'000;  // messages being reassembled at most
  bool operator==(const reassembly_settings&) const = default;
};

struct policy_settings {
  std::string default_region = "US";
  std::string default_category = "transactional";
  opt_out_scope scope = opt_out_scope::sender;
  std::vector<number_type> allowed_number_types;  // default: all but fixed_line, premium_rate, pager
  std::vector<category> categories;
  quiet_hours_settings quiet_hours;
  keyword_settings keywords;                // defaults for every sender
  std::vector<sender_keywords> sender_overrides;  // complete sets for senders that override
  reply_limit replies;
  reassembly_settings reassembly;

  const category* find_category(std::string_view name) const;
  const keyword_settings& keywords_for(std::string_view sender) const;
  bool operator==(const policy_settings&) const = default;
};

// ---------------------------------------------------------------- retention, logging, queue

struct retention_settings {
  std::chrono::seconds message_bodies{7 * 86'400};     // after a final status
  std::chrono::seconds message_records{90 * 86'400};   // after a final status
  std::chrono::seconds idempotency{86'400};
  std::chrono::seconds receipt_margin{86'400};  // correlation kept for validity + this
  std::chrono::seconds purge_interval{3'600};
  bool operator==(const retention_settings&) const = default;
};

enum class log_level { trace, debug, info, warn, error, critical, off };
enum class log_format { json, text };

struct logging_settings {
  log_level level = log_level::info;
  log_format format = log_format::json;
  bool log_bodies = false;
  bool operator==(const logging_settings&) const = default;
};

struct retry_settings {
  std::uint32_t max_attempts = 5;  // temporary carrier errors, then status "failed"
  std::chrono::milliseconds backoff_min{1'000};
  std::chrono::milliseconds backoff_max{300'000};
  bool operator==(const retry_settings&) const = default;
};

struct queue_settings {
  std::uint64_t max_depth = 1'000'000;  // messages waiting, all carriers; 503 above
  std::chrono::seconds validity{48 * 3'600};   // not sent by then -> "expired"
  retry_settings retry;
  bool operator==(const queue_settings&) const = default;
};

// How the process runs. Needs a restart to change (a reload with another value is refused).
struct runtime_settings {
  // Threads running the I/O (HTTP and admin listeners, carrier links, the Redis client, timers);
  // 0 = one per CPU core, at least 2. The SQLite store has its own writer threads besides.
  std::uint32_t io_threads = 0;
  bool operator==(const runtime_settings&) const = default;
};

// ---------------------------------------------------------------- the whole file

struct gateway_config {
  std::string source_file;  // the file it came from (for messages), as given
  std::string base_dir;     // absolute directory relative paths were resolved against
  http_settings http;
  admin_settings admin;
  store_settings store;
  secrets_settings secrets;
  std::vector<api_key> api_keys;
  std::vector<carrier> carriers;
  std::vector<route> routes;
  std::vector<sender> senders;
  sender_class_settings sender_classes;
  policy_settings policy;
  webhook_settings webhooks;
  retention_settings retention;
  logging_settings logging;
  queue_settings queue;
  runtime_settings runtime;

  const carrier* find_carrier(std::string_view name) const;
  // The pacing of a sender: its own entry, else the default of its class.
  double sender_tps(std::string_view sender_id) const;
  bool operator==(const gateway_config&) const = default;
};

// The class of a sender id written in the config or an API request: "12345" short code,
// "+18005550100" toll free (North American 8XX), "+14155550100" long code, "Brand" alphanumeric.
sender_class classify_sender(std::string_view id) noexcept;

// The defaults used when the config leaves them out (design.md 5.4 and 5.5).
keyword_settings default_keywords();
std::vector<number_type> default_allowed_number_types();
std::vector<jurisdiction_window> default_jurisdictions();
std::vector<primary_zone> default_primary_zones();
std::vector<category> default_categories();

// Config spellings of the enums ("transceiver", "udh16", ...), for logs and messages.
std::string_view to_string(store_kind) noexcept;
std::string_view to_string(bind_mode) noexcept;
std::string_view to_string(data_coding_zero) noexcept;
std::string_view to_string(concatenation) noexcept;
std::string_view to_string(message_id_format) noexcept;
std::string_view to_string(sender_class) noexcept;
std::string_view to_string(opt_out_scope) noexcept;
std::string_view to_string(number_type) noexcept;
std::string_view to_string(log_level) noexcept;

}  // namespace config
