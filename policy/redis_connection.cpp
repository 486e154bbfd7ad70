#include "policy/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <charconv>

#include "policy/store_error.hpp"

namespace policy {

namespace asio = boost::asio;

// ---------------------------------------------------------------------------------------------
// URL

std::optional<redis_endpoint> parse_redis_url(std::string_view url, std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<redis_endpoint> {
    if (error) *error = "invalid Redis URL \"" + std::string(url) + "\": " + msg;
    return std::nullopt;
  };
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return fail("expected redis://host:port/db");
  std::string_view rest = url.substr(scheme.size());
  redis_endpoint ep;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (auto colon = cred.find(':'); colon != std::string_view::npos) {
      ep.username = std::string(cred.substr(0, colon));
      ep.password = std::string(cred.substr(colon + 1));
    } else {
      ep.password = std::string(cred);
    }
  }
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), ep.db);
      if (ec != std::errc() || p != db.data() + db.size() || ep.db < 0) return fail("bad database number");
    }
  }
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), ep.port);
    if (ec != std::errc() || p != port.data() + port.size() || ep.port <= 0 || ep.port > 65535) {
      return fail("bad port");
    }
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return fail("missing host");
  ep.host = std::string(hostport);
  return ep;
}

// ---------------------------------------------------------------------------------------------
// hiredis <-> Asio: hiredis says when it wants to read or write; we wait for readiness of its
// socket with stream_descriptor::async_wait and call redisAsyncHandleRead/Write. The descriptor
// never owns the fd: hiredis closes it, so cleanup() release()s it (which also cancels the waits).

class redis_connection::bridge : public std::enable_shared_from_this<bridge> {
 public:
  bridge(const asio::strand<asio::any_io_executor>& strand, redisAsyncContext* ac)
      : sd_(strand, ac->c.fd), ac_(ac) {}

  static void attach(const std::shared_ptr<bridge>& b) {
    redisAsyncContext* ac = b->ac_;
    ac->ev.data = b.get();
    ac->ev.addRead = [](void* p) { static_cast<bridge*>(p)->want_read(true); };
    ac->ev.delRead = [](void* p) { static_cast<bridge*>(p)->want_read(false); };
    ac->ev.addWrite = [](void* p) { static_cast<bridge*>(p)->want_write(true); };
    ac->ev.delWrite = [](void* p) { static_cast<bridge*>(p)->want_write(false); };
    ac->ev.cleanup = [](void* p) { static_cast<bridge*>(p)->cleanup(); };
    b->self_ = b;  // kept alive by hiredis until cleanup()
  }

 private:
  void want_read(bool on) noexcept {
    reading_ = on;
    if (on) arm_read();
  }
  void want_write(bool on) noexcept {
    writing_ = on;
    if (on) arm_write();
  }
  void cleanup() noexcept {
    ac_ = nullptr;
    reading_ = writing_ = false;
    boost::system::error_code ignored;
    if (sd_.is_open()) sd_.release();  // cancels the waits; hiredis closes the fd
    (void)ignored;
    // Handlers still queued hold their own reference; drop the one hiredis held.
    auto keep = std::move(self_);
    asio::post(sd_.get_executor(), [keep] {});
  }

  void arm_read() {
    if (read_armed_ || !reading_ || !ac_) return;
    read_armed_ = true;
    sd_.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
      self->read_armed_ = false;
      if (ec || !self->ac_ || !self->reading_) return;
      redisAsyncHandleRead(self->ac_);  // may free the context (cleanup() clears ac_)
      self->arm_read();
    });
  }
  void arm_write() {
    if (write_armed_ || !writing_ || !ac_) return;
    write_armed_ = true;
    sd_.async_wait(asio::posix::stream_descriptor::wait_write, [self = shared_from_this()](boost::system::error_code ec) {
      self->write_armed_ = false;
      if (ec || !self->ac_ || !self->writing_) return;
      redisAsyncHandleWrite(self->ac_);
      self->arm_write();
    });
  }

  asio::posix::stream_descriptor sd_;
  redisAsyncContext* ac_;
  bool reading_ = false, writing_ = false, read_armed_ = false, write_armed_ = false;
  std::shared_ptr<bridge> self_;
};

// ---------------------------------------------------------------------------------------------

