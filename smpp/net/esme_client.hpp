#pragma once

// The carrier link: smsgw's ESME client towards one carrier (SMSC).
//
// N sessions (each one transceiver, or a transmitter + receiver pair), reconnect with exponential
// back-off and jitter, a link-wide token bucket in segments per second, the per-session window,
// link-wide handling of ESME_RTHROTTLED / ESME_RMSGQFUL (the rate adapts to what the carrier
// accepts, order kept, the message is retried and not failed), carrier statuses classified temporary/permanent, graceful
// unbind on shutdown, optional TLS.
//
// Executor: the link makes a strand from the executor it is given; its sessions and timers run
// on it and every handler is called on it. submit(), start() and async_stop() may be called from
// any thread: they post to the strand and return at once (results come through the handler);
// submit() called on the strand itself (from a handler) runs at once, without a post.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "smpp/command_id.hpp"
#include "smpp/command_status.hpp"
#include "smpp/net/transport.hpp"
#include "smpp/pdu_header.hpp"
#include "smpp/throttle_governor.hpp"
#include "smpp/token_bucket.hpp"

namespace smpp::net {

enum class link_errc {
  queue_full = 1,  // submit() while `queue_limit` messages wait: back off and retry (temporary)
  stopped,         // the link is stopping or stopped; the message was not sent (temporary)
  deadline_passed, // outbound_message::send_by passed before it could be written; not sent (temporary)
};
const std::error_category& link_category() noexcept;
std::error_code make_error_code(link_errc e) noexcept;

}  // namespace smpp::net

template <>
struct std::is_error_code_enum<smpp::net::link_errc> : std::true_type {};

