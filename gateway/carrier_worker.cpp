#include "gateway/carrier_worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <chrono>

#include "gateway/io_strand.hpp"
#include "gateway/lease_budget.hpp"
#include "gateway/log.hpp"
#include "gateway/store_call.hpp"
#include "gateway/submit_builder.hpp"
#include "smpp/command_status.hpp"

namespace gateway {

namespace asio = boost::asio;

struct carrier_worker::in_flight {
  policy::queue_entry entry;
  std::size_t parts = 0;
  std::size_t answered = 0;
  std::string carrier_message_id;  // of the last part (the one with the receipt)
  bool temporary_failure = false;
  std::string permanent_error;     // first permanent carrier status, by name
  std::string temporary_error;
  std::int64_t sent_at_ms = 0;
  std::int64_t lease_started_ms = 0;  // the send deadline counts from it (lease_budget.hpp)
  std::size_t accepted = 0;           // parts the carrier accepted
  std::size_t overdue = 0;            // parts the link dropped unsent at their deadline
  bool reply = false;  // an automatic reply: not in the store
  std::vector<smpp::net::outbound_message> staged;  // parts not handed to the link yet
};

// A stop in progress: `done` runs once the link stopped and every release was answered.
struct carrier_worker::stop_state {
  std::size_t pending = 1;  // the link's stop + releases not answered yet; strand only
  std::function<void()> done;
};

namespace {

smpp::net::carrier_link_config link_config(const config::carrier& c) {
  smpp::net::carrier_link_config l;
  l.name = c.name;
  l.host = c.host;
  l.port = c.port;
  l.system_id = c.system_id;
  l.password = c.password;
  l.system_type = c.system_type;
  l.bind = c.bind == config::bind_mode::transmitter_receiver ? smpp::net::bind_mode::transmitter_receiver
                                                             : smpp::net::bind_mode::transceiver;
  l.sessions = c.sessions;
  l.window = c.window;
  l.tps = c.tps;
  l.connect_timeout = c.connect_timeout;
  l.bind_timeout = c.connect_timeout;
  l.response_timeout = c.response_timeout;
  l.enquire_link_interval = c.enquire_link;
  l.reconnect_min = c.reconnect_min;
  l.reconnect_max = c.reconnect_max;
  l.throttle.pause = c.throttle_pause;
  l.tls.enabled = c.tls.enabled;
  l.tls.ca_file = c.tls.ca_file;
  l.tls.server_name = c.tls.server_name;
  l.tls.cert_file = c.tls.cert_file;
  l.tls.key_file = c.tls.key_file;
  return l;
}

std::uint64_t part_cookie(std::uint64_t key, std::size_t part) { return (key << 8) | (part & 0xFF); }

// Applies a status update to the record (for its status event).
void apply(policy::message_record& m, const policy::status_update& u) {
  m.status = u.status;
  if (!u.carrier_message_id.empty()) m.carrier_message_id = u.carrier_message_id;
  m.error = u.error;
  m.updated_at_ms = u.at_ms;
}

}  // namespace

std::shared_ptr<carrier_worker> carrier_worker::create(asio::any_io_executor executor, policy::store& store,
                                                       std::shared_ptr<const settings> s, std::string carrier,
                                                       metrics* m, inbound_handler inbound, worker_options options) {
  return std::shared_ptr<carrier_worker>(
      new carrier_worker(std::move(executor), store, std::move(s), std::move(carrier), m, std::move(inbound), options));
}

carrier_worker::carrier_worker(asio::any_io_executor executor, policy::store& store, std::shared_ptr<const settings> s,
                               std::string carrier, metrics* m, inbound_handler inbound, worker_options options)
    : strand_(make_io_strand(executor)),
      store_(store),
      settings_(std::move(s)),
      carrier_(std::move(carrier)),
      metrics_(m),
      inbound_(std::move(inbound)),
      options_(options),
      wake_(strand_) {}

std::int64_t carrier_worker::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t carrier_worker::backoff_ms(int attempts) const {
  const auto& retry = settings_->source.queue.retry;
  std::int64_t delay = retry.backoff_min.count();
  for (int i = 0; i < attempts && delay < retry.backoff_max.count(); ++i) delay *= 2;
  return std::min<std::int64_t>(delay, retry.backoff_max.count());
}

double carrier_worker::sender_rate(const std::string& sender) const { return settings_->source.sender_tps(sender); }

smpp::net::link_stats carrier_worker::link_stats() const {
  return link_ ? link_->stats() : smpp::net::link_stats{};
}

void carrier_worker::start() {
  const config::carrier* c = nullptr;
  for (const auto& candidate : settings_->source.carriers) {
    if (candidate.name == carrier_) c = &candidate;
  }
  if (c == nullptr) return;
  std::weak_ptr<carrier_worker> weak = shared_from_this();
  smpp::net::carrier_link_handler h;
  h.on_result = [weak](smpp::net::submit_outcome o) {
    if (auto self = weak.lock()) {
      asio::post(self->strand_, [self, o = std::move(o)]() mutable { self->on_result(std::move(o)); });
    }
  };
  h.on_event = [weak](const smpp::net::link_event& e) {
    if (auto self = weak.lock()) self->on_event(e);
  };
  h.on_inbound = [weak](smpp::net::inbound_message m, smpp::net::inbound_responder r) {
    auto self = weak.lock();
    if (self && self->inbound_) {
      self->inbound_(self->carrier_, std::move(m), std::move(r));
    } else {
      // Nobody can handle it: a temporary error, so that the carrier delivers it again later.
      r.respond(static_cast<std::uint32_t>(smpp::command_status::esme_rx_t_appn));
    }
  };
  link_ = smpp::net::carrier_link::create(strand_, link_config(*c), std::move(h));
  capacity_ = capacity();
  link_->start();
  asio::co_spawn(strand_, claim_loop(shared_from_this()), [carrier = carrier_](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log::error("claim_loop_failed", {{"carrier", carrier}, {"error", std::string(x.what())}});
    }
  });
}

