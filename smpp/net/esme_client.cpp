#include "smpp/net/esme_client.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <random>
#include <unordered_map>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "smpp/net/session.hpp"
#include "smpp/net/smsc_server.hpp"

namespace smpp::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t rok = 0x00;
constexpr std::uint32_t rmsgqful = 0x14;
constexpr std::uint32_t rthrottled = 0x58;
constexpr std::uint32_t rx_t_appn = 0x64;
constexpr std::uint64_t bind_cookie = ~std::uint64_t{0};

class link_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smpp.link"; }
  std::string message(int ev) const override {
    switch (static_cast<link_errc>(ev)) {
      case link_errc::queue_full: return "carrier link queue full";
      case link_errc::stopped: return "carrier link stopped";
      case link_errc::deadline_passed: return "not sent before its deadline";
    }
    return "unknown carrier link error";
  }
};

std::string read_message_id(std::span<const std::uint8_t> body) {
  std::size_t n = 0;
  while (n < body.size() && n < 65 && body[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(body.data()), n);
}

}  // namespace

const std::error_category& link_category() noexcept {
  static const link_category_impl category;
  return category;
}

std::error_code make_error_code(link_errc e) noexcept {
  return {static_cast<int>(e), link_category()};
}

// ---- inbound_responder -----------------------------------------------------------------------

inbound_responder::inbound_responder(std::weak_ptr<session> s, asio::any_io_executor ex,
                                     std::uint32_t sequence_number)
    : session_(std::move(s)), executor_(std::move(ex)), sequence_(sequence_number), pending_(true) {}

inbound_responder::inbound_responder(inbound_responder&& other) noexcept
    : session_(std::move(other.session_)),
      executor_(std::move(other.executor_)),
      sequence_(other.sequence_),
      pending_(std::exchange(other.pending_, false)) {}

inbound_responder& inbound_responder::operator=(inbound_responder&& other) noexcept {
  if (this != &other) {
    if (pending_) respond(rx_t_appn);
    session_ = std::move(other.session_);
    executor_ = std::move(other.executor_);
    sequence_ = other.sequence_;
    pending_ = std::exchange(other.pending_, false);
  }
  return *this;
}

inbound_responder::~inbound_responder() {
  if (pending_) respond(rx_t_appn);
}

void inbound_responder::respond(std::uint32_t command_status, std::vector<std::uint8_t> body) {
  if (!pending_) return;
  pending_ = false;
  asio::post(executor_, [w = session_, seq = sequence_, command_status, b = std::move(body)] {
    if (auto s = w.lock()) s->respond(seq, command_status, b);
  });
}

// ---- carrier_link::impl ----------------------------------------------------------------------

struct carrier_link::impl : std::enable_shared_from_this<carrier_link::impl> {
  struct slot {
    unsigned index = 0;
    bind_type type = bind_type::transceiver;
    std::shared_ptr<session> sess;
    std::shared_ptr<tcp::resolver> resolver;
    std::shared_ptr<tcp::socket> connecting_socket;
    bool connecting = false;
    bool bound = false;
    unsigned attempts = 0;
    std::optional<clock_type::time_point> bound_since;
    std::uint32_t bind_status = 0;
    std::uint64_t generation = 0;
    asio::steady_timer timer;
    explicit slot(const asio::any_io_executor& ex) : timer(ex) {}
  };

  struct queued {
    std::uint64_t order;
    outbound_message msg;
    clock_type::time_point sent_at{};  // in flight: when it was written (for the governor)
  };

  class slot_handler final : public session_handler {
   public:
    slot_handler(std::weak_ptr<impl> link, unsigned slot) : link_(std::move(link)), slot_(slot) {}
    void on_bound(session&) override {
      if (auto l = link_.lock()) l->on_bound(slot_);
    }
    void on_request(session& s, const pdu_header& h, std::span<const std::uint8_t> body) override {
      if (auto l = link_.lock()) l->on_request(slot_, s, h, body);
    }
    void on_response(session&, std::uint64_t cookie, const pdu_header& h,
                     std::span<const std::uint8_t> body) override {
      if (auto l = link_.lock()) l->on_response(slot_, cookie, h, body);
    }
    void on_failure(session&, std::uint64_t cookie, std::error_code ec) override {
      if (auto l = link_.lock()) l->on_failure(cookie, ec);
    }
    void on_closed(session&, std::error_code ec) override {
      if (auto l = link_.lock()) l->on_closed(slot_, ec);
    }

