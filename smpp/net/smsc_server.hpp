#pragma once

// SMPP server side (the SMSC role): accepts connections, authenticates binds through the
// application, runs one smpp::net::session per connection with a per-session window
// (session_config::inbound_window: requests beyond it are answered ESME_RMSGQFUL).
// Used by tools/smsc-sim; later by an SMPP interface for senders.
//
// Executor: everything runs on the executor given to the constructor (use a strand, or an
// io_context run by one thread as the simulator does). Handlers are called on it.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "smpp/net/session.hpp"
#include "smpp/net/transport.hpp"
#include "smpp/session_fsm.hpp"

namespace smpp::net {

// The mandatory fields of bind_transmitter/receiver/transceiver that a server checks.
struct bind_request {
  bind_type type = bind_type::transceiver;
  std::string system_id;
  std::string password;
  std::string system_type;
  std::uint8_t interface_version = 0;
};

// Parses a bind body (C-octet strings and integers of SMPP 3.4 section 4.1.1); false when it is
// malformed (a string without NUL, or missing fields).
bool parse_bind_body(std::span<const std::uint8_t> body, bind_request& out);

// Encodes a bind body (system_id, password, system_type, interface_version 0x34, ton/npi 0,
// empty address_range), for clients that do not use the codec.
std::vector<std::uint8_t> encode_bind_body(const std::string& system_id,
                                           const std::string& password,
                                           const std::string& system_type);

class smsc_server_handler {
 public:
  virtual ~smsc_server_handler() = default;
  // Returns the bind's command_status: 0 accepts; e.g. 0x0E (ESME_RINVPASWD) or 0x0F
  // (ESME_RINVSYSID) refuses. Called before the bind response is sent.
  virtual std::uint32_t authenticate(const session& s, const bind_request& request) = 0;
  virtual void on_bound(const std::shared_ptr<session>& s, const bind_request& request) = 0;
  // Inbound request after the bind (submit_sm, data_sm, query_sm, ...): answer it with
  // s->respond(), now or later (on the server's executor).
  virtual void on_request(const std::shared_ptr<session>& s, const pdu_header& header,
                          std::span<const std::uint8_t> body) = 0;
  // Responses to requests the server sent (deliver_sm_resp, ...).
  virtual void on_response(session& s, std::uint64_t cookie, const pdu_header& header,
                           std::span<const std::uint8_t> body) = 0;
  virtual void on_failure(session& s, std::uint64_t cookie, std::error_code error) = 0;
  virtual void on_closed(session& s, std::error_code error) = 0;
};

struct smsc_server_config {
  session_config session;  // role is forced to smsc
  std::string system_id = "smsgw-smsc";  // returned in bind responses
  tls_server_settings tls;
};

class smsc_server : public std::enable_shared_from_this<smsc_server> {
 public:
  // The server holds `handler` weakly: the handler usually owns the server (as the simulator
  // does), and the caller keeps it alive. Callbacks stop when it is gone.
  smsc_server(boost::asio::any_io_executor executor, smsc_server_config config,
              std::weak_ptr<smsc_server_handler> handler);

  // Opens, binds and listens (port 0 picks a free port; see local_endpoint()).
  std::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Starts accepting. Call on the executor.
  void start();
  // Stops accepting and unbinds every bound session (closes the others). Call on the executor.
  void stop();
  // Closes every connection at once, without unbind (tests use it to simulate a carrier drop).
  void drop_all();

  std::size_t session_count() const noexcept { return sessions_.size(); }
  const std::unordered_set<std::shared_ptr<session>>& sessions() const noexcept {
    return sessions_;
  }

 private:
  class connection_handler;
  void accept();
  void on_accept(boost::asio::ip::tcp::socket socket);
  void start_session(std::unique_ptr<transport> t);

  boost::asio::any_io_executor executor_;
  smsc_server_config config_;
  std::weak_ptr<smsc_server_handler> handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unordered_set<std::shared_ptr<session>> sessions_;
  bool stopped_ = false;
};

}  // namespace smpp::net