void carrier_worker::notify() {
  backlog_ = true;  // a message went to the queue: new ones wait behind it until a claim comes back short
  asio::post(strand_, [self = shared_from_this()] { self->wake_.cancel(); });
}

std::int64_t carrier_worker::reserve_direct() {
  if (stopping_ || bound_sessions_ == 0 || backlog_) return 0;
  // The hand-off buffer takes only what drains well inside the lease: nothing more while its
  // oldest entry has waited longer than the hold target (the carrier is slower than the inflow).
  const std::int64_t oldest = oldest_held_ms_.load();
  if (oldest != 0) {
    const std::int64_t hold = options_.hand_off_hold_ms > 0 ? options_.hand_off_hold_ms : options_.lease_ms / 12;
    if (now_ms() - oldest > hold) return 0;
  }
  const std::size_t limit = capacity_.load() + options_.hand_off_buffer;
  std::size_t reserved = direct_reserved_.load();
  do {
    if (in_flight_count_.load() + held_count_.load() + reserved >= limit) return 0;
  } while (!direct_reserved_.compare_exchange_weak(reserved, reserved + 1));
  return options_.lease_ms;
}

void carrier_worker::hand_off(std::unique_ptr<policy::queue_entry> entry) {
  if (!entry) {  // not admitted or not leased: only the place goes back
    --direct_reserved_;
    return;
  }
  asio::post(strand_, [self = shared_from_this(), entry = std::move(entry)]() mutable {
    // Stopping (shutdown, or a reload that replaces this worker): not sent here; its lease is
    // given back at once so that the next worker (or instance) claims it without waiting for
    // the lease to expire. If that fails, the lease expires and it is claimed then.
    if (self->stopping_) {
      self->release(*entry);
      self->released(1, "stopping", "hand_off_released");
    } else {
      if (self->metrics_) {
        if (!self->handed_off_) self->handed_off_ = &self->metrics_->handed_off(self->carrier_);
        self->handed_off_->Increment();
      }
      if (self->held_.empty() && self->in_flight_.size() < self->drain_capacity()) {
        // Its lease began at the admission (created_at_ms, the API always sets it).
        const std::int64_t leased = entry->message.created_at_ms > 0 ? entry->message.created_at_ms : self->now_ms();
        self->dispatch(std::move(*entry), leased);
      } else if (self->bound_sessions_ == 0) {
        self->release(*entry);  // the last bind went down since the reservation: not held
      } else {
        // The window is full: held in memory, in order, until it has room (drain_held()). Its
        // wait counts from the admission (created_at_ms, no later than the lease's start); the
        // API always sets it, a record without one counts from now.
        if (entry->message.created_at_ms <= 0) entry->message.created_at_ms = self->now_ms();
        self->held_.push_back(std::move(entry));
        self->held_changed();
      }
    }
    --self->direct_reserved_;  // after held_count_ went up: reserve_direct() never sees a dip
  });
}