   private:
    std::weak_ptr<impl> link_;
    unsigned slot_;
  };

  impl(asio::any_io_executor ex, carrier_link_config c, carrier_link_handler h)
      : strand(asio::make_strand(ex)),
        cfg(std::move(c)),
        handler(std::move(h)),
        bucket(cfg.tps, cfg.burst > 0 ? cfg.burst : std::max(1.0, cfg.tps / 10), clock_type::now()),
        governor(cfg.throttle),
        pump_timer(strand),
        rng(std::random_device{}()) {
    allowed_tps = cfg.tps;
  }

  asio::strand<asio::any_io_executor> strand;
  carrier_link_config cfg;
  carrier_link_handler handler;
  token_bucket bucket;
  throttle_governor governor;
  asio::steady_timer pump_timer;
  std::optional<clock_type::time_point> pump_at;
  std::deque<queued> queue;
  std::uint64_t next_order = 1;
  std::unordered_map<std::uint64_t, queued> in_flight;
  std::vector<std::unique_ptr<slot>> slots;
  std::size_t round_robin = 0;
  bool started = false;
  bool stopping = false;
  bool unbinding = false;
  std::function<void()> stop_done;
  std::mt19937_64 rng;

  std::atomic<std::uint64_t> n_submitted{0}, n_accepted{0}, n_rejected{0}, n_throttled{0},
      n_failed{0}, n_inbound{0}, n_connects{0};
  std::atomic<std::size_t> n_queued{0}, n_in_flight{0};
  std::atomic<unsigned> n_bound{0};
  std::atomic<double> allowed_tps{0};

  void emit(link_event e) {
    if (handler.on_event) handler.on_event(e);
  }

  void report(submit_outcome o) {
    if (handler.on_result) handler.on_result(std::move(o));
  }

  // -- connection management --

  void start() {
    if (started || stopping) return;
    started = true;
    for (unsigned i = 0; i < cfg.sessions; ++i) {
      if (cfg.bind == bind_mode::transceiver) {
        add_slot(bind_type::transceiver);
      } else {
        add_slot(bind_type::transmitter);
        add_slot(bind_type::receiver);
      }
    }
    for (auto& s : slots) connect(s->index);
  }

  void add_slot(bind_type t) {
    auto s = std::make_unique<slot>(strand);
    s->index = static_cast<unsigned>(slots.size());
    s->type = t;
    slots.push_back(std::move(s));
  }

  void connect(unsigned i) {
    auto& s = *slots[i];
    if (stopping) return;
    const std::uint64_t gen = ++s.generation;
    s.connecting = true;
    emit({link_event_kind::connecting, i, {}, 0, {}, false, 0});
    s.resolver = std::make_shared<tcp::resolver>(strand);
    auto self = shared_from_this();
    s.resolver->async_resolve(
        cfg.host, std::to_string(cfg.port),
        [self, i, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
          self->on_resolved(i, gen, ec, std::move(results));
        });
  }

  void on_resolved(unsigned i, std::uint64_t gen, boost::system::error_code ec,
                   tcp::resolver::results_type results) {
    auto& s = *slots[i];
    if (gen != s.generation) return;
    if (ec || stopping) return connect_failed(i, ec ? std::error_code(ec) : std::error_code());
    auto sock = std::make_shared<tcp::socket>(strand);
    s.connecting_socket = sock;
    s.timer.expires_after(cfg.connect_timeout);
    s.timer.async_wait([sock](boost::system::error_code e) {
      if (!e) {
        boost::system::error_code ignored;
        sock->close(ignored);  // connect timeout
      }
    });
    auto self = shared_from_this();
    asio::async_connect(*sock, results,
                        [self, i, gen, sock](boost::system::error_code e, const tcp::endpoint&) {
                          self->on_connected(i, gen, e, sock);
                        });
  }

