#include "smpp/session_fsm.hpp"

#include <algorithm>
#include <string>

namespace smpp {
namespace {

// command_status values this file answers with (SMPP 3.4 section 5.1.3).
constexpr std::uint32_t rok = 0x00;
constexpr std::uint32_t rinvcmdlen = 0x02;
constexpr std::uint32_t rinvcmdid = 0x03;
constexpr std::uint32_t rinvbndsts = 0x04;
constexpr std::uint32_t ralybnd = 0x05;
constexpr std::uint32_t rmsgqful = 0x14;

constexpr std::uint32_t max_sequence = 0x7FFFFFFF;

constexpr std::uint32_t raw(command_id id) noexcept { return static_cast<std::uint32_t>(id); }

class session_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smpp.session"; }
  std::string message(int ev) const override {
    switch (static_cast<session_errc>(ev)) {
      case session_errc::window_full: return "window full";
      case session_errc::not_bound: return "not allowed in the current bind state";
      case session_errc::response_timeout: return "response timeout";
      case session_errc::connection_closed: return "connection closed";
      case session_errc::dead_peer: return "peer did not answer enquire_link";
      case session_errc::bind_timeout: return "bind timeout";
      case session_errc::bind_rejected: return "bind rejected";
      case session_errc::unbind_timeout: return "unbind timeout";
      case session_errc::unbound_by_peer: return "unbound by peer";
      case session_errc::unbound: return "unbound";
      case session_errc::invalid_command_length: return "invalid command_length";
      case session_errc::unknown_sequence: return "no inbound request with this sequence number";
    }
    return "unknown session error";
  }
};

command_id bind_request_id(bind_type t) noexcept {
  switch (t) {
    case bind_type::transmitter: return command_id::bind_transmitter;
    case bind_type::receiver: return command_id::bind_receiver;
    case bind_type::transceiver: return command_id::bind_transceiver;
  }
  return command_id::bind_transceiver;
}

bind_state bound_state(bind_type t) noexcept {
  switch (t) {
    case bind_type::transmitter: return bind_state::bound_tx;
    case bind_type::receiver: return bind_state::bound_rx;
    case bind_type::transceiver: return bind_state::bound_trx;
  }
  return bind_state::bound_trx;
}

std::optional<bind_type> bind_type_of(command_id id) noexcept {
  switch (id) {
    case command_id::bind_transmitter: return bind_type::transmitter;
    case command_id::bind_receiver: return bind_type::receiver;
    case command_id::bind_transceiver: return bind_type::transceiver;
    default: return std::nullopt;
  }
}

}  // namespace

const std::error_category& session_category() noexcept {
  static const session_category_impl category;
  return category;
}

std::error_code make_error_code(session_errc e) noexcept {
  return {static_cast<int>(e), session_category()};
}

const char* to_string(bind_state s) noexcept {
  switch (s) {
    case bind_state::open: return "open";
    case bind_state::binding: return "binding";
    case bind_state::bound_tx: return "bound_tx";
    case bind_state::bound_rx: return "bound_rx";
    case bind_state::bound_trx: return "bound_trx";
    case bind_state::unbinding: return "unbinding";
    case bind_state::closed: return "closed";
  }
  return "unknown";
}

session_fsm::session_fsm(session_config config, session_clock::time_point now)
    : config_(config),
      role_(config.role),
      sequence_(std::clamp<std::uint32_t>(config.initial_sequence, 1, max_sequence)),
      last_received_(now) {
  actions_.reserve(16);
}

bool session_fsm::is_bound() const noexcept {
  return state_ == bind_state::bound_tx || state_ == bind_state::bound_rx ||
         state_ == bind_state::bound_trx;
}

void session_fsm::take_output(std::vector<std::uint8_t>& into) noexcept {
  into.clear();
  output_.swap(into);
  output_at_begin_ = 0;
}

void session_fsm::begin(session_clock::time_point) {
  actions_.clear();
  output_at_begin_ = output_.size();
}