namespace {

redis_value convert(const redisReply* r) {
  redis_value v;
  switch (r->type) {
    case REDIS_REPLY_STRING: v.k = redis_value::kind::string; v.str.assign(r->str, r->len); break;
    case REDIS_REPLY_STATUS: v.k = redis_value::kind::status; v.str.assign(r->str, r->len); break;
    case REDIS_REPLY_ERROR: v.k = redis_value::kind::error; v.str.assign(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: v.k = redis_value::kind::integer; v.integer = r->integer; break;
    case REDIS_REPLY_ARRAY:
      v.k = redis_value::kind::array;
      v.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(convert(r->element[i]));
      break;
    default: v.k = redis_value::kind::nil; break;
  }
  return v;
}

// Appends the decimal digits of `n`.
void append_decimal(std::string& out, std::size_t n) {
  char digits[20];
  std::size_t i = sizeof digits;
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(digits + i, sizeof digits - i);
}

}  // namespace

void format_command(const std::vector<std::string>& args, std::string& out) {
  std::size_t size = 16;
  for (const auto& a : args) size += a.size() + 16;
  out.clear();
  out.reserve(size);
  out += '*';
  append_decimal(out, args.size());
  out += "\r\n";
  for (const auto& a : args) {
    out += '$';
    append_decimal(out, a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
}

std::shared_ptr<redis_connection> redis_connection::create(asio::any_io_executor ex, redis_connection_options opts) {
  return std::shared_ptr<redis_connection>(new redis_connection(std::move(ex), std::move(opts)));
}

redis_connection::redis_connection(asio::any_io_executor ex, redis_connection_options opts)
    : strand_(asio::make_strand(ex)),
      opts_(std::move(opts)),
      reconnect_timer_(strand_),
      watchdog_timer_(strand_),
      backoff_(opts_.backoff_min) {}

redis_connection::~redis_connection() {
  // stop() must have run; if not (owner destroyed without stopping), free the context here:
  // pending handlers are failed without touching the strand.
  if (ac_) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
}

void redis_connection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ != state::stopped || self->stopping_) return;
    self->connect();
    self->watchdog();
  });
}

void redis_connection::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->reconnect_timer_.cancel();
    self->watchdog_timer_.cancel();
    self->kill_context(store_errc::shutting_down);
    self->fail_all(store_errc::shutting_down);
    self->state_ = state::stopped;
  });
}

void redis_connection::connect() {
  state_ = state::connecting;
  connect_started_ = std::chrono::steady_clock::now();
  redisAsyncContext* ac = redisAsyncConnect(opts_.endpoint.host.c_str(), opts_.endpoint.port);
  if (!ac) {
    last_error_ = "out of memory creating the Redis context";
    schedule_reconnect();
    return;
  }
  if (ac->err) {
    last_error_ = std::string("cannot connect to Redis: ") + ac->errstr;
    redisAsyncFree(ac);
    schedule_reconnect();
    return;
  }
  ac_ = ac;
  ac->data = this;
  bridge_ = std::make_shared<bridge>(strand_, ac);
  bridge::attach(bridge_);
  redisAsyncSetConnectCallback(ac, &redis_connection::on_connect_c);
  redisAsyncSetDisconnectCallback(ac, &redis_connection::on_disconnect_c);
}

void redis_connection::schedule_reconnect() {
  ac_ = nullptr;
  bridge_.reset();
  if (stopping_) {
    state_ = state::stopped;
    return;
  }
  if (state_ != state::refused) state_ = state::connecting;
  auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.backoff_max);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopping_ || self->ac_) return;
    self->connect();
  });
}

void redis_connection::on_connect_c(const redisAsyncContext* ac, int status) noexcept {
  auto* self = static_cast<redis_connection*>(ac->data);
  if (!self) return;
  try {
    self->on_connected(status);
  } catch (...) {
  }
}

void redis_connection::on_disconnect_c(const redisAsyncContext* ac, int) noexcept {
  auto* self = static_cast<redis_connection*>(ac->data);
  if (!self) return;
  try {
    if (self->ac_ == ac) self->on_disconnected();
  } catch (...) {
  }
}

void redis_connection::on_reply_c(redisAsyncContext* ac, void* reply, void* privdata) noexcept {
  auto* self = static_cast<redis_connection*>(ac->data);
  if (!self) return;
  try {
    auto it = self->pending_.find(reinterpret_cast<std::uintptr_t>(privdata));
    if (it == self->pending_.end()) return;  // already failed (timeout / stop)
    auto h = std::move(it->second.handler);
    self->pending_.erase(it);
    if (!reply) {
      std::error_code ec = self->kill_reason_ ? self->kill_reason_ : make_error_code(store_errc::unavailable);
      h(ec, redis_value{});
      return;
    }
    h({}, convert(static_cast<const redisReply*>(reply)));
  } catch (...) {
    // A handler threw: never let it unwind through C.
  }
}

void redis_connection::on_connected(int status) {
  if (status != REDIS_OK) {
    last_error_ = std::string("cannot connect to Redis at ") + opts_.endpoint.host + ":" +
                  std::to_string(opts_.endpoint.port) + ": " + (ac_ && ac_->errstr ? ac_->errstr : "error");
    // hiredis frees the context after this callback (no disconnect callback: never connected).
    ac_->data = nullptr;
    schedule_reconnect();
    return;
  }
  state_ = state::initialising;
  handshake();
}