  void on_connected(unsigned i, std::uint64_t gen, boost::system::error_code ec,
                    const std::shared_ptr<tcp::socket>& sock) {
    auto& s = *slots[i];
    if (gen != s.generation) return;
    s.timer.cancel();
    s.connecting_socket.reset();
    if (ec || stopping) {
      boost::system::error_code ignored;
      sock->close(ignored);
      return connect_failed(i, ec ? std::error_code(ec) : std::error_code());
    }
    if (!cfg.tls.enabled) return on_transport(i, make_tcp_transport(std::move(*sock)));
    auto self = shared_from_this();
    async_tls_client_handshake(
        std::move(*sock), cfg.tls, cfg.host, cfg.connect_timeout,
        [self, i, gen](boost::system::error_code e, std::unique_ptr<transport> t) {
          // The handshake completes on the socket's executor: the strand.
          if (gen != self->slots[i]->generation) return;
          if (e || self->stopping) return self->connect_failed(i, e);
          self->on_transport(i, std::move(t));
        });
  }

  void connect_failed(unsigned i, std::error_code ec) {
    auto& s = *slots[i];
    s.connecting = false;
    if (stopping) return maybe_finish_stop();
    schedule_reconnect(i, link_event_kind::disconnected, ec, 0);
  }

  void on_transport(unsigned i, std::unique_ptr<transport> t) {
    auto& s = *slots[i];
    s.connecting = false;
    session_config sc;
    sc.role = session_role::esme;
    sc.window = cfg.window;
    sc.response_timeout = cfg.response_timeout;
    sc.enquire_link_interval = cfg.enquire_link_interval;
    sc.enquire_link_timeout = cfg.enquire_link_timeout;
    sc.bind_timeout = cfg.bind_timeout;
    sc.unbind_timeout = cfg.unbind_timeout;
    sc.max_command_length = cfg.max_command_length;
    auto h = std::make_shared<slot_handler>(weak_from_this(), i);
    s.sess = std::make_shared<session>(std::move(t), strand, sc, h);
    s.bind_status = 0;
    s.sess->start();
    s.sess->bind(s.type, encode_bind_body(cfg.system_id, cfg.password, cfg.system_type),
                 bind_cookie);
  }

  std::chrono::milliseconds reconnect_delay(slot& s) {
    auto now = clock_type::now();
    if (s.bound_since && now - *s.bound_since >= cfg.reconnect_stable) s.attempts = 0;
    s.bound_since.reset();
    double base = static_cast<double>(cfg.reconnect_min.count()) *
                  std::pow(2.0, static_cast<double>(std::min(s.attempts, 30U)));
    base = std::min(base, static_cast<double>(cfg.reconnect_max.count()));
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double factor = 1.0 - std::clamp(cfg.reconnect_jitter, 0.0, 1.0) * u(rng);
    ++s.attempts;
    return std::chrono::milliseconds(static_cast<std::int64_t>(base * factor));
  }

  void schedule_reconnect(unsigned i, link_event_kind why, std::error_code ec,
                          std::uint32_t status) {
    auto& s = *slots[i];
    auto delay = reconnect_delay(s);
    emit({why, i, ec, status, delay, false, 0});
    s.timer.expires_after(delay);
    auto self = shared_from_this();
    s.timer.async_wait([self, i](boost::system::error_code e) {
      if (!e && !self->stopping) self->connect(i);
    });
  }

  // -- session callbacks --

  void on_bound(unsigned i) {
    auto& s = *slots[i];
    s.bound = true;
    s.bound_since = clock_type::now();
    ++n_bound;
    ++n_connects;
    emit({link_event_kind::bound, i, {}, 0, {}, false, 0});
    if (stopping && unbinding) {
      s.sess->unbind();
      return;
    }
    pump();
  }

