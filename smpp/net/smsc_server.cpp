#include "smpp/net/smsc_server.hpp"

#include <boost/asio/socket_base.hpp>

namespace smpp::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Reads a C-octet string; false when no NUL terminates it within the body.
bool read_cstring(std::span<const std::uint8_t>& in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == 0) {
      out.assign(reinterpret_cast<const char*>(in.data()), i);
      in = in.subspan(i + 1);
      return true;
    }
  }
  return false;
}

constexpr std::uint32_t rinvcmdlen = 0x02;

}  // namespace

bool parse_bind_body(std::span<const std::uint8_t> body, bind_request& out) {
  if (!read_cstring(body, out.system_id)) return false;
  if (!read_cstring(body, out.password)) return false;
  if (!read_cstring(body, out.system_type)) return false;
  if (body.size() < 3) return false;
  out.interface_version = body[0];
  return true;  // address_range is not checked by the server
}

std::vector<std::uint8_t> encode_bind_body(const std::string& system_id,
                                           const std::string& password,
                                           const std::string& system_type) {
  std::vector<std::uint8_t> b;
  auto put = [&b](const std::string& s) {
    b.insert(b.end(), s.begin(), s.end());
    b.push_back(0);
  };
  put(system_id);
  put(password);
  put(system_type);
  b.push_back(0x34);  // interface_version
  b.push_back(0);     // addr_ton
  b.push_back(0);     // addr_npi
  b.push_back(0);     // address_range ""
  return b;
}

// Per-connection adapter: parses binds, asks the application, forwards everything else.
class smsc_server::connection_handler final : public session_handler {
 public:
  explicit connection_handler(std::weak_ptr<smsc_server> server) : server_(std::move(server)) {}

  void on_bound(session& s) override {
    if (auto h = app()) h->on_bound(s.shared_from_this(), bind_);
  }
  void on_request(session& s, const pdu_header& header,
                  std::span<const std::uint8_t> body) override {
    auto srv = server_.lock();
    auto h = app();
    if (!srv || !h) return;
    auto id = static_cast<command_id>(header.command_id);
    if (id == command_id::bind_transmitter || id == command_id::bind_receiver ||
        id == command_id::bind_transceiver) {
      bind_request req;
      if (!parse_bind_body(body, req)) {
        s.respond(header.sequence_number, rinvcmdlen);
        return;
      }
      req.type = id == command_id::bind_transmitter ? bind_type::transmitter
                 : id == command_id::bind_receiver  ? bind_type::receiver
                                                    : bind_type::transceiver;
      std::uint32_t status = h->authenticate(s, req);
      bind_ = req;
      std::vector<std::uint8_t> resp_body(srv->config_.system_id.begin(),
                                          srv->config_.system_id.end());
      resp_body.push_back(0);
      s.respond(header.sequence_number, status, status == 0 ? resp_body : std::vector<std::uint8_t>{});
      return;
    }
    h->on_request(s.shared_from_this(), header, body);
  }
  void on_response(session& s, std::uint64_t cookie, const pdu_header& header,
                   std::span<const std::uint8_t> body) override {
    if (auto h = app()) h->on_response(s, cookie, header, body);
  }
  void on_failure(session& s, std::uint64_t cookie, std::error_code error) override {
    if (auto h = app()) h->on_failure(s, cookie, error);
  }
  void on_closed(session& s, std::error_code error) override {
    if (auto h = app()) h->on_closed(s, error);
    if (auto srv = server_.lock()) srv->sessions_.erase(s.shared_from_this());
  }

 private:
  std::shared_ptr<smsc_server_handler> app() const {
    auto srv = server_.lock();
    return srv ? srv->handler_.lock() : nullptr;
  }

  std::weak_ptr<smsc_server> server_;
  bind_request bind_;
};

smsc_server::smsc_server(asio::any_io_executor executor, smsc_server_config config,
                         std::weak_ptr<smsc_server_handler> handler)
    : executor_(executor),
      config_(std::move(config)),
      handler_(std::move(handler)),
      acceptor_(executor) {
  config_.session.role = session_role::smsc;
}

std::error_code smsc_server::listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

tcp::endpoint smsc_server::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void smsc_server::start() { accept(); }

void smsc_server::accept() {
  if (stopped_) return;
  auto self = shared_from_this();
  acceptor_.async_accept(executor_, [self](boost::system::error_code ec, tcp::socket socket) {
    if (self->stopped_) return;
    if (!ec) self->on_accept(std::move(socket));
    self->accept();
  });
}

void smsc_server::on_accept(tcp::socket socket) {
  if (!config_.tls.enabled) {
    start_session(make_tcp_transport(std::move(socket)));
    return;
  }
  auto self = shared_from_this();
  async_tls_server_handshake(std::move(socket), config_.tls,
                             [self](boost::system::error_code ec, std::unique_ptr<transport> t) {
                               if (!ec && !self->stopped_) self->start_session(std::move(t));
                             });
}

void smsc_server::start_session(std::unique_ptr<transport> t) {
  auto h = std::make_shared<connection_handler>(weak_from_this());
  auto s = std::make_shared<session>(std::move(t), executor_, config_.session, h);
  sessions_.insert(s);
  s->start();
}

void smsc_server::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  auto copy = sessions_;
  for (auto& s : copy) {
    if (s->fsm().is_bound()) {
      s->unbind();
    } else {
      s->close();
    }
  }
}

void smsc_server::drop_all() {
  auto copy = sessions_;
  for (auto& s : copy) s->close();
}

}  // namespace smpp::net