std::size_t carrier_worker::capacity() const {
  if (!link_) return 0;
  const auto& c = link_->config();
  return static_cast<std::size_t>(c.window) * std::max(1u, c.sessions) * 2;
}

std::size_t carrier_worker::drain_capacity() const {
  if (!link_) return 0;
  return messages_within_lease(link_->stats().allowed_tps, options_.lease_ms, capacity(), parts_per_message_);
}

void carrier_worker::held_changed() {
  held_count_ = held_.size();
  held_peak_ = std::max(held_peak_, held_.size());
  oldest_held_ms_ = held_.empty() ? 0 : std::max<std::int64_t>(1, held_.front()->message.created_at_ms);
  if (metrics_) {
    if (!held_gauge_) held_gauge_ = &metrics_->hand_off_held(carrier_);
    held_gauge_->Set(static_cast<double>(held_.size()));
  }
}

void carrier_worker::released(std::size_t n, const char* reason, const char* event) {
  if (n == 0) return;
  if (metrics_) metrics_->hand_off_released(carrier_, reason).Increment(static_cast<double>(n));
  // held_too_long, staged_too_long: the carrier takes far less than what the worker holds (a
  // warning).
  const std::string_view r(reason);
  log::write(r == "held_too_long" || r == "staged_too_long" ? log::level::warn : log::level::info, event,
             {{"carrier", carrier_}, {"messages", static_cast<std::int64_t>(n)}, {"reason", std::string(reason)}});
}

void carrier_worker::release(const policy::queue_entry& entry) {
  // Back in the queue, due now: new messages wait behind it (FIFO) until a claim took it.
  backlog_ = true;
  auto stop = stop_;
  if (stop) ++stop->pending;
  store_.reschedule(carrier_, entry.message.id, entry.lease_id, now_ms(),
                    [self = shared_from_this(), stop, id = entry.message.id](std::error_code ec, policy::done) {
                      // If it failed, the lease expires and the entry is claimed then.
                      if (ec) log::warn("release_failed", {{"carrier", self->carrier_}, {"id", id}, {"error", ec.message()}});
                      if (!stop) return;
                      asio::post(self->strand_, [self, stop] {
                        if (--stop->pending == 0 && stop->done) std::exchange(stop->done, nullptr)();
                      });
                    });
}

// Held hand-offs go to the window in order as it frees up. One held lease_ms / 2 or longer (the
// carrier took far longer than the hold target) is released rather than sent: sending it this
// late could overlap with another instance's claim once its lease expires.
void carrier_worker::drain_held() {
  // Unbound: nothing goes to the window (the entries are being released, see on_event).
  if (draining_held_ || held_.empty() || bound_sessions_ == 0) return;
  draining_held_ = true;
  const std::size_t cap = drain_capacity();
  const std::int64_t now = now_ms();
  std::size_t n_released = 0;
  while (!held_.empty() && in_flight_.size() < cap && !stopping_) {
    auto entry = std::move(held_.front());
    held_.pop_front();
    if (now - entry->message.created_at_ms >= options_.lease_ms / 2) {
      release(*entry);
      ++n_released;
      continue;
    }
    const std::int64_t leased = entry->message.created_at_ms;
    dispatch(std::move(*entry), leased);
  }
  held_changed();
  draining_held_ = false;
  released(n_released, "held_too_long", "hand_off_released");
}

void carrier_worker::release_aged_held() {
  if (held_.empty()) return;
  const std::int64_t now = now_ms();
  std::size_t n_released = 0;
  while (!held_.empty() && now - held_.front()->message.created_at_ms >= options_.lease_ms / 2) {
    release(*held_.front());
    held_.pop_front();
    ++n_released;
  }
  if (n_released == 0) return;
  held_changed();
  released(n_released, "held_too_long", "hand_off_released");
}

void carrier_worker::release_held(const char* why) {
  if (held_.empty()) return;
  const std::size_t n = held_.size();
  for (const auto& e : held_) release(*e);
  held_.clear();
  held_changed();
  released(n, why, "hand_off_released");
}

void carrier_worker::in_flight_changed() {
  in_flight_count_ = in_flight_.size();
  if (metrics_) {
    if (!window_in_use_) window_in_use_ = &metrics_->window_in_use(carrier_);
    window_in_use_->Set(static_cast<double>(in_flight_.size()));
  }
}

