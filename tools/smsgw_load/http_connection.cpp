#include "tools/smsgw_load/http_connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace smsgw_load {

namespace asio = boost::asio;

namespace {
// Protocol failures surface as this error (the summary counts them with the I/O errors).
std::error_code protocol_error() { return std::make_error_code(std::errc::protocol_error); }
}  // namespace

http_connection::http_connection(asio::io_context& io, asio::ip::tcp::endpoint ep)
    : socket_(io), endpoint_(ep), timer_(io) {}

void http_connection::exchange(const std::string& request, handler h) {
  request_ = &request;
  handler_ = std::move(h);
  if (socket_.is_open()) {
    write();
    return;
  }
  socket_.async_connect(endpoint_, [this](boost::system::error_code ec) {
    if (ec) return fail(ec);
    ++connects_;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    write();
  });
}

void http_connection::write() {
  asio::async_write(socket_, asio::buffer(*request_), [this](boost::system::error_code ec, std::size_t) {
    if (ec) return fail(ec);
    used_ = 0;
    read();
  });
}

void http_connection::read() {
  if (buffer_.size() - used_ < 4096) buffer_.resize(used_ + 16384);
  socket_.async_read_some(asio::buffer(buffer_.data() + used_, buffer_.size() - used_),
                          [this](boost::system::error_code ec, std::size_t n) {
                            if (ec) return fail(ec);
                            used_ += n;
                            http_response_view r = parse_http_response(std::string_view(buffer_.data(), used_));
                            switch (r.st) {
                              case http_response_view::state::incomplete:
                                return read();
                              case http_response_view::state::bad:
                                return fail(protocol_error());
                              case http_response_view::state::complete:
                                break;
                            }
                            // Bytes after the response: the server answered something we did not ask.
                            if (r.size != used_) return fail(protocol_error());
                            used_ = 0;
                            if (!r.keep_alive) close();
                            auto h = std::move(handler_);
                            h(std::error_code{}, r);
                          });
}

void http_connection::fail(std::error_code ec) {
  close();
  auto h = std::move(handler_);
  if (h) h(ec, http_response_view{});
}

void http_connection::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

}  // namespace smsgw_load