  void on_request(unsigned i, session& sess, const pdu_header& h,
                  std::span<const std::uint8_t> body) {
    auto id = static_cast<command_id>(h.command_id);
    if (id != command_id::deliver_sm && id != command_id::data_sm) return;  // alert, outbind
    ++n_inbound;
    if (!handler.on_inbound) {
      sess.respond(h.sequence_number, rx_t_appn);  // nobody to take it: the carrier retries
      return;
    }
    auto whole = whole_pdu(body);
    inbound_message m{h, std::vector<std::uint8_t>(whole.begin(), whole.end()), i};
    handler.on_inbound(std::move(m),
                       inbound_responder(sess.weak_from_this(), strand, h.sequence_number));
  }

  void on_response(unsigned i, std::uint64_t cookie, const pdu_header& h,
                   std::span<const std::uint8_t> body) {
    if (cookie == bind_cookie) {
      slots[i]->bind_status = h.command_status;  // a refusal closes the session next
      return;
    }
    auto it = in_flight.find(cookie);
    if (it == in_flight.end()) return;
    queued entry = std::move(it->second);
    in_flight.erase(it);
    --n_in_flight;
    const std::uint32_t status = h.command_status;
    if (status == rthrottled || status == rmsgqful) {
      ++n_throttled;
      const auto now = clock_type::now();
      const bool lowered = governor.throttled(entry.sent_at, now, cfg.tps);
      if (lowered) {
        apply_rate(now);
        bucket.drain(now);  // the next submit waits one token at the new rate
      }
      emit({link_event_kind::throttled, i, {}, status, cfg.throttle.pause, lowered, allowed_tps.load()});
      requeue(std::move(entry));
      after_completion();
      return;
    }
    submit_outcome o;
    o.cookie = entry.msg.cookie;
    o.command_status = status;
    o.classification = classify(static_cast<command_status>(status));
    if (status == rok && h.command_id != static_cast<std::uint32_t>(command_id::generic_nack)) {
      o.message_id = read_message_id(body);
      ++n_accepted;
      governor.accepted(entry.msg.segments, clock_type::now());
    } else {
      if (status == rok) {  // a generic_nack with status 0 is still a refusal
        o.command_status = static_cast<std::uint32_t>(command_status::esme_rinvcmdid);
        o.classification = status_class::permanent;
      }
      ++n_rejected;
    }
    report(std::move(o));
    after_completion();
  }

  void on_failure(std::uint64_t cookie, std::error_code ec) {
    if (cookie == bind_cookie) return;  // the close that follows reports it
    auto it = in_flight.find(cookie);
    if (it == in_flight.end()) return;
    submit_outcome o;
    o.cookie = it->second.msg.cookie;
    o.error = ec;
    o.classification = status_class::temporary;
    in_flight.erase(it);
    --n_in_flight;
    ++n_failed;
    report(std::move(o));
    after_completion();
  }

  void on_closed(unsigned i, std::error_code ec) {
    auto& s = *slots[i];
    const bool was_bound = s.bound;
    if (s.bound) --n_bound;
    s.bound = false;
    s.sess.reset();
    if (stopping) return maybe_finish_stop();
    if (!was_bound) {
      schedule_reconnect(i, link_event_kind::bind_failed, ec, s.bind_status);
    } else {
      schedule_reconnect(i, link_event_kind::disconnected, ec, 0);
    }
  }

  // -- sending --

  void submit(outbound_message m) {
    if (stopping || queue.size() >= cfg.queue_limit) {
      submit_outcome o;
      o.cookie = m.cookie;
      o.error = stopping ? link_errc::stopped : link_errc::queue_full;
      o.classification = status_class::temporary;
      // Posted, not called: a handler that resubmits on this outcome must not recurse.
      asio::post(strand, [self = shared_from_this(), o = std::move(o)]() mutable {
        self->report(std::move(o));
      });
      return;
    }
    queue.push_back({next_order++, std::move(m)});
    ++n_queued;
    pump();
  }

  void requeue(queued entry) {
    auto pos = std::lower_bound(queue.begin(), queue.end(), entry.order,
                                [](const queued& q, std::uint64_t o) { return q.order < o; });
    queue.insert(pos, std::move(entry));
    ++n_queued;
  }

  void after_completion() {
    if (stopping) {
      if (in_flight.empty() && !unbinding) unbind_all();
      return;
    }
    pump();
  }