void carrier_worker::update_settings(std::shared_ptr<const settings> s) {
  asio::post(strand_, [self = shared_from_this(), s = std::move(s)]() mutable {
    self->settings_ = std::move(s);
    self->pacing_.clear();
  });
}

void carrier_worker::on_event(const smpp::net::link_event& e) {
  using kind = smpp::net::link_event_kind;
  switch (e.kind) {
    case kind::bound:
      ++bound_sessions_;
      log::info("carrier_bound", {{"carrier", carrier_}, {"session", std::int64_t{e.session_index}}});
      break;
    case kind::disconnected:
      if (bound_sessions_ > 0) --bound_sessions_;
      backlog_ = true;  // messages queue up while it is down: the first claim after it tells
      // No bind left: held hand-offs go back to the queue now rather than wait in memory for a
      // reconnect (the claims after it take them, in order, as fast as the carrier takes).
      if (bound_sessions_ == 0) {
        asio::post(strand_, [self = shared_from_this()] {
          if (self->bound_sessions_ == 0) self->release_held("carrier_unbound");
        });
      }
      log::warn("carrier_disconnected", {{"carrier", carrier_},
                                         {"session", std::int64_t{e.session_index}},
                                         {"error", e.error.message()},
                                         {"retry_in_ms", static_cast<std::int64_t>(e.retry_in.count())}});
      break;
    case kind::bind_failed:
      log::error("carrier_bind_failed", {{"carrier", carrier_},
                                         {"status", std::string(smpp::to_string(static_cast<smpp::command_status>(e.command_status)))},
                                         {"error", e.error.message()},
                                         {"retry_in_ms", static_cast<std::int64_t>(e.retry_in.count())}});
      break;
    case kind::throttled:
      if (metrics_) metrics_->throttle_events(carrier_).Increment();
      if (e.lowered) {
        // Once per overload, not per throttled submit (docs/smpp.md, "Throttling").
        log::info("carrier_rate_lowered", {{"carrier", carrier_},
                                           {"status", std::string(smpp::to_string(static_cast<smpp::command_status>(e.command_status)))},
                                           {"allowed_tps", std::round(e.allowed_tps * 100) / 100}});
        if (metrics_) metrics_->allowed_tps(carrier_).Set(e.allowed_tps);
      }
      break;
    case kind::rate_changed:
      // Down on a throttle, and back up step by step as the governor probes (also while idle).
      if (metrics_) metrics_->allowed_tps(carrier_).Set(e.allowed_tps);
      break;
    case kind::connecting: break;
  }
  if (metrics_) metrics_->binds_up(carrier_).Set(bound_sessions_.load());
}

