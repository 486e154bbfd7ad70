#pragma once

// The SMPP session state machine (pure: no sockets, no clocks, no logging).
//
// Events go in (bytes received, timer fired with the current time, request/response/bind/unbind
// asked by the application, connection closed); actions come out (write the bytes queued in
// `output()`, deliver an inbound request to the application, complete or fail an outbound
// request, arm the single timer, close the connection). The Asio glue (smpp/net/session.*) only
// executes actions; tests script event -> action sequences without sockets.
//
// The machine frames the byte stream on the 16-byte header only: PDU bodies stay opaque bytes
// (encoded and decoded by the codec of smpp/pdu*.hpp in the layer above), so this file depends on
// nothing but the header and the command ids.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "smpp/command_id.hpp"
#include "smpp/pdu_header.hpp"

namespace smpp {

// Session-level failures, reported in `fail` and `close` actions.
enum class session_errc {
  window_full = 1,         // request refused: `window` requests are already outstanding
  not_bound,               // request not allowed in the current bind state
  response_timeout,        // no response within `response_timeout`
  connection_closed,       // the connection ended before the response arrived
  dead_peer,               // no enquire_link_resp within `enquire_link_timeout`
  bind_timeout,            // no bind response within `bind_timeout`
  bind_rejected,           // the peer answered the bind with a non-zero command_status
  unbind_timeout,          // no unbind_resp within `unbind_timeout`
  unbound_by_peer,         // the peer sent unbind
  unbound,                 // we sent unbind and the peer acknowledged it (a clean close)
  invalid_command_length,  // framing lost (command_length < 16 or > maximum): fatal
  unknown_sequence,        // respond() for a sequence number that is not awaiting a response
};

const std::error_category& session_category() noexcept;
std::error_code make_error_code(session_errc e) noexcept;

}  // namespace smpp

template <>
struct std::is_error_code_enum<smpp::session_errc> : std::true_type {};

