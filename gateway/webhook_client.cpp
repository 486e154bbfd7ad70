#include "gateway/webhook_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include "smsgw/version.hpp"

namespace gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) return "timeout";
  return ec.message();
}

// Writes the request and reads the answer's status line and headers (the body is read and
// discarded, bounded: a receiver has nothing to tell us beyond its status).
template <class Stream>
asio::awaitable<webhook_response> exchange(Stream& stream, bhttp::request<bhttp::string_body>& req) {
  webhook_response out;
  boost::system::error_code ec;
  co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = describe(ec);
    co_return out;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec && !(ec == bhttp::error::body_limit && parser.is_header_done())) {
    out.error = describe(ec);
    co_return out;
  }
  out.status = parser.get().result_int();
  out.delivered = out.status >= 200 && out.status < 300;
  if (!out.delivered) out.error = "http " + std::to_string(out.status);
  co_return out;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_webhook_tls_context(const std::string& ca_file, std::string* error) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);  // no trust store: every https:// delivery fails verification
  if (!ca_file.empty()) {
    boost::system::error_code ca_ec;
    ctx->load_verify_file(ca_file, ca_ec);
    if (ca_ec && error) *error = "webhooks.ca_file \"" + ca_file + "\": " + ca_ec.message();
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

asio::awaitable<webhook_response> post_webhook(webhook_url url, std::string body,
                                               std::vector<std::pair<std::string, std::string>> headers,
                                               std::chrono::milliseconds timeout,
                                               std::shared_ptr<asio::ssl::context> tls) {
  auto executor = co_await asio::this_coro::executor;
  webhook_response out;
  boost::system::error_code ec;

  bhttp::request<bhttp::string_body> req{bhttp::verb::post, url.target, 11};
  const bool default_port = url.port == (url.tls ? 443 : 80);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + url.host + "]" : url.host;
  req.set(bhttp::field::host, default_port ? host : host + ":" + std::to_string(url.port));
  req.set(bhttp::field::user_agent, "smsgw/" + std::string(smsgw::version));
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::connection, "close");
  for (auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();

  // The resolver has no timeout of its own: names that resolve slowly count against the attempt
  // only once connected (literal addresses, the usual case for local receivers, resolve at once).
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "resolve: " + ec.message();
    co_return out;
  }
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_after(timeout);
  co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = describe(ec);
    co_return out;
  }
  if (!url.tls) {
    out = co_await exchange(tcp_stream, req);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return out;
  }
  if (!tls) {
    out.error = "https is not available";
    co_return out;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    out.error = "tls: bad server name";
    co_return out;
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "tls: " + describe(ec);
    co_return out;
  }
  out = co_await exchange(stream, req);
  // No TLS close_notify exchange: the request said Connection: close and the answer is complete.
  beast::get_lowest_layer(stream).close();
  co_return out;
}

}  // namespace gateway