  slot* pick(command_id id, std::uint32_t window) {
    const std::size_t n = slots.size();
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t idx = (round_robin + k) % n;
      auto& s = *slots[idx];
      if (!s.bound || !s.sess || s.type == bind_type::receiver) continue;
      if (!s.sess->fsm().can_request(id) || s.sess->fsm().outstanding() >= window) continue;
      round_robin = idx + 1;
      return &s;
    }
    return nullptr;
  }

  // The token bucket follows the governor: its rate, and a burst scaled down with it (a burst of
  // tps / 10 at a tenth of the rate would let a storm through).
  void apply_rate(clock_type::time_point now) {
    const double rate = governor.rate(now, cfg.tps);
    const double full_burst = cfg.burst > 0 ? cfg.burst : std::max(1.0, cfg.tps / 10);
    double burst = full_burst;
    if (governor.limited(now, cfg.tps)) {
      burst = cfg.tps > 0 ? std::max(1.0, full_burst * rate / cfg.tps) : std::max(1.0, rate / 10);
    }
    if (rate != bucket.rate()) bucket.set_rate(rate, now);
    if (burst != bucket.burst()) bucket.set_burst(burst, now);
    if (allowed_tps.exchange(rate) != rate) emit({link_event_kind::rate_changed, 0, {}, 0, {}, false, rate});
  }

  // Queued messages at the head whose send_by has passed end unsent (deadline_passed), posted
  // like queue_full: a handler that resubmits must not re-enter the pump. Only the head is
  // looked at: the queue is in submission order, so the oldest deadlines are there, and one
  // further back is checked when it gets there, before it could be written.
  void drop_overdue(clock_type::time_point now) {
    while (!queue.empty() && queue.front().msg.send_by <= now) {
      submit_outcome o;
      o.cookie = queue.front().msg.cookie;
      o.error = link_errc::deadline_passed;
      o.classification = status_class::temporary;
      queue.pop_front();
      --n_queued;
      asio::post(strand, [self = shared_from_this(), o = std::move(o)]() mutable { self->report(std::move(o)); });
    }
  }

  void pump() {
    if (stopping) return;
    const auto now = clock_type::now();
    drop_overdue(now);
    if (governor.paused(now)) {
      arm_pump(governor.resume_at());
      return;
    }
    apply_rate(now);
    const bool limited = governor.limited(now, cfg.tps);
    // While limited the pump runs at every step of the governor, also with nothing to send, so
    // that stats().allowed_tps and rate_changed follow the probe back up (one timer a step).
    if (limited) arm_pump(governor.next_change(now, cfg.tps));
    if (queue.empty()) return;
    // Below the configured rate the window shrinks in proportion (at least 1), so that fewer
    // submits are in flight when the carrier says no.
    const auto window = limited && cfg.tps > 0
                            ? std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::ceil(
                                                             cfg.window * bucket.rate() / cfg.tps)))
                            : cfg.window;
    while (!queue.empty()) {
      drop_overdue(now);
      if (queue.empty()) break;
      auto& q = queue.front();
      slot* target = pick(q.msg.id, window);
      if (!target) break;  // pumped again on the next response or bind
      if (!bucket.try_take(q.msg.segments, now)) {
        arm_pump(bucket.available_at(q.msg.segments, now));
        break;
      }
      auto r = target->sess->request(q.msg.id, q.msg.body, q.order);
      if (r.error) break;
      ++n_submitted;
      ++n_in_flight;
      --n_queued;
      governor.sent(now);
      q.sent_at = now;
      std::uint64_t order = q.order;
      in_flight.emplace(order, std::move(q));
      queue.pop_front();
    }
    // Still waiting (window, tokens): woken at the head's deadline too, so that it is reported
    // then and not only at the next answer or token.
    if (!queue.empty()) arm_pump(queue.front().msg.send_by);
  }

  void arm_pump(clock_type::time_point t) {
    if (t == clock_type::time_point::max()) return;
    if (pump_at && *pump_at <= t) return;
    pump_at = t;
    pump_timer.expires_at(t);
    auto self = shared_from_this();
    pump_timer.async_wait([self](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      self->pump_at.reset();
      self->pump();
    });
  }

  // -- shutdown --

  void stop(std::function<void()> done) {
    stop_done = std::move(done);
    if (stopping) return maybe_finish_stop();
    stopping = true;
    pump_timer.cancel();
    auto waiting = std::move(queue);
    queue.clear();
    n_queued = 0;
    for (auto& q : waiting) {
      submit_outcome o;
      o.cookie = q.msg.cookie;
      o.error = link_errc::stopped;
      o.classification = status_class::temporary;
      report(std::move(o));
    }
    for (auto& s : slots) {
      s->timer.cancel();
      if (s->resolver) s->resolver->cancel();
      if (s->connecting_socket) {
        boost::system::error_code ignored;
        s->connecting_socket->close(ignored);
      }
    }
    if (in_flight.empty()) unbind_all();
    maybe_finish_stop();
  }

  void unbind_all() {
    unbinding = true;
    for (auto& s : slots) {
      if (!s->sess) continue;
      if (s->bound) {
        s->sess->unbind();
      } else {
        s->sess->close();  // connecting or binding: nothing to unbind
      }
    }
    maybe_finish_stop();
  }

  void maybe_finish_stop() {
    if (!stopping) return;
    for (auto& s : slots) {
      if (s->sess || s->connecting) return;
    }
    if (stop_done) {
      auto done = std::move(stop_done);
      stop_done = nullptr;
      asio::post(strand, std::move(done));
    }
  }

  // The owner is gone: close everything without reporting (handlers may reference it).
  void abandon() {
    handler = {};
    stopping = true;
    unbinding = true;
    pump_timer.cancel();
    queue.clear();
    for (auto& s : slots) {
      s->timer.cancel();
      if (s->resolver) s->resolver->cancel();
      if (s->connecting_socket) {
        boost::system::error_code ignored;
        s->connecting_socket->close(ignored);
      }
      if (s->sess) s->sess->close();
    }
  }
};