void session_fsm::finish(session_clock::time_point) {
  if (output_.size() > output_at_begin_) {
    session_action a;
    a.what = session_action::kind::write;
    // A write must precede a flushing close; a close pushed earlier in this event moves behind.
    auto close_it = std::find_if(actions_.begin(), actions_.end(), [](const session_action& x) {
      return x.what == session_action::kind::close;
    });
    actions_.insert(close_it, a);
    output_at_begin_ = output_.size();
  }
  if (state_ == bind_state::closed) return;
  // Drop deadlines of requests that were answered, so the front is a live one.
  while (!deadlines_.empty()) {
    auto it = outstanding_.find(deadlines_.front().second);
    if (it != outstanding_.end() && it->second.deadline == deadlines_.front().first) break;
    deadlines_.pop_front();
  }
  // Arm only when the next deadline is earlier than the armed one: a later deadline (the idle
  // timer moving with every received PDU) is picked up when the armed timer fires, which saves
  // re-arming the timer on every read.
  auto next = next_deadline();
  if (next && (!armed_ || *next < *armed_)) {
    armed_ = next;
    session_action a;
    a.what = session_action::kind::arm_timer;
    a.deadline = *next;
    actions_.push_back(a);
  }
}

std::optional<session_clock::time_point> session_fsm::next_deadline() const {
  std::optional<session_clock::time_point> next;
  auto consider = [&next](session_clock::time_point t) {
    if (!next || t < *next) next = t;
  };
  if (bind_) consider(bind_->deadline);
  if (unbind_) consider(unbind_->deadline);
  if (enquire_) consider(enquire_->deadline);
  if (!deadlines_.empty()) consider(deadlines_.front().first);
  if (is_bound() && !enquire_ && config_.enquire_link_interval.count() > 0) {
    consider(last_received_ + config_.enquire_link_interval);
  }
  return next;
}

std::uint32_t session_fsm::next_sequence() noexcept {
  for (;;) {
    std::uint32_t s = sequence_;
    sequence_ = sequence_ >= max_sequence ? 1 : sequence_ + 1;
    bool busy = outstanding_.contains(s) || (bind_ && bind_->sequence == s) ||
                (unbind_ && unbind_->sequence == s) || (enquire_ && enquire_->sequence == s);
    if (!busy) return s;
  }
}

void session_fsm::write_pdu(std::uint32_t id, std::uint32_t status, std::uint32_t sequence,
                            std::span<const std::uint8_t> body) {
  std::size_t at = output_.size();
  auto length = static_cast<std::uint32_t>(header_size + body.size());
  output_.resize(at + length);
  write_header(pdu_header{length, id, status, sequence},
               std::span<std::uint8_t, header_size>(output_.data() + at, header_size));
  if (!body.empty()) std::copy(body.begin(), body.end(), output_.begin() + at + header_size);
}

bool session_fsm::outbound_allowed(command_id id) const noexcept {
  const bool tx = state_ == bind_state::bound_tx || state_ == bind_state::bound_trx;
  const bool rx = state_ == bind_state::bound_rx || state_ == bind_state::bound_trx;
  if (role_ == session_role::esme) {
    switch (id) {
      case command_id::submit_sm:
      case command_id::submit_multi:
      case command_id::data_sm:
      case command_id::query_sm:
      case command_id::cancel_sm:
      case command_id::replace_sm: return tx;
      default: return false;
    }
  }
  switch (id) {
    case command_id::deliver_sm:
    case command_id::data_sm:
    case command_id::alert_notification: return rx;
    default: return false;
  }
}