asio::awaitable<void> carrier_worker::claim_loop(std::shared_ptr<carrier_worker> self) {
  bool store_down_logged = false;
  while (!self->stopping_) {
    // What drains well inside the lease at the link's current rate (a throttled carrier: far
    // less than the window), docs/smpp.md "Throttling".
    const std::size_t capacity = self->drain_capacity();
    std::int64_t wait_ms = 0;
    // Held hand-offs are older than anything queued after them: they go first, and claims
    // wait until the buffer has drained (and as always until the window has room).
    self->release_aged_held();
    self->release_late_staged();
    self->released(std::exchange(self->late_at_link_, 0), "staged_too_long", "staged_released");
    self->drain_held();
    const std::size_t taken = self->in_flight_.size() + self->held_.size() + self->direct_reserved_.load();
    if (self->bound_sessions_ == 0 || taken >= capacity) {
      wait_ms = 20;
    } else {
      policy::claim_request req;
      req.carrier = self->carrier_;
      req.max = static_cast<int>(std::min<std::size_t>(self->options_.claim_batch, capacity - taken));
      req.lease_ms = self->options_.lease_ms;
      req.now_ms = self->now_ms();
      auto reply = co_await call_store<policy::claim_result>(
          [&self, &req](auto done) { self->store_.claim(req, std::move(done)); });
      if (reply.ec) {
        if (!store_down_logged) {
          log::error("queue_claim_failed", {{"carrier", self->carrier_}, {"error", reply.ec.message()}});
          store_down_logged = true;
        }
        wait_ms = self->options_.store_retry_ms;
      } else {
        store_down_logged = false;
        if (self->stopping_) {
          // Stopped while the claim was under way: nothing more is sent; released at once.
          for (auto& entry : reply.value.entries) self->release(entry);
          break;
        }
        // A full claim: more may be waiting, so new messages queue behind them (no direct
        // hand-off) until a claim comes back short.
        self->backlog_ = reply.value.entries.size() >= static_cast<std::size_t>(req.max);
        for (auto& entry : reply.value.entries) {
          if (!entry.suppressed) {
            self->dispatch(std::move(entry), req.now_ms);  // the store leased it from req.now_ms
            continue;
          }
          // The store's send-time re-check: the number opted out after admission. Rejected, with
          // its event, and acknowledged in one complete() (until then it stays leased).
          auto& m = entry.message;
          if (self->metrics_) self->metrics_->count_rejected("recipient_opted_out_at_send");
          log::info("message_rejected", {{"id", m.id}, log::number("to", m.e164), {"reason", "recipient_opted_out"}});
          policy::status_update u{m.id, policy::message_status::rejected, "", "recipient_opted_out", req.now_ms, 0};
          self->complete(m, entry.lease_id, u);
        }
        if (reply.value.entries.empty()) wait_ms = self->options_.idle_poll_ms;
      }
    }
    if (wait_ms > 0 && !self->stopping_) {
      self->wake_.expires_after(std::chrono::milliseconds(wait_ms));
      boost::system::error_code ec;
      co_await self->wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

void carrier_worker::dispatch(policy::queue_entry&& entry, std::int64_t lease_started_ms) {
  auto& m = entry.message;
  const std::int64_t now = now_ms();
  if (entry.lease_lost && metrics_) metrics_->resent_after_crash(carrier_).Increment();

  if (m.valid_until_ms > 0 && now > m.valid_until_ms) {
    policy::status_update u{m.id, policy::message_status::expired, "", "validity_period_passed", now, 0};
    complete(m, entry.lease_id, u);
    return;
  }

  // Per-sender pacing: messages wait their sender's turn in the queue, they are not refused.
  const double rate = sender_rate(m.sender);
  if (rate > 0) {
    const auto steady = std::chrono::steady_clock::now();
    auto it = pacing_.find(m.sender);
    if (it == pacing_.end()) it = pacing_.emplace(m.sender, smpp::token_bucket(rate, std::max(1.0, rate), steady)).first;
    if (!it->second.try_take(1, steady)) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.available_at(1, steady) - steady);
      store_.reschedule(carrier_, m.id, entry.lease_id, now + std::max<std::int64_t>(1, wait.count()),
                        [](std::error_code, policy::done) {});
      return;
    }
  }

  const carrier_profile* profile = settings_->carrier(carrier_);
  static const carrier_profile fallback{};
  auto built = build_submits(m, profile ? *profile : fallback, next_reference_++);
  if (built.error || built.parts.empty()) {
    policy::status_update u{m.id, policy::message_status::rejected, "", "text_not_encodable", now, 0};
    complete(m, entry.lease_id, u);
    return;
  }
  const std::uint64_t key = next_key_++;
  auto flight = std::make_shared<in_flight>();
  flight->parts = built.parts.size();
  flight->sent_at_ms = now;
  flight->lease_started_ms = lease_started_ms;
  flight->entry = std::move(entry);
  in_flight_[key] = flight;
  in_flight_changed();
  parts_per_message_ += (static_cast<double>(built.parts.size()) - parts_per_message_) / 16;
  // The link drops a part it could not write by the deadline (throttled, requeued, behind the
  // token bucket) rather than send it after another claim may have taken the message again.
  const auto send_by = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(send_deadline_ms(lease_started_ms, options_.lease_ms) - now);
  for (std::size_t i = 0; i < built.parts.size(); ++i) {
    smpp::net::outbound_message out;
    out.cookie = part_cookie(key, i);
    out.id = smpp::command_id::submit_sm;
    out.body = encode_submit_body(built.parts[i]);
    out.segments = 1;
    out.send_by = send_by;
    flight->staged.push_back(std::move(out));
  }
  staged_.push_back(key);
  pump();
}

// Hands staged messages to the link while its window has room (at most what the link sends in a
// quarter of the lease at its current rate), skipping numbers that opted out since they were
// claimed and releasing those past their send deadline.
void carrier_worker::pump() {
  if (!link_) return;
  const auto& c = link_->config();
  const std::size_t limit = parts_within_lease(link_->stats().allowed_tps, options_.lease_ms,
                                               static_cast<std::size_t>(c.window) * std::max(1u, c.sessions));
  const std::int64_t now = now_ms();
  std::size_t late = 0;
  while (!staged_.empty() && parts_at_link_ < limit) {
    const std::uint64_t key = staged_.front();
    staged_.pop_front();
    if (release_if_late(key, now)) {
      ++late;
      continue;
    }
    auto it = in_flight_.find(key);
    if (it == in_flight_.end()) continue;
    auto& f = *it->second;
    if (recently_suppressed(f.entry.message)) {
      reject_suppressed(key);
      continue;
    }
    for (auto& out : f.staged) {
      ++parts_at_link_;
      link_->submit(std::move(out));
    }
    f.staged.clear();
  }
  released(late, "staged_too_long", "staged_released");
}

// A staged entry past its send deadline: the carrier is slower than what was claimed, and sending
// it now could overlap with the claim that takes it again when its lease ends. Released to the
// store's queue (due now, attempts unchanged) instead; the claims after it take no more than
// drains in time (drain_capacity()).
bool carrier_worker::release_if_late(std::uint64_t key, std::int64_t now) {
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return false;
  const auto& f = *it->second;
  if (f.reply || f.staged.empty() || now < send_deadline_ms(f.lease_started_ms, options_.lease_ms)) return false;
  release(f.entry);
  in_flight_.erase(it);
  in_flight_changed();
  return true;
}

void carrier_worker::release_late_staged() {
  if (staged_.empty()) return;
  const std::int64_t now = now_ms();
  const std::size_t n = std::erase_if(staged_, [&](std::uint64_t key) { return release_if_late(key, now); });
  released(n, "staged_too_long", "staged_released");
}

// Only messages admitted before the suppression was stored: one admitted later passed the
// store's own check, so the suppression had been lifted again (STOP then START) and the message
// is sent.
bool carrier_worker::recently_suppressed(const policy::message_record& m) const {
  if (!recent_numbers_.contains(m.number_key)) return false;  // the common case, without a scan
  for (const auto& r : recent_suppressions_) {
    if (r.number_key == m.number_key && m.created_at_ms <= r.at_ms &&
        (r.sender.empty() || r.sender == m.sender || m.scope == policy::opt_out_scope::global)) {
      return true;
    }
  }
  return false;
}

// The same outcome as the store's send-time re-check: rejected, recipient_opted_out.
void carrier_worker::reject_suppressed(std::uint64_t key) {
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;
  auto flight = it->second;
  in_flight_.erase(it);
  in_flight_changed();
  if (metrics_) {
    metrics_->count_rejected("recipient_opted_out_at_send");
  }
  auto& m = flight->entry.message;
  log::info("message_rejected", {{"id", m.id}, log::number("to", m.e164), {"reason", "recipient_opted_out"}});
  policy::status_update u{m.id, policy::message_status::rejected, "", "recipient_opted_out", now_ms(), 0};
  complete(m, flight->entry.lease_id, u);
}

void carrier_worker::complete(policy::message_record& m, const std::string& lease, const policy::status_update& u) {
  policy::completion c;
  c.carrier = carrier_;
  c.lease_id = lease;
  c.update = u;
  if (options_.make_status_event) {
    apply(m, u);  // the record is not used after its final outcome: updated in place, not copied
    c.event = options_.make_status_event(settings_->source, m, u.status, u.error, u.at_ms);
  }
  completions_.push_back(std::move(c));
  if (completions_.size() >= std::max<std::size_t>(1, options_.completion_batch)) {
    flush_completions();
    return;
  }
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(strand_, [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush_completions();
  });
}

// One store::complete for every outcome queued since the last flush. The queue entries are
// acknowledged only by it: if it fails (or the process dies first), their leases expire and the
// messages are claimed again (at-least-once); a retry re-applies the same status and event ids.
void carrier_worker::flush_completions() {
  if (completions_.empty()) return;
  auto items = std::move(completions_);
  completions_.clear();
  const std::size_t n = items.size();
  store_.complete(std::move(items), [carrier = carrier_, n, notify = options_.on_events_stored](
                                        std::error_code ec, std::vector<policy::completion_result> res) {
    if (ec) {
      log::error("completion_failed", {{"carrier", carrier}, {"messages", static_cast<std::int64_t>(n)},
                                        {"error", ec.message()}});
      return;
    }
    const bool stored = std::any_of(res.begin(), res.end(), [](const auto& r) { return r.event_stored; });
    if (stored && notify) notify();
  });
}

void carrier_worker::suppressed(std::string number_key, std::string sender, std::function<void()> done,
                                std::int64_t at_ms) {
  asio::post(strand_, [self = shared_from_this(), number_key = std::move(number_key), sender = std::move(sender),
                       done = std::move(done), at_ms]() mutable {
    const auto now = std::chrono::steady_clock::now();
    // A claim that passed the store's re-check before the suppression completes well within a
    // lease; remembering it that long covers every such claim.
    while (!self->recent_suppressions_.empty() &&
           (self->recent_suppressions_.front().until < now || self->recent_suppressions_.size() > 10'000)) {
      auto it = self->recent_numbers_.find(self->recent_suppressions_.front().number_key);
      if (it != self->recent_numbers_.end() && --it->second == 0) self->recent_numbers_.erase(it);
      self->recent_suppressions_.pop_front();
    }
    ++self->recent_numbers_[number_key];
    self->recent_suppressions_.push_back(
        {number_key, sender, now + std::chrono::milliseconds(self->options_.lease_ms), at_ms > 0 ? at_ms : self->now_ms()});
    std::vector<std::uint64_t> drop;
    for (auto key : self->staged_) {
      auto it = self->in_flight_.find(key);
      if (it != self->in_flight_.end() && self->recently_suppressed(it->second->entry.message)) drop.push_back(key);
    }
    if (!drop.empty()) {
      std::erase_if(self->staged_, [&](std::uint64_t k) { return std::find(drop.begin(), drop.end(), k) != drop.end(); });
      for (auto key : drop) self->reject_suppressed(key);
      self->drain_held();
    }
    if (done) done();
  });
}

void carrier_worker::set_tps(double tps) {
  if (link_) link_->set_tps(tps);
}

void carrier_worker::send_reply(std::string sender, std::string e164, std::string text) {
  asio::post(strand_, [self = shared_from_this(), sender = std::move(sender), e164 = std::move(e164),
                       text = std::move(text)]() mutable {
    if (!self->link_ || self->stopping_) return;
    policy::message_record m;
    m.id = "reply";
    m.sender = std::move(sender);
    m.e164 = std::move(e164);
    m.text = std::move(text);
    const carrier_profile* profile = self->settings_->carrier(self->carrier_);
    carrier_profile p = profile ? *profile : carrier_profile{};
    p.registered_delivery = false;
    auto built = build_submits(m, p, self->next_reference_++);
    if (built.error || built.parts.empty()) {
      log::error("reply_not_encodable", {{"carrier", self->carrier_}, {"error", built.error.message()}});
      return;
    }
    const std::uint64_t key = self->next_key_++;
    auto flight = std::make_shared<in_flight>();
    flight->parts = built.parts.size();
    flight->sent_at_ms = self->now_ms();
    flight->reply = true;
    flight->entry.message = std::move(m);
    self->in_flight_[key] = flight;
    for (std::size_t i = 0; i < built.parts.size(); ++i) {
      smpp::net::outbound_message out;
      out.cookie = part_cookie(key, i);
      out.body = encode_submit_body(built.parts[i]);
      ++self->parts_at_link_;  // replies go straight to the link (not staged)
      self->link_->submit(std::move(out));
    }
  });
}

void carrier_worker::on_result(smpp::net::submit_outcome o) {
  const std::uint64_t key = o.cookie >> 8;
  const std::size_t part = o.cookie & 0xFF;
  if (parts_at_link_ > 0) --parts_at_link_;
  struct pump_after {
    carrier_worker* w;
    ~pump_after() {
      w->drain_held();
      w->pump();
    }
  } pump_later{this};
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;
  auto& f = *it->second;
  ++f.answered;
  if (o.accepted()) {
    ++f.accepted;
    if (part + 1 == f.parts) f.carrier_message_id = o.message_id;
  } else if (o.error == smpp::net::link_errc::deadline_passed) {
    ++f.overdue;  // not sent (finish() decides)
  } else if (o.error || o.classification == smpp::status_class::temporary) {
    f.temporary_failure = true;
    f.temporary_error = o.error ? o.error.message()
                                : std::string(smpp::to_string(static_cast<smpp::command_status>(o.command_status)));
  } else if (f.permanent_error.empty()) {
    f.permanent_error = std::string(smpp::to_string(static_cast<smpp::command_status>(o.command_status)));
  }
  if (f.answered == f.parts) finish(key);
}

void carrier_worker::finish(std::uint64_t key) {
  auto found = in_flight_.find(key);
  if (found == in_flight_.end()) return;
  auto flight = std::move(found->second);
  in_flight_.erase(found);
  in_flight_changed();
  if (metrics_) {
    if (!submit_latency_) submit_latency_ = &metrics_->submit_latency_seconds(carrier_);
    submit_latency_->Observe(static_cast<double>(now_ms() - flight->sent_at_ms) / 1000.0);
  }
  auto& m = flight->entry.message;
  if (flight->reply) {
    const bool ok = flight->permanent_error.empty() && !flight->temporary_failure;
    log::info("reply_sent", {{"carrier", carrier_}, log::number("to", m.e164), {"sender", m.sender}, {"ok", ok},
                             {"error", ok ? std::string() : flight->permanent_error + flight->temporary_error}});
    return;
  }
  const std::string& id = m.id;
  const std::string& lease = flight->entry.lease_id;
  const std::int64_t now = now_ms();

  if (!flight->permanent_error.empty()) {
    log::info("message_rejected_by_carrier", {{"id", id}, {"carrier", carrier_}, {"status", flight->permanent_error}});
    policy::status_update u{id, policy::message_status::rejected, "", flight->permanent_error, now, 0};
    complete(m, lease, u);
    return;
  }
  if (flight->overdue > 0 && !flight->temporary_failure) {
    if (flight->accepted == 0) {
      // Nothing of it reached the carrier before its send deadline: back to the queue, as if
      // it had not left the staging area (release_if_late).
      release(flight->entry);
      ++late_at_link_;  // logged and counted with the next sweep (one line, not one per message)
      return;
    }
    // Some parts went out, the others are overdue: a temporary failure (the retry resends all).
    flight->temporary_failure = true;
    flight->temporary_error = std::error_code(smpp::net::link_errc::deadline_passed).message();
  }
  if (flight->temporary_failure) {
    const int attempts = m.attempts + 1;
    if (attempts >= static_cast<int>(settings_->source.queue.retry.max_attempts)) {
      log::warn("message_failed", {{"id", id}, {"carrier", carrier_}, {"attempts", std::int64_t{attempts}},
                                   {"error", flight->temporary_error}});
      policy::status_update u{id, policy::message_status::failed, "", flight->temporary_error, now, 0};
      complete(m, lease, u);
    } else {
      store_.nack(carrier_, id, lease, now + backoff_ms(m.attempts), flight->temporary_error,
                  [](std::error_code, policy::done) {});
    }
    return;
  }
  const carrier_profile* profile = settings_->carrier(carrier_);
  const auto format = profile ? profile->message_ids : smpp::message_id_format::as_is;
  policy::status_update u;
  u.message_id = id;
  u.status = policy::message_status::submitted;
  u.carrier_message_id = smpp::normalize_message_id(flight->carrier_message_id, format);
  u.at_ms = now;
  u.correlation_expires_at_ms = now + (m.valid_until_ms > now ? m.valid_until_ms - now : 0) +
                                settings_->source.retention.receipt_margin.count() * 1000 + 7LL * 86'400'000;
  complete(m, lease, u);
}

void carrier_worker::async_stop(std::function<void()> done) {
  stopping_ = true;
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->wake_.cancel();
    auto stop = std::make_shared<stop_state>();
    stop->done = std::move(done);
    self->stop_ = stop;
    log::info("hand_off_buffer", {{"carrier", self->carrier_}, {"held_peak", static_cast<std::int64_t>(self->held_peak_)}});
    // Leased and not handed to the link: released now (held hand-offs, staged claims). Entries
    // already at the link get their responses (or a temporary error when the link stops).
    self->release_held("stopping");
    self->released(std::exchange(self->late_at_link_, 0), "staged_too_long", "staged_released");
    std::size_t staged = 0;
    for (auto key : self->staged_) {
      auto it = self->in_flight_.find(key);
      if (it == self->in_flight_.end() || it->second->staged.empty() || it->second->reply) continue;
      self->release(it->second->entry);
      self->in_flight_.erase(it);
      ++staged;
    }
    self->staged_.clear();
    if (staged > 0) {
      self->in_flight_changed();
      self->released(staged, "stopping", "staged_released");
    }
    auto link_stopped = [self, stop] {
      if (--stop->pending == 0 && stop->done) std::exchange(stop->done, nullptr)();
    };
    if (!self->link_) return link_stopped();
    self->link_->async_stop(std::move(link_stopped));
  });
}

}  // namespace gateway
