#include "smpp/net/session.hpp"

#include <cstring>

#include <boost/asio/error.hpp>

namespace smpp::net {
namespace asio = boost::asio;

namespace {
constexpr std::size_t initial_read_buffer = 64 * 1024;

std::error_code to_std(const boost::system::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe) {
    return session_errc::connection_closed;
  }
  return ec;
}
}  // namespace

session::session(std::unique_ptr<transport> t, asio::any_io_executor executor,
                 session_config config, std::shared_ptr<session_handler> handler)
    : transport_(std::move(t)),
      executor_(std::move(executor)),
      timer_(executor_),
      fsm_(config, session_clock::now()),
      handler_(std::move(handler)),
      remote_(transport_->remote_endpoint()),
      read_buf_(initial_read_buffer) {}

session::~session() {
  if (transport_) transport_->close();
}

void session::start() {
  if (started_) return;
  started_ = true;
  start_read();
}

request_result session::bind(bind_type type, std::span<const std::uint8_t> body,
                             std::uint64_t cookie) {
  auto r = fsm_.bind(session_clock::now(), type, body, cookie);
  run_actions();
  return r;
}

request_result session::request(command_id id, std::span<const std::uint8_t> body,
                                std::uint64_t cookie) {
  auto r = fsm_.request(session_clock::now(), id, body, cookie);
  run_actions();  // a refused request may still re-arm the timer
  return r;
}

std::error_code session::respond(std::uint32_t sequence_number, std::uint32_t command_status,
                                 std::span<const std::uint8_t> body) {
  auto ec = fsm_.respond(session_clock::now(), sequence_number, command_status, body);
  run_actions();
  return ec;
}

std::error_code session::reject(std::uint32_t sequence_number, std::uint32_t command_status) {
  auto ec = fsm_.reject(session_clock::now(), sequence_number, command_status);
  run_actions();
  return ec;
}

void session::unbind() {
  if (closed_) return;
  fsm_.unbind(session_clock::now());
  run_actions();
}

void session::close() { do_close(session_errc::connection_closed); }

void session::run_actions() {
  if (fsm_.actions().empty()) return;
  if (depth_ >= action_bufs_.size()) action_bufs_.emplace_back();
  auto& acts = action_bufs_[depth_];
  acts.assign(fsm_.actions().begin(), fsm_.actions().end());
  ++depth_;
  auto self = shared_from_this();  // handlers may drop the last other reference
  for (auto& a : acts) {
    using kind = session_action::kind;
    switch (a.what) {
      case kind::write:
        if (!closed_) start_write();
        break;
      case kind::deliver:
        if (!closed_) handler_->on_request(*this, a.header, a.body);
        break;
      case kind::complete: handler_->on_response(*this, a.cookie, a.header, a.body); break;
      case kind::fail: handler_->on_failure(*this, a.cookie, a.error); break;
      case kind::bound:
        if (!closed_) handler_->on_bound(*this);
        break;
      case kind::arm_timer:
        if (!closed_) arm_timer(a.deadline);
        break;
      case kind::close:
        if (a.flush && (writing_ || !fsm_.output().empty())) {
          close_after_write_ = true;
          close_reason_ = a.error;
          start_write();
        } else {
          do_close(a.error);
        }
        break;
    }
  }
  acts.clear();
  --depth_;
}

void session::start_read() {
  if (closed_ || reading_) return;
  reading_ = true;
  auto self = shared_from_this();
  transport_->async_read_some(
      asio::buffer(read_buf_.data() + read_len_, read_buf_.size() - read_len_),
      [self](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void session::on_read(boost::system::error_code ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    do_close(to_std(ec));
    return;
  }
  read_len_ += n;
  std::size_t consumed = fsm_.on_bytes(session_clock::now(), {read_buf_.data(), read_len_});
  run_actions();  // spans in the actions point into read_buf_: compact only afterwards
  if (closed_) return;
  if (consumed > 0) {
    std::memmove(read_buf_.data(), read_buf_.data() + consumed, read_len_ - consumed);
    read_len_ -= consumed;
  }
  if (read_len_ == read_buf_.size()) read_buf_.resize(read_buf_.size() * 2);  // a big PDU
  if (fsm_.output().size() + write_buf_.size() > max_pending_write) {
    read_paused_ = true;  // resumed by on_write
    return;
  }
  start_read();
}

void session::start_write() {
  if (writing_ || closed_) return;
  if (fsm_.output().empty()) {
    if (close_after_write_) do_close(close_reason_);
    return;
  }
  fsm_.take_output(write_buf_);
  writing_ = true;
  auto self = shared_from_this();
  transport_->async_write(asio::buffer(write_buf_),
                          [self](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
}

void session::on_write(boost::system::error_code ec) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    do_close(to_std(ec));
    return;
  }
  start_write();
  if (read_paused_ && !closed_ && fsm_.output().size() + write_buf_.size() <= max_pending_write) {
    read_paused_ = false;
    start_read();
  }
}

void session::arm_timer(session_clock::time_point deadline) {
  timer_.expires_at(deadline);
  auto self = shared_from_this();
  timer_.async_wait([self](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || self->closed_) return;
    self->fsm_.on_timer(session_clock::now());
    self->run_actions();
  });
}

void session::do_close(std::error_code ec) {
  if (closed_) return;
  closed_ = true;
  auto self = shared_from_this();
  transport_->close();
  timer_.cancel();
  fsm_.on_closed(ec);
  // The machine is closed now: only `fail` actions for what was outstanding remain.
  // Copied first: a handler calling back into the machine replaces its action list.
  std::vector<session_action> fails(fsm_.actions().begin(), fsm_.actions().end());
  for (auto& a : fails) {
    if (a.what == session_action::kind::fail) handler_->on_failure(*this, a.cookie, a.error);
  }
  handler_->on_closed(*this, ec);
}

}  // namespace smpp::net
