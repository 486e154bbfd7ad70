#pragma once

// The byte stream under an SMPP session: plain TCP or TLS (boost::asio::ssl). Type-erased so the
// session (smpp/net/session.hpp) is compiled once; the cost is one std::function per read/write,
// and both are batched (64 KiB reads, one write for everything queued).

#include <cstddef>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace smpp::net {

using io_handler = std::function<void(boost::system::error_code, std::size_t)>;

class transport {
 public:
  virtual ~transport() = default;
  // Completion: handler(error_code, bytes). Runs on the socket's executor (the session strand).
  // Cancellation: close() completes a pending operation with operation_aborted.
  virtual void async_read_some(boost::asio::mutable_buffer buffer, io_handler handler) = 0;
  // Writes the whole buffer (composed). Same completion, executor and cancellation rules.
  virtual void async_write(boost::asio::const_buffer buffer, io_handler handler) = 0;
  virtual void close() noexcept = 0;
  virtual std::string remote_endpoint() const = 0;
};

// Wraps a connected socket (accepted or connected); the socket's executor should be a strand.
std::unique_ptr<transport> make_tcp_transport(boost::asio::ip::tcp::socket socket);

// TLS settings of a client link. Certificate verification is always on: `ca_file` (PEM) or the
// system's default paths; the peer name checked is `server_name` (SNI too).
struct tls_client_settings {
  bool enabled = false;
  std::string ca_file;           // empty: system default verify paths
  std::string server_name;       // empty: the host the link connects to
  std::string cert_file;         // optional client certificate (PEM)
  std::string key_file;          // its private key (PEM)
};

// TLS settings of a server (the simulator): certificate + key (PEM).
struct tls_server_settings {
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
  // Non-empty: clients must present a certificate signed by a CA in this PEM file.
  std::string client_ca_file;
};

// Performs the TLS client handshake over a connected socket, then calls handler(ec, transport).
// Completion runs on the socket's executor, which must be a strand (or single-threaded).
// Cancellation: a handshake still running after `timeout` is aborted by closing the socket
// (the handler then gets the error, typically operation_aborted).
void async_tls_client_handshake(
    boost::asio::ip::tcp::socket socket, const tls_client_settings& settings,
    const std::string& host, std::chrono::milliseconds timeout,
    std::function<void(boost::system::error_code, std::unique_ptr<transport>)> handler);

// Performs the TLS server handshake over an accepted socket.
void async_tls_server_handshake(
    boost::asio::ip::tcp::socket socket, const tls_server_settings& settings,
    std::function<void(boost::system::error_code, std::unique_ptr<transport>)> handler);

}  // namespace smpp::net
