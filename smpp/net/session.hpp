#pragma once

// One SMPP session over a transport: the Asio driver of smpp::session_fsm. It executes the
// machine's actions and nothing more: one reader, one writer, one timer.
//
// Executor: every member function must be called on the session's executor (a strand, or a
// single-threaded io_context); the handler is called on it too. Other threads post to it
// (see inbound_responder for answering inbound requests from anywhere).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smpp/net/transport.hpp"
#include "smpp/session_fsm.hpp"

namespace smpp::net {

class session;

// The bodies handed to session_handler callbacks are preceded in memory by their 16 header bytes:
// this gives the whole PDU (for smpp::decode) without a copy. Valid during the callback only.
inline std::span<const std::uint8_t> whole_pdu(std::span<const std::uint8_t> body) noexcept {
  return {body.data() - header_size, body.size() + header_size};
}

// Callbacks of a session, all on the session's executor. Spans are valid during the call only.
class session_handler {
 public:
  virtual ~session_handler() = default;
  // The bind succeeded (esme: bind_resp ok; smsc: the application accepted a bind).
  virtual void on_bound(session&) {}
  // An inbound request (deliver_sm, submit_sm, bind_* in the smsc role, ...). Answer it with
  // session::respond (now or later) unless it is outbind/alert_notification (no response).
  virtual void on_request(session&, const pdu_header&, std::span<const std::uint8_t> body) = 0;
  // An outbound request (or the bind) got its response; `header.command_status` may be an error.
  virtual void on_response(session&, std::uint64_t cookie, const pdu_header& header,
                           std::span<const std::uint8_t> body) = 0;
  // An outbound request ended without a response (timeout, connection closed, dead peer).
  virtual void on_failure(session&, std::uint64_t cookie, std::error_code error) = 0;
  // The connection is closed (after every on_failure). `error` is empty for a clean unbind.
  virtual void on_closed(session&, std::error_code error) = 0;
};

class session : public std::enable_shared_from_this<session> {
 public:
  // Write queue bound: above this many bytes waiting to be written the session stops reading
  // (backpressure on a peer that sends requests faster than we can answer them).
  static constexpr std::size_t max_pending_write = 4 * 1024 * 1024;

  session(std::unique_ptr<transport> transport, boost::asio::any_io_executor executor,
          session_config config, std::shared_ptr<session_handler> handler);
  ~session();

  // Starts the reader. Call once, on the executor.
  void start();

  // ESME role: sends the bind; the response arrives through on_response(cookie) then on_bound
  // (or on_closed with session_errc::bind_rejected).
  request_result bind(bind_type type, std::span<const std::uint8_t> body, std::uint64_t cookie);
  // Sends a request; refused synchronously with window_full / not_bound (nothing sent).
  request_result request(command_id id, std::span<const std::uint8_t> body, std::uint64_t cookie);
  // Answers an inbound request delivered through on_request.
  std::error_code respond(std::uint32_t sequence_number, std::uint32_t command_status,
                          std::span<const std::uint8_t> body = {});
  std::error_code reject(std::uint32_t sequence_number, std::uint32_t command_status);
  // Graceful: unbind handshake, then close (on_closed with an empty error).
  void unbind();
  // Abrupt: closes the socket now; outstanding requests fail with connection_closed.
  void close();

  const session_fsm& fsm() const noexcept { return fsm_; }
  bool closed() const noexcept { return closed_; }
  const boost::asio::any_io_executor& get_executor() const noexcept { return executor_; }
  const std::string& remote() const noexcept { return remote_; }

  // Opaque value for the owner (e.g. a slot index, the authenticated system_id's index).
  std::uint64_t user_data = 0;

 private:
  void run_actions();
  void start_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void start_write();
  void on_write(boost::system::error_code ec);
  void arm_timer(session_clock::time_point deadline);
  void do_close(std::error_code ec);

  std::unique_ptr<transport> transport_;
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer timer_;
  session_fsm fsm_;
  std::shared_ptr<session_handler> handler_;
  std::string remote_;

  std::vector<std::uint8_t> read_buf_;
  std::size_t read_len_ = 0;
  bool reading_ = false;
  bool read_paused_ = false;

  std::vector<std::uint8_t> write_buf_;
  bool writing_ = false;
  bool close_after_write_ = false;
  std::error_code close_reason_;

  bool closed_ = false;
  bool started_ = false;
  // Actions are copied out before dispatching: handlers may call back into the machine, which
  // replaces its action list. One buffer per nesting depth avoids an allocation per event.
  std::deque<std::vector<session_action>> action_bufs_;
  std::size_t depth_ = 0;
};

}  // namespace smpp::net