bool session_fsm::inbound_allowed(command_id id) const noexcept {
  // While unbinding, the peer may not have seen our unbind yet: keep accepting what the bind
  // allowed so its in-flight messages are not refused.
  bind_state s = state_;
  if (s == bind_state::unbinding && bound_type_) s = bound_state(*bound_type_);
  const bool tx = s == bind_state::bound_tx || s == bind_state::bound_trx;
  const bool rx = s == bind_state::bound_rx || s == bind_state::bound_trx;
  if (role_ == session_role::esme) {
    switch (id) {
      case command_id::deliver_sm:
      case command_id::data_sm:
      case command_id::alert_notification: return rx;
      default: return false;
    }
  }
  switch (id) {
    case command_id::submit_sm:
    case command_id::submit_multi:
    case command_id::data_sm:
    case command_id::query_sm:
    case command_id::cancel_sm:
    case command_id::replace_sm: return tx;
    default: return false;
  }
}

bool session_fsm::can_request(command_id id) const noexcept {
  return outbound_allowed(id) && outstanding_.size() < config_.window;
}

request_result session_fsm::bind(session_clock::time_point now, bind_type type,
                                 std::span<const std::uint8_t> body, std::uint64_t cookie) {
  begin(now);
  request_result r;
  if (role_ != session_role::esme || state_ != bind_state::open) {
    r.error = session_errc::not_bound;
  } else {
    r.sequence_number = next_sequence();
    write_pdu(raw(bind_request_id(type)), rok, r.sequence_number, body);
    bind_ = pending_control{r.sequence_number, cookie, now + config_.bind_timeout, type};
    state_ = bind_state::binding;
  }
  finish(now);
  return r;
}

request_result session_fsm::request(session_clock::time_point now, command_id id,
                                    std::span<const std::uint8_t> body, std::uint64_t cookie) {
  begin(now);
  request_result r;
  if (!outbound_allowed(id)) {
    r.error = session_errc::not_bound;
  } else if (outstanding_.size() >= config_.window) {
    r.error = session_errc::window_full;
  } else {
    r.sequence_number = next_sequence();
    write_pdu(raw(id), rok, r.sequence_number, body);
    auto deadline = now + config_.response_timeout;
    outstanding_.emplace(r.sequence_number, outstanding_request{id, cookie, deadline});
    deadlines_.emplace_back(deadline, r.sequence_number);
  }
  finish(now);
  return r;
}

std::error_code session_fsm::respond(session_clock::time_point now, std::uint32_t sequence_number,
                                     std::uint32_t command_status,
                                     std::span<const std::uint8_t> body) {
  begin(now);
  std::error_code ec;
  auto it = inbound_.find(sequence_number);
  if (state_ == bind_state::closed || it == inbound_.end()) {
    ec = session_errc::unknown_sequence;
  } else {
    command_id id = it->second;
    inbound_.erase(it);
    write_pdu(raw(id) | response_bit, command_status, sequence_number, body);
    if (auto type = bind_type_of(id)) {
      inbound_bind_.reset();
      if (command_status == rok) {
        state_ = bound_state(*type);
        bound_type_ = type;
        last_received_ = now;
        session_action a;
        a.what = session_action::kind::bound;
        actions_.push_back(a);
      } else {
        state_ = bind_state::open;
      }
    }
  }
  finish(now);
  return ec;
}

std::error_code session_fsm::reject(session_clock::time_point now, std::uint32_t sequence_number,
                                    std::uint32_t command_status) {
  begin(now);
  std::error_code ec;
  auto it = inbound_.find(sequence_number);
  if (state_ == bind_state::closed || it == inbound_.end()) {
    ec = session_errc::unknown_sequence;
  } else {
    if (bind_type_of(it->second)) {
      inbound_bind_.reset();
      state_ = bind_state::open;
    }
    inbound_.erase(it);
    write_pdu(raw(command_id::generic_nack), command_status, sequence_number, {});
  }
  finish(now);
  return ec;
}

void session_fsm::unbind(session_clock::time_point now) {
  begin(now);
  if (is_bound()) {
    std::uint32_t seq = next_sequence();
    write_pdu(raw(command_id::unbind), rok, seq, {});
    unbind_ = pending_control{seq, 0, now + config_.unbind_timeout, bind_type::transceiver};
    state_ = bind_state::unbinding;
  } else if (state_ != bind_state::unbinding && state_ != bind_state::closed) {
    close(session_errc::unbound, false);
  }
  finish(now);
}