namespace smpp::net {

enum class bind_mode { transceiver, transmitter_receiver };

// Every carrier setting (docs/smpp.md, "Carrier link (ESME client)").
struct carrier_link_config {
  std::string name = "carrier";
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  std::string system_id;
  std::string password;
  std::string system_type;
  bind_mode bind = bind_mode::transceiver;
  unsigned sessions = 1;       // transceivers, or transmitter+receiver pairs
  std::uint32_t window = 64;   // outstanding requests per session
  double tps = 0;              // segments per second across the link; 0 = unlimited
  double burst = 0;            // token bucket capacity; 0 = max(1, tps / 10)
  std::size_t queue_limit = 10'000;  // messages waiting for a token/window; above: queue_full
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds bind_timeout{10'000};
  std::chrono::milliseconds response_timeout{30'000};
  std::chrono::milliseconds enquire_link_interval{30'000};
  std::chrono::milliseconds enquire_link_timeout{10'000};
  std::chrono::milliseconds unbind_timeout{5'000};
  // Reconnect delays: reconnect_min * 2^attempt up to reconnect_max, times a random factor in
  // [1 - reconnect_jitter, 1]; attempts reset when a session stayed bound reconnect_stable.
  std::chrono::milliseconds reconnect_min{1'000};
  std::chrono::milliseconds reconnect_max{60'000};
  std::chrono::milliseconds reconnect_stable{60'000};
  double reconnect_jitter = 0.5;
  // ESME_RTHROTTLED / ESME_RMSGQFUL: the rate (and window) adapt to what the carrier accepts.
  throttle_governor::settings throttle{};
  std::uint32_t max_command_length = 64 * 1024;
  tls_client_settings tls;
};

// One message for the carrier: an encoded submit_sm (or data_sm) body, without the header.
struct outbound_message {
  std::uint64_t cookie = 0;   // the caller's id, echoed in the outcome
  command_id id = command_id::submit_sm;
  std::vector<std::uint8_t> body;
  std::uint32_t segments = 1;  // token-bucket cost (one submit_sm = one segment)
  // Not written after this (steady clock; max: no deadline): a message still queued then, behind
  // the token bucket, the window or a throttle, ends with link_errc::deadline_passed unsent. The
  // gateway passes half the message's lease, so that it never goes out after another instance
  // could have claimed it again (docs/smpp.md, "Throttling").
  std::chrono::steady_clock::time_point send_by = std::chrono::steady_clock::time_point::max();
};

struct submit_outcome {
  std::uint64_t cookie = 0;
  // The carrier's answer (0: accepted). Meaningless when `error` is set.
  std::uint32_t command_status = 0;
  // No carrier answer: queue_full/stopped (not sent), or session_errc::response_timeout /
  // connection_closed / dead_peer (sent, outcome unknown). All of these are temporary.
  std::error_code error;
  status_class classification = status_class::ok;
  std::string message_id;  // submit_sm_resp message_id when accepted

  bool accepted() const noexcept { return !error && command_status == 0; }
};

// An inbound request from the carrier (deliver_sm, data_sm): the encoded PDU, header included.
struct inbound_message {
  pdu_header header;
  std::vector<std::uint8_t> pdu;  // the whole PDU (16 header bytes + body): smpp::decode(pdu)
  unsigned session_index = 0;
};

// Answers one inbound request exactly once, from any thread, whenever the application is ready
// (e.g. after storing a STOP). Destroying it unanswered answers ESME_RX_T_APPN (temporary: the
// carrier retries). Answering after the session closed does nothing (the carrier redelivers).
class inbound_responder {
 public:
  inbound_responder() = default;
  inbound_responder(std::weak_ptr<class session> s, boost::asio::any_io_executor ex,
                    std::uint32_t sequence_number);
  inbound_responder(inbound_responder&& other) noexcept;
  inbound_responder& operator=(inbound_responder&& other) noexcept;
  inbound_responder(const inbound_responder&) = delete;
  inbound_responder& operator=(const inbound_responder&) = delete;
  ~inbound_responder();

  void respond(std::uint32_t command_status, std::vector<std::uint8_t> body = {});
  std::uint32_t sequence_number() const noexcept { return sequence_; }

 private:
  std::weak_ptr<class session> session_;
  boost::asio::any_io_executor executor_;
  std::uint32_t sequence_ = 0;
  bool pending_ = false;
};

// rate_changed: the rate the link sends at changed (a throttle lowered it, or the governor's
// probe raised it again; also while nothing is sent), with the new allowed_tps.
enum class link_event_kind { connecting, bound, bind_failed, disconnected, throttled, rate_changed };

struct link_event {
  link_event_kind kind;
  unsigned session_index = 0;
  std::error_code error;          // disconnected: why; bind_failed: bind_rejected/timeout
  std::uint32_t command_status = 0;  // bind_failed / throttled: the carrier's status
  std::chrono::milliseconds retry_in{0};  // disconnected / bind_failed: next attempt
  // throttled: whether this throttle lowered the link's rate (docs/smpp.md, "Throttling"), and
  // the rate the link sends at after it (segments per second; 0 = unlimited). rate_changed: the
  // new rate.
  bool lowered = false;
  double allowed_tps = 0;
};

struct carrier_link_handler {
  std::function<void(submit_outcome)> on_result;                          // required
  std::function<void(inbound_message, inbound_responder)> on_inbound;     // optional
  std::function<void(const link_event&)> on_event;                        // optional (logs)
};

struct link_stats {
  std::uint64_t submitted = 0;   // submit_sm written
  std::uint64_t accepted = 0;    // answered ESME_ROK
  std::uint64_t rejected = 0;    // answered with another status (throttles not counted)
  std::uint64_t throttled = 0;   // ESME_RTHROTTLED / ESME_RMSGQFUL answers (requeued)
  std::uint64_t failed = 0;      // no answer (timeout, connection lost)
  std::uint64_t inbound = 0;     // deliver_sm / data_sm received
  std::uint64_t connects = 0;    // successful binds
  std::size_t queued = 0;        // waiting now
  std::size_t in_flight = 0;     // sent, awaiting the response now
  unsigned bound_sessions = 0;
  double allowed_tps = 0;        // the rate sent at now: tps, or lower after throttles (0 = unlimited);
                                 // follows the governor's probe also while the link is idle
};

class carrier_link : public std::enable_shared_from_this<carrier_link> {
 public:
  static std::shared_ptr<carrier_link> create(boost::asio::any_io_executor executor,
                                              carrier_link_config config,
                                              carrier_link_handler handler);
  ~carrier_link();

  // Connects and binds every session; reconnects until stopped.
  void start();

  // Queues a message; its outcome arrives through on_result exactly once. Messages go out in
  // queue order (a throttled message goes back to its place). When `queue_limit` messages are
  // waiting the outcome is link_errc::queue_full at once.
  // Completion: handler.on_result(submit_outcome), on the link's strand, never inside this call.
  // Cancellation: async_stop() ends queued messages with link_errc::stopped; a message already
  // written waits for its response (or response_timeout). A message whose send_by passes while
  // it is queued (also after a throttle requeued it) ends with link_errc::deadline_passed.
  void submit(outbound_message message);

  // Graceful shutdown: queued messages end with link_errc::stopped, in-flight ones get their
  // responses (bounded by response_timeout), then every session unbinds; `done` is called on the
  // link's strand when every connection is closed.
  // Completion: done() (signature void()), on the link's strand. Cancellation: none; it is
  // bounded by response_timeout + unbind_timeout.
  // Calling it again replaces `done`.
  void async_stop(std::function<void()> done);

  // Changes the link's throughput limit (segments per second, 0 = unlimited) without touching
  // the sessions: applies from the next message on. Any thread.
  void set_tps(double tps);

  // Counters, readable from any thread.
  link_stats stats() const;

  const carrier_link_config& config() const noexcept { return config_; }

 private:
  struct impl;
  carrier_link(boost::asio::any_io_executor executor, carrier_link_config config,
               carrier_link_handler handler);
  std::shared_ptr<impl> impl_;
  carrier_link_config config_;
};

}  // namespace smpp::net
