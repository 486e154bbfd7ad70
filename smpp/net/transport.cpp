#include "smpp/net/transport.hpp"

#include <boost/asio/steady_timer.hpp>

#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

namespace smpp::net {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string endpoint_text(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

class tcp_transport final : public transport {
 public:
  explicit tcp_transport(tcp::socket s) : socket_(std::move(s)) {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);  // SMPP PDUs are small; don't wait for Nagle
  }
  void async_read_some(asio::mutable_buffer b, io_handler h) override {
    socket_.async_read_some(b, std::move(h));
  }
  void async_write(asio::const_buffer b, io_handler h) override {
    asio::async_write(socket_, b, std::move(h));
  }
  void close() noexcept override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
  std::string remote_endpoint() const override { return endpoint_text(socket_); }

 private:
  tcp::socket socket_;
};

class tls_transport final : public transport {
 public:
  tls_transport(std::shared_ptr<ssl::context> ctx, tcp::socket s)
      : ctx_(std::move(ctx)), stream_(std::move(s), *ctx_) {}
  ssl::stream<tcp::socket>& stream() { return stream_; }
  void async_read_some(asio::mutable_buffer b, io_handler h) override {
    stream_.async_read_some(b, std::move(h));
  }
  void async_write(asio::const_buffer b, io_handler h) override {
    asio::async_write(stream_, b, std::move(h));
  }
  void close() noexcept override {
    boost::system::error_code ec;
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_.lowest_layer().close(ec);
  }
  std::string remote_endpoint() const override { return endpoint_text(stream_.next_layer()); }

 private:
  std::shared_ptr<ssl::context> ctx_;
  ssl::stream<tcp::socket> stream_;
};

}  // namespace

std::unique_ptr<transport> make_tcp_transport(tcp::socket socket) {
  return std::make_unique<tcp_transport>(std::move(socket));
}

void async_tls_client_handshake(
    tcp::socket socket, const tls_client_settings& settings, const std::string& host,
    std::chrono::milliseconds timeout,
    std::function<void(boost::system::error_code, std::unique_ptr<transport>)> handler) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (settings.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(settings.ca_file, ec);
  }
  if (!ec && !settings.cert_file.empty()) ctx->use_certificate_chain_file(settings.cert_file, ec);
  if (!ec && !settings.key_file.empty()) {
    ctx->use_private_key_file(settings.key_file, ssl::context::pem, ec);
  }
  if (ec) {
    handler(ec, nullptr);
    return;
  }
  ctx->set_verify_mode(ssl::verify_peer);
  const std::string name = settings.server_name.empty() ? host : settings.server_name;
  ctx->set_verify_callback(ssl::host_name_verification(name));

  auto t = std::make_unique<tls_transport>(ctx, std::move(socket));
  auto& stream = t->stream();
  SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  // The transport moves into the completion; `stream` stays valid because it lives on the heap.
  auto* raw = t.release();
  // Bound the handshake: a peer that accepts TCP but never speaks TLS must not hang the link.
  // Both handlers run on the socket's executor (a strand), so `done` needs no lock, and the
  // timer never touches `raw` after the handshake completed (it may be gone by then).
  auto timer = std::make_shared<boost::asio::steady_timer>(stream.get_executor());
  auto done = std::make_shared<bool>(false);
  timer->expires_after(timeout);
  timer->async_wait([raw, done](boost::system::error_code e) {
    if (e || *done) return;
    boost::system::error_code ignored;
    raw->stream().lowest_layer().close(ignored);
  });
  stream.async_handshake(
      ssl::stream_base::client,
      [raw, timer, done, handler = std::move(handler)](boost::system::error_code e) mutable {
        *done = true;
        timer->cancel();
        std::unique_ptr<transport> owned(raw);
        if (e) owned.reset();
        handler(e, std::move(owned));
      });
}

void async_tls_server_handshake(
    tcp::socket socket, const tls_server_settings& settings,
    std::function<void(boost::system::error_code, std::unique_ptr<transport>)> handler) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain_file(settings.cert_file, ec);
  if (!ec) ctx->use_private_key_file(settings.key_file, ssl::context::pem, ec);
  if (!ec && !settings.client_ca_file.empty()) {
    ctx->load_verify_file(settings.client_ca_file, ec);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  if (ec) {
    handler(ec, nullptr);
    return;
  }
  auto t = std::make_unique<tls_transport>(ctx, std::move(socket));
  auto& stream = t->stream();
  auto* raw = t.release();
  stream.async_handshake(
      ssl::stream_base::server,
      [raw, handler = std::move(handler)](boost::system::error_code e) mutable {
        std::unique_ptr<transport> owned(raw);
        if (e) owned.reset();
        handler(e, std::move(owned));
      });
}

}  // namespace smpp::net