std::size_t session_fsm::on_bytes(session_clock::time_point now,
                                  std::span<const std::uint8_t> bytes) {
  begin(now);
  std::size_t consumed = 0;
  while (state_ != bind_state::closed) {
    auto rest = bytes.subspan(consumed);
    auto header = peek_header(rest);
    if (!header) break;
    if (header->command_length < header_size ||
        header->command_length > config_.max_command_length) {
      // Framing is lost: answer once, then close without reading (or allocating) any further.
      write_pdu(raw(command_id::generic_nack), rinvcmdlen, header->sequence_number, {});
      close(session_errc::invalid_command_length, true);
      consumed = bytes.size();
      break;
    }
    if (rest.size() < header->command_length) break;
    handle_frame(now, *header, rest.subspan(header_size, header->command_length - header_size));
    consumed += header->command_length;
  }
  if (state_ == bind_state::closed) consumed = bytes.size();
  finish(now);
  return consumed;
}

void session_fsm::handle_frame(session_clock::time_point now, const pdu_header& header,
                               std::span<const std::uint8_t> body) {
  last_received_ = now;
  if ((header.command_id & response_bit) != 0) {
    handle_response(header, body);
  } else {
    handle_request(header, body);
  }
}

void session_fsm::handle_response(const pdu_header& header, std::span<const std::uint8_t> body) {
  const std::uint32_t id = header.command_id;
  const std::uint32_t seq = header.sequence_number;
  const bool nack = id == raw(command_id::generic_nack);
  auto matches = [&](const std::optional<pending_control>& p, command_id req) {
    return p && p->sequence == seq && (nack || id == (raw(req) | response_bit));
  };

  if (matches(bind_, bind_request_id(bind_ ? bind_->type : bind_type::transceiver))) {
    pending_control b = *bind_;
    bind_.reset();
    session_action a;
    a.what = session_action::kind::complete;
    a.header = header;
    a.body = body;
    a.cookie = b.cookie;
    actions_.push_back(a);
    if (!nack && header.command_status == rok) {
      state_ = bound_state(b.type);
      bound_type_ = b.type;
      session_action bound;
      bound.what = session_action::kind::bound;
      actions_.push_back(bound);
    } else {
      close(session_errc::bind_rejected, false);
    }
    return;
  }
  if (matches(unbind_, command_id::unbind)) {
    unbind_.reset();
    close(session_errc::unbound, false);
    return;
  }
  if (matches(enquire_, command_id::enquire_link)) {
    enquire_.reset();
    return;
  }
  auto it = outstanding_.find(seq);
  if (it != outstanding_.end() && (nack || id == (raw(it->second.id) | response_bit))) {
    session_action a;
    a.what = session_action::kind::complete;
    a.header = header;
    a.body = body;
    a.cookie = it->second.cookie;
    outstanding_.erase(it);
    actions_.push_back(a);
    return;
  }
  ++unmatched_responses_;
}