namespace smpp {

using session_clock = std::chrono::steady_clock;

enum class session_role { esme, smsc };
enum class bind_type { transmitter, receiver, transceiver };
enum class bind_state { open, binding, bound_tx, bound_rx, bound_trx, unbinding, closed };

const char* to_string(bind_state s) noexcept;

struct session_config {
  session_role role = session_role::esme;
  // Maximum outbound requests awaiting a response (bind, unbind and enquire_link not counted).
  // A request beyond it is refused with window_full: queueing is the caller's job (the carrier
  // link keeps its own bounded, ordered queue so throttling and the token bucket apply there).
  std::uint32_t window = 64;
  // Maximum inbound requests the application has not answered yet; above it the session answers
  // ESME_RMSGQFUL itself (the peer exceeded our window).
  std::uint32_t inbound_window = 256;
  std::chrono::milliseconds response_timeout{30'000};
  // Send enquire_link after this long without receiving any PDU while bound (0 = never).
  std::chrono::milliseconds enquire_link_interval{30'000};
  // No enquire_link_resp within this: the peer is dead, close.
  std::chrono::milliseconds enquire_link_timeout{10'000};
  std::chrono::milliseconds bind_timeout{10'000};
  std::chrono::milliseconds unbind_timeout{5'000};
  // A command_length above this (or under 16) loses the framing: generic_nack + close.
  std::uint32_t max_command_length = 64 * 1024;
  // First sequence number used (1..0x7FFFFFFF); tests start near the top to check wrap-around.
  std::uint32_t initial_sequence = 1;
};

struct session_action {
  enum class kind {
    write,      // bytes are waiting in output(): write them (take_output()), keep order
    deliver,    // inbound request `header`/`body` for the application; answer it with respond()
                // (bind requests too, in the smsc role; outbind and alert_notification need none)
    complete,   // outbound request `cookie` got its response `header`/`body` (any status)
    fail,       // outbound request `cookie` ended without a response: `error`
    bound,      // the bind succeeded; state() tells which
    arm_timer,  // call on_timer() at `deadline` (replaces any earlier arming)
    close,      // close the connection with `error` (none: clean); write output() first if `flush`
  };
  kind what = kind::write;
  pdu_header header{};
  std::span<const std::uint8_t> body{};  // valid until the next event call
  std::uint64_t cookie = 0;
  std::error_code error{};
  session_clock::time_point deadline{};
  bool flush = false;

  // deliver/complete actions from on_bytes(): the body is preceded in memory by its 16 header
  // bytes, so the whole PDU can go to smpp::decode() without a copy.
  std::span<const std::uint8_t> whole_pdu() const noexcept {
    return {body.data() - header_size, body.size() + header_size};
  }
};

struct request_result {
  std::error_code error;              // window_full, not_bound; empty when sent
  std::uint32_t sequence_number = 0;  // the sequence number given to the request
};

class session_fsm {
 public:
  session_fsm(session_config config, session_clock::time_point now);

  // Each event clears the previous actions; read them with actions() right after the call.
  std::span<const session_action> actions() const noexcept { return actions_; }

  // ESME: sends bind_transmitter/receiver/transceiver with the encoded `body`; the response comes
  // as a `complete` action with `cookie` (plus `bound` when accepted, or `close` when refused).
  request_result bind(session_clock::time_point now, bind_type type,
                      std::span<const std::uint8_t> body, std::uint64_t cookie);

  // Sends a request (submit_sm, data_sm, deliver_sm, query_sm, ...) with its encoded body.
  // Refused (nothing written) with not_bound outside a bind state that allows it, and with
  // window_full when `window` requests are outstanding.
  request_result request(session_clock::time_point now, command_id id,
                         std::span<const std::uint8_t> body, std::uint64_t cookie);

  // Answers an inbound request delivered earlier (the response id is derived from the request).
  // In the smsc role, answering a bind with status 0 binds the session.
  std::error_code respond(session_clock::time_point now, std::uint32_t sequence_number,
                          std::uint32_t command_status, std::span<const std::uint8_t> body = {});

  // Answers an inbound request with generic_nack (e.g. its body failed to decode).
  std::error_code reject(session_clock::time_point now, std::uint32_t sequence_number,
                         std::uint32_t command_status);

  // Starts the unbind handshake (or closes at once when not bound). Outstanding requests may
  // still complete until unbind_resp arrives; then `close` with session_errc::unbound.
  void unbind(session_clock::time_point now);

  // Feeds received bytes; returns how many were consumed (whole PDUs). Keep the rest and feed it
  // again with more bytes appended.
  std::size_t on_bytes(session_clock::time_point now, std::span<const std::uint8_t> bytes);

  void on_timer(session_clock::time_point now);

  // The transport ended (EOF, error, or after a `close` action): every outstanding request fails.
  void on_closed(std::error_code reason);

  bind_state state() const noexcept { return state_; }
  bool is_bound() const noexcept;
  // True when a request of `id` would be accepted now (bound suitably and window not full).
  bool can_request(command_id id) const noexcept;
  std::size_t outstanding() const noexcept { return outstanding_.size(); }
  std::size_t inbound_pending() const noexcept { return inbound_.size(); }
  std::uint32_t window() const noexcept { return config_.window; }

  // Bytes waiting to be written; take_output() swaps them out (reusing `into`'s capacity).
  const std::vector<std::uint8_t>& output() const noexcept { return output_; }
  void take_output(std::vector<std::uint8_t>& into) noexcept;

  // Responses whose sequence number matched nothing (late after a timeout, or bogus).
  std::uint64_t unmatched_responses() const noexcept { return unmatched_responses_; }

 private:
  struct outstanding_request {
    command_id id;
    std::uint64_t cookie;
    session_clock::time_point deadline;
  };
  struct pending_control {  // bind, unbind, enquire_link: outside the window
    std::uint32_t sequence = 0;
    std::uint64_t cookie = 0;
    session_clock::time_point deadline{};
    bind_type type = bind_type::transceiver;
  };

  void begin(session_clock::time_point now);
  void finish(session_clock::time_point now);
  std::uint32_t next_sequence() noexcept;
  void write_pdu(std::uint32_t id, std::uint32_t status, std::uint32_t sequence,
                 std::span<const std::uint8_t> body);
  void handle_frame(session_clock::time_point now, const pdu_header& header,
                    std::span<const std::uint8_t> body);
  void handle_response(const pdu_header& header, std::span<const std::uint8_t> body);
  void handle_request(const pdu_header& header, std::span<const std::uint8_t> body);
  bool inbound_allowed(command_id id) const noexcept;
  bool outbound_allowed(command_id id) const noexcept;
  void fail_all(std::error_code reason);
  void close(std::error_code reason, bool flush);
  std::optional<session_clock::time_point> next_deadline() const;

  session_config config_;
  session_role role_;
  bind_state state_ = bind_state::open;
  std::uint32_t sequence_;
  std::vector<session_action> actions_;
  std::vector<std::uint8_t> output_;
  std::size_t output_at_begin_ = 0;

  std::unordered_map<std::uint32_t, outstanding_request> outstanding_;
  // (deadline, sequence) in sending order; deadlines never decrease because the timeout is
  // fixed, so the front is the earliest. Entries of answered requests are dropped lazily.
  std::deque<std::pair<session_clock::time_point, std::uint32_t>> deadlines_;
  std::unordered_map<std::uint32_t, command_id> inbound_;

  std::optional<pending_control> bind_;
  std::optional<pending_control> unbind_;
  std::optional<pending_control> enquire_;
  std::optional<bind_type> inbound_bind_;  // smsc role: bind delivered, not answered yet
  std::optional<bind_type> bound_type_;    // the last successful bind
  session_clock::time_point last_received_;
  std::optional<session_clock::time_point> armed_;
  std::uint64_t unmatched_responses_ = 0;
};

}  // namespace smpp