// ---- carrier_link ----------------------------------------------------------------------------

carrier_link::carrier_link(asio::any_io_executor executor, carrier_link_config config,
                           carrier_link_handler handler)
    : impl_(std::make_shared<impl>(std::move(executor), config, std::move(handler))),
      config_(std::move(config)) {}

std::shared_ptr<carrier_link> carrier_link::create(asio::any_io_executor executor,
                                                   carrier_link_config config,
                                                   carrier_link_handler handler) {
  return std::shared_ptr<carrier_link>(
      new carrier_link(std::move(executor), std::move(config), std::move(handler)));
}

carrier_link::~carrier_link() {
  asio::post(impl_->strand, [i = impl_] { i->abandon(); });
}

void carrier_link::start() {
  asio::post(impl_->strand, [i = impl_] { i->start(); });
}

void carrier_link::submit(outbound_message message) {
  // Already on the link's strand (e.g. from on_result): no post, no allocation.
  if (impl_->strand.running_in_this_thread()) {
    impl_->submit(std::move(message));
    return;
  }
  asio::post(impl_->strand, [i = impl_, m = std::move(message)]() mutable {
    i->submit(std::move(m));
  });
}

void carrier_link::set_tps(double tps) {
  asio::post(impl_->strand, [i = impl_, tps] {
    i->cfg.tps = tps;
    i->pump();
  });
}

void carrier_link::async_stop(std::function<void()> done) {
  asio::post(impl_->strand, [i = impl_, d = std::move(done)]() mutable { i->stop(std::move(d)); });
}

link_stats carrier_link::stats() const {
  link_stats s;
  s.submitted = impl_->n_submitted;
  s.accepted = impl_->n_accepted;
  s.rejected = impl_->n_rejected;
  s.throttled = impl_->n_throttled;
  s.failed = impl_->n_failed;
  s.inbound = impl_->n_inbound;
  s.connects = impl_->n_connects;
  s.queued = impl_->n_queued;
  s.in_flight = impl_->n_in_flight;
  s.bound_sessions = impl_->n_bound;
  s.allowed_tps = impl_->allowed_tps;
  return s;
}

}  // namespace smpp::net