void session_fsm::handle_request(const pdu_header& header, std::span<const std::uint8_t> body) {
  const std::uint32_t seq = header.sequence_number;
  if (!is_known_command_id(header.command_id)) {
    write_pdu(raw(command_id::generic_nack), rinvcmdid, seq, {});
    return;
  }
  const auto id = static_cast<command_id>(header.command_id);
  auto deliver = [&] {
    session_action a;
    a.what = session_action::kind::deliver;
    a.header = header;
    a.body = body;
    actions_.push_back(a);
  };
  auto answer = [&](std::uint32_t status) {
    write_pdu(header.command_id | response_bit, status, seq, {});
  };

  switch (id) {
    case command_id::enquire_link: answer(rok); return;
    case command_id::unbind:
      if (is_bound() || state_ == bind_state::unbinding) {
        answer(rok);
        close(session_errc::unbound_by_peer, true);
      } else {
        answer(rinvbndsts);
      }
      return;
    case command_id::bind_transmitter:
    case command_id::bind_receiver:
    case command_id::bind_transceiver:
      if (role_ == session_role::smsc && state_ == bind_state::open) {
        inbound_bind_ = bind_type_of(id);
        state_ = bind_state::binding;
        inbound_[seq] = id;
        deliver();
      } else if (is_bound() || state_ == bind_state::binding) {
        answer(ralybnd);
      } else {
        answer(rinvbndsts);
      }
      return;
    case command_id::outbind:  // no response is defined; the application may bind
      if (role_ == session_role::esme && state_ == bind_state::open) deliver();
      return;
    case command_id::alert_notification:  // no response is defined
      if (inbound_allowed(id)) deliver();
      return;
    default: break;
  }
  if (!inbound_allowed(id)) {
    answer(rinvbndsts);
    return;
  }
  if (inbound_.size() >= config_.inbound_window) {
    answer(rmsgqful);
    return;
  }
  inbound_[seq] = id;
  deliver();
}

void session_fsm::on_timer(session_clock::time_point now) {
  begin(now);
  armed_.reset();
  if (state_ != bind_state::closed) {
    if (bind_ && bind_->deadline <= now) {
      close(session_errc::bind_timeout, false);
    } else if (unbind_ && unbind_->deadline <= now) {
      close(session_errc::unbind_timeout, false);
    } else if (enquire_ && enquire_->deadline <= now) {
      close(session_errc::dead_peer, false);
    } else {
      while (!deadlines_.empty() && deadlines_.front().first <= now) {
        auto [deadline, seq] = deadlines_.front();
        deadlines_.pop_front();
        auto it = outstanding_.find(seq);
        if (it == outstanding_.end() || it->second.deadline != deadline) continue;
        session_action a;
        a.what = session_action::kind::fail;
        a.cookie = it->second.cookie;
        a.error = session_errc::response_timeout;
        outstanding_.erase(it);
        actions_.push_back(a);
      }
      if (is_bound() && !enquire_ && config_.enquire_link_interval.count() > 0 &&
          now - last_received_ >= config_.enquire_link_interval) {
        std::uint32_t seq = next_sequence();
        write_pdu(raw(command_id::enquire_link), rok, seq, {});
        enquire_ = pending_control{seq, 0, now + config_.enquire_link_timeout,
                                   bind_type::transceiver};
      }
    }
  }
  finish(now);
}

void session_fsm::on_closed(std::error_code reason) {
  actions_.clear();
  output_at_begin_ = output_.size();
  if (state_ == bind_state::closed) return;
  fail_all(reason ? reason : make_error_code(session_errc::connection_closed));
  state_ = bind_state::closed;
  armed_.reset();
}

void session_fsm::fail_all(std::error_code reason) {
  auto fail = [&](std::uint64_t cookie) {
    session_action a;
    a.what = session_action::kind::fail;
    a.cookie = cookie;
    a.error = reason;
    actions_.push_back(a);
  };
  if (bind_) fail(bind_->cookie);
  // Fail in sending order so the caller can requeue in the original order.
  for (auto& [deadline, seq] : deadlines_) {
    auto it = outstanding_.find(seq);
    if (it == outstanding_.end() || it->second.deadline != deadline) continue;
    fail(it->second.cookie);
    outstanding_.erase(it);
  }
  for (auto& [seq, r] : outstanding_) fail(r.cookie);
  outstanding_.clear();
  deadlines_.clear();
  bind_.reset();
  unbind_.reset();
  enquire_.reset();
  inbound_.clear();
  inbound_bind_.reset();
}

void session_fsm::close(std::error_code reason, bool flush) {
  if (state_ == bind_state::closed) return;
  fail_all(reason);
  state_ = bind_state::closed;
  armed_.reset();
  session_action a;
  a.what = session_action::kind::close;
  a.error = reason == session_errc::unbound ? std::error_code{} : reason;
  a.flush = flush;
  actions_.push_back(a);
}

}  // namespace smpp