void redis_connection::handshake() {
  auto self = shared_from_this();
  auto finish_init = [self](std::error_code ec, std::string msg) {
    if (!self->ac_ || self->stopping_) return;
    if (ec) {
      self->last_error_ = std::move(msg);
      if (ec == store_errc::not_ready) self->refused_ = true;
      self->state_ = self->refused_ ? state::refused : state::connecting;
      // Keep the connection closed and try again later (an operator may fix the config).
      self->kill_context(ec);
      return;
    }
    self->state_ = state::ready;
    self->refused_ = false;
    self->backoff_ = self->opts_.backoff_min;
    self->last_error_.clear();
  };
  auto run_hook = [self, finish_init] {
    if (self->init_hook_) {
      self->init_hook_(finish_init);
    } else {
      finish_init({}, {});
    }
  };
  auto select_then_hook = [self, run_hook, finish_init] {
    if (self->opts_.endpoint.db == 0) return run_hook();
    self->command_on_strand({"SELECT", std::to_string(self->opts_.endpoint.db)},
                            [run_hook, finish_init](std::error_code ec, redis_value v) {
                              if (ec) return finish_init(ec, "SELECT failed");
                              if (v.is_error()) return finish_init(store_errc::not_ready, "SELECT failed: " + v.str);
                              run_hook();
                            },
                            true);
  };
  if (opts_.endpoint.password.empty()) return select_then_hook();
  std::vector<std::string> auth{"AUTH"};
  if (!opts_.endpoint.username.empty()) auth.push_back(opts_.endpoint.username);
  auth.push_back(opts_.endpoint.password);
  command_on_strand(std::move(auth),
                    [select_then_hook, finish_init](std::error_code ec, redis_value v) {
                      if (ec) return finish_init(ec, "AUTH failed");
                      if (v.is_error()) return finish_init(store_errc::not_ready, "Redis AUTH failed: " + v.str);
                      select_then_hook();
                    },
                    true);
}

void redis_connection::on_disconnected() {
  // hiredis frees the context after this callback; pending callbacks already got NULL replies.
  if (!stopping_ && last_error_.empty()) last_error_ = "connection to Redis lost";
  if (state_ != state::refused) state_ = state::connecting;
  schedule_reconnect();
}

void redis_connection::kill_context(std::error_code reason) {
  if (!ac_) return;
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  kill_reason_ = reason;
  ac->data = this;  // replies still get failed through on_reply_c
  redisAsyncSetDisconnectCallback(ac, nullptr);
  redisAsyncFree(ac);  // fails pending callbacks with NULL, calls cleanup, closes the fd
  kill_reason_ = {};
  fail_all(reason);
  if (!stopping_) schedule_reconnect();
}

void redis_connection::fail_all(std::error_code ec) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [_, p] : pending) p.handler(ec, redis_value{});
}

void redis_connection::watchdog() {
  watchdog_timer_.expires_after(std::chrono::milliseconds(100));
  watchdog_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopping_) return;
    auto now = std::chrono::steady_clock::now();
    if (self->ac_ && (self->state_ == state::connecting) && now - self->connect_started_ > self->opts_.connect_timeout) {
      self->last_error_ = "connecting to Redis timed out";
      self->kill_context(store_errc::timeout);
    } else if (!self->pending_.empty() && now - self->pending_.begin()->second.sent > self->opts_.request_timeout) {
      self->last_error_ = "Redis did not answer within the request timeout; reconnecting";
      self->state_ = state::connecting;
      self->kill_context(store_errc::timeout);
    }
    self->watchdog();
  });
}

void redis_connection::command(std::vector<std::string> args, reply_handler h) {
  asio::dispatch(strand_, [self = shared_from_this(), args = std::move(args), h = std::move(h)]() mutable {
    self->command_on_strand(std::move(args), std::move(h));
  });
}

void redis_connection::command_on_strand(const std::vector<std::string>& args, reply_handler h, bool during_init) {
  bool usable = ac_ && (state_ == state::ready || (during_init && state_ == state::initialising));
  if (!usable) {
    std::error_code ec = stopping_ ? make_error_code(store_errc::shutting_down)
                         : refused_ ? make_error_code(store_errc::not_ready)
                                                    : make_error_code(store_errc::unavailable);
    asio::post(strand_, [h = std::move(h), ec] { h(ec, redis_value{}); });
    return;
  }
  format_command(args, command_buffer_);
  std::uint64_t id = next_id_++;
  pending_.emplace(id, pending{std::move(h), std::chrono::steady_clock::now()});
  int rc = redisAsyncFormattedCommand(ac_, &redis_connection::on_reply_c,
                                      reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)), command_buffer_.data(),
                                      command_buffer_.size());
  if (rc != REDIS_OK) {
    auto it = pending_.find(id);
    if (it != pending_.end()) {
      auto hh = std::move(it->second.handler);
      pending_.erase(it);
      asio::post(strand_, [hh = std::move(hh)] { hh(make_error_code(store_errc::unavailable), redis_value{}); });
    }
  }
}

}  // namespace policy
