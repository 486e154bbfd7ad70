#include "gateway/service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <future>
#include <iostream>
#include <map>
#include <stdexcept>
#include <mutex>
#include <thread>
#include <vector>

#include "config/load.hpp"
#include "gateway/admin_api.hpp"
#include "gateway/api_service.hpp"
#include "gateway/carrier_worker.hpp"
#include "gateway/http_server.hpp"
#include "gateway/inbound.hpp"
#include "gateway/log.hpp"
#include "gateway/metrics.hpp"
#include "gateway/settings.hpp"
#include "gateway/store_setup.hpp"
#include "gateway/webhook_dispatcher.hpp"
#include "gateway/webhook_event.hpp"
#include "smpp/command_status.hpp"
#include "smsgw/version.hpp"

namespace gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

log::level to_level(config::log_level l) {
  switch (l) {
    case config::log_level::trace:
    case config::log_level::debug: return log::level::debug;
    case config::log_level::info: return log::level::info;
    case config::log_level::warn: return log::level::warn;
    default: return log::level::error;
  }
}

// The warnings of a valid configuration (a plain-text API key, ...), in the log's format: one
// config_warning event each, its detail as --check-config prints it.
void log_config_warnings(const config::load_result& loaded) {
  for (const auto& w : loaded.warnings) {
    log::warn("config_warning", {{"detail", w.file + ":" + std::to_string(w.line) + ":" + std::to_string(w.column) +
                                                ": warning: " + w.message}});
  }
}

// runtime.io_threads; 0: one per CPU core, at least 2.
unsigned io_thread_count(const config::runtime_settings& r) {
  return r.io_threads != 0 ? r.io_threads : std::max(2u, std::thread::hardware_concurrency());
}

http_limits to_limits(const config::http_settings& h) {
  http_limits l;
  l.body_limit = h.max_body_bytes;
  l.header_limit = h.max_header_bytes;
  l.read_timeout = h.read_timeout;
  l.idle_timeout = h.idle_timeout;
  l.max_connections = h.max_connections;
  return l;
}

tcp::endpoint to_endpoint(const config::endpoint& e) {
  std::string host = e.host == "localhost" ? "127.0.0.1" : e.host;
  return {asio::ip::make_address(host), e.port};
}

const config::carrier* find_carrier(const config::gateway_config& c, std::string_view name) {
  for (const auto& carrier : c.carriers) {
    if (carrier.name == name) return &carrier;
  }
  return nullptr;
}

// Everything that lives as long as the process serves.
class running_service {
 public:
  running_service(asio::io_context& io, std::unique_ptr<policy::store> store,
                  std::shared_ptr<const policy::number_secrets> secrets, std::shared_ptr<const settings> s,
                  std::string config_path)
      : io_(io),
        store_(std::move(store)),
        secrets_(std::move(secrets)),
        metrics_(smsgw::version),
        config_path_(std::move(config_path)),
        settings_(std::move(s)),
        health_timer_(io),
        purge_timer_(io),
        feed_timer_(asio::make_strand(io)) {}

  void start() {
    api_service::dependencies deps;
    deps.store = store_.get();
    deps.secrets = secrets_;
    deps.metrics_registry = &metrics_;
    deps.is_bound = [this](std::string_view carrier) { return is_bound(carrier); };
    deps.on_enqueued = [this](const std::string& carrier) {
      std::lock_guard lock(workers_mutex_);
      if (auto it = workers_.find(carrier); it != workers_.end()) it->second->notify();
    };
    deps.reserve_direct = [this](const std::string& carrier) -> direct_slot {
      std::shared_ptr<carrier_worker> w;
      {
        std::lock_guard lock(workers_mutex_);
        if (auto it = workers_.find(carrier); it != workers_.end()) w = it->second;
      }
      const std::int64_t lease_ms = w ? w->reserve_direct() : 0;
      if (lease_ms == 0) return {};
      return {lease_ms, [w](std::unique_ptr<policy::queue_entry> e) { w->hand_off(std::move(e)); }};
    };
    deps.on_suppressed = [this](const std::string& number_key, const std::string& sender, std::int64_t at_ms) {
      tell_workers_suppressed(number_key, sender, at_ms);
    };
    api_ = std::make_unique<api_service>(settings_, std::move(deps));
    webhooks_ = webhook_dispatcher::create(io_.get_executor(), *store_, settings_, &metrics_);
    webhooks_->start();
    inbound_ = inbound_processor::create(
        io_.get_executor(), *store_, secrets_, settings_, &metrics_,
        [this](const std::string& carrier, const std::string& sender, const std::string& e164, const std::string& text) {
          std::lock_guard lock(workers_mutex_);
          if (auto it = workers_.find(carrier); it != workers_.end()) it->second->send_reply(sender, e164, text);
        },
        [w = webhooks_](policy::webhook_event ev, std::function<void(std::error_code)> done) {
          w->enqueue(std::move(ev), std::move(done));
        },
        [this](std::string number_key, std::string sender, std::function<void()> done) {
          std::vector<std::shared_ptr<carrier_worker>> workers;
          {
            std::lock_guard lock(workers_mutex_);
            for (auto& [name, w] : workers_) workers.push_back(w);
          }
          if (workers.empty()) {
            done();
            return;
          }
          auto remaining = std::make_shared<std::atomic<std::size_t>>(workers.size());
          auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
          for (auto& w : workers) {
            w->suppressed(number_key, sender, [remaining, shared_done] {
              if (--*remaining == 0) (*shared_done)();
            });
          }
        });

    for (const auto& c : settings_->source.carriers) start_worker(c.name);

    // A listener that cannot bind (a port in use) names its setting and address.
    const auto listening = [](const char* setting, const config::endpoint& at, const auto& make) {
      try {
        return make();
      } catch (const boost::system::system_error& e) {
        const bool v6 = at.host.find(':') != std::string::npos;
        throw std::runtime_error(std::string(setting) + " " + (v6 ? "[" + at.host + "]" : at.host) + ":" +
                                 std::to_string(at.port) + ": cannot listen: " + e.code().message());
      }
    };
    api_server_ = listening("http.listen", settings_->source.http.listen, [&] {
      return std::make_unique<http_server>(io_.get_executor(), to_endpoint(settings_->source.http.listen),
                                           to_limits(settings_->source.http), api_->handler(), api_->header_check());
    });
    admin_hooks hooks;
    hooks.not_ready_reason = [this] { return not_ready_reason(); };
    hooks.reload = [this] { return reload(); };
    hooks.metrics_registry = &metrics_;
    hooks.store = store_.get();
    hooks.on_replayed = [w = webhooks_] { w->notify(); };
    admin_server_ = listening("admin.listen", settings_->source.admin.listen, [&] {
      return std::make_unique<http_server>(io_.get_executor(), to_endpoint(settings_->source.admin.listen),
                                           http_limits{}, make_admin_handler(std::move(hooks)));
    });
    api_server_->start();
    admin_server_->start();
    check_health();
    schedule_purge();
    if (store_->has_suppression_feed()) poll_suppression_feed();
    log::info("smsgw_started", {{"version", std::string(smsgw::version)},
                                {"api", api_server_->local_endpoint().address().to_string() + ":" +
                                            std::to_string(api_server_->local_endpoint().port())},
                                {"admin", admin_server_->local_endpoint().address().to_string() + ":" +
                                              std::to_string(admin_server_->local_endpoint().port())},
                                {"store", settings_->source.store.kind == config::store_kind::redis ? "redis" : "sqlite"},
                                {"io_threads", std::int64_t(io_thread_count(settings_->source.runtime))}});
  }

  // SIGTERM: stop accepting, let in-flight submits finish (bounded), unbind, then stop.
  void drain(std::function<void()> done) {
    log::info("smsgw_draining", {});
    api_->stop_accepting();
    inbound_->stop();
    api_server_->stop();
    admin_server_->stop();
    health_timer_.cancel();
    purge_timer_.cancel();
    feed_stopped_ = true;
    asio::post(feed_timer_.get_executor(), [this] { feed_timer_.cancel(); });
    std::vector<std::shared_ptr<carrier_worker>> workers;
    {
      std::lock_guard lock(workers_mutex_);
      for (auto& [name, w] : workers_) workers.push_back(w);
    }
    // The webhook dispatcher drains with the workers (deliveries in flight finish, bounded by
    // webhooks.timeout; undelivered events stay in the outbox).
    auto remaining = std::make_shared<std::atomic<std::size_t>>(workers.size() + 1);
    auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
    webhooks_->async_stop([remaining, shared_done] {
      if (--*remaining == 0) (*shared_done)();
    });
    for (auto& w : workers) {
      w->async_stop([remaining, shared_done] {
        if (--*remaining == 0) (*shared_done)();
      });
    }
  }

  // Re-reads the configuration file; applies it whole or keeps the old one. Returns the errors.
  std::string reload() {
    auto loaded = config::load_config(config_path_);
    if (!loaded.ok()) {
      std::string errors;
      for (const auto& e : loaded.errors) errors += config::to_string(e) + "\n";
      log::error("config_reload_failed", {{"errors", std::int64_t(loaded.errors.size())}, {"first", config::to_string(loaded.errors.front())}});
      metrics_.count_reload(false);
      return errors;
    }
    const auto& old_cfg = settings_->source;
    std::string changed;  // the settings that need a restart, as written in the file
    for (auto [name, same] : {std::pair{"store", loaded.config.store == old_cfg.store},
                              std::pair{"secrets", loaded.config.secrets == old_cfg.secrets},
                              std::pair{"http.listen", loaded.config.http.listen == old_cfg.http.listen},
                              std::pair{"admin.listen", loaded.config.admin.listen == old_cfg.admin.listen},
                              std::pair{"runtime", loaded.config.runtime == old_cfg.runtime}}) {
      if (!same) changed += (changed.empty() ? "" : ", ") + std::string(name);
    }
    if (!changed.empty()) {
      const std::string why = config_path_ + ": " + changed +
                              " changed; store, secrets, listen addresses and runtime cannot change on reload: "
                              "restart smsgw (the running configuration stays)";
      log::error("config_reload_failed", {{"error", why}});
      metrics_.count_reload(false);
      return why;
    }
    log_config_warnings(loaded);
    auto next = make_settings(std::move(loaded.config));
    std::vector<std::string> restart, stop, add, keep, retune;
    for (const auto& c : next->source.carriers) {
      const config::carrier* before = find_carrier(old_cfg, c.name);
      config::carrier same_tps = c;
      if (before != nullptr) same_tps.tps = before->tps;
      if (before == nullptr) {
        add.push_back(c.name);
      } else if (!(*before == same_tps)) {
        restart.push_back(c.name);  // connection settings changed: reconnect
      } else {
        keep.push_back(c.name);
        if (before->tps != c.tps) retune.push_back(c.name);  // a new TPS keeps the binds
      }
    }
    for (const auto& c : old_cfg.carriers) {
      if (find_carrier(next->source, c.name) == nullptr) stop.push_back(c.name);
    }
    settings_ = next;
    api_->update_settings(next);
    inbound_->update_settings(next);
    webhooks_->update_settings(next);
    for (const auto& name : keep) {
      std::lock_guard lock(workers_mutex_);
      if (auto it = workers_.find(name); it != workers_.end()) it->second->update_settings(next);
    }
    for (const auto& name : retune) {
      std::lock_guard lock(workers_mutex_);
      if (auto it = workers_.find(name); it != workers_.end()) it->second->set_tps(find_carrier(next->source, name)->tps);
    }
    for (const auto& name : stop) stop_worker(name);
    for (const auto& name : restart) {
      stop_worker(name);
      start_worker(name);
    }
    for (const auto& name : add) start_worker(name);
    log::info("config_reloaded", {{"carriers_restarted", std::int64_t(restart.size())},
                                  {"carriers_retuned", std::int64_t(retune.size())},
                                  {"carriers_added", std::int64_t(add.size())},
                                  {"carriers_removed", std::int64_t(stop.size())}});
    metrics_.count_reload(true);
    return {};
  }

 private:
  void start_worker(const std::string& name) {
    std::weak_ptr<inbound_processor> inbound = inbound_;
    worker_options options;
    // Status webhooks: the worker stores each event with its status change and the ack, in one
    // atomic store::complete (docs/webhooks.md), then wakes the dispatcher.
    options.make_status_event = &gateway::make_status_event;
    options.on_events_stored = [w = webhooks_] { w->notify(); };
    auto worker = carrier_worker::create(
        io_.get_executor(), *store_, settings_, name, &metrics_,
        [inbound](std::string carrier, smpp::net::inbound_message m, smpp::net::inbound_responder r) {
          if (auto p = inbound.lock()) {
            p->handle(std::move(carrier), std::move(m), std::move(r));
          } else {
            r.respond(static_cast<std::uint32_t>(smpp::command_status::esme_rx_t_appn));
          }
        },
        std::move(options));
    worker->start();
    std::lock_guard lock(workers_mutex_);
    workers_[name] = worker;
  }

  void stop_worker(const std::string& name) {
    std::shared_ptr<carrier_worker> w;
    {
      std::lock_guard lock(workers_mutex_);
      auto it = workers_.find(name);
      if (it == workers_.end()) return;
      w = it->second;
      workers_.erase(it);
    }
    w->async_stop([w] {});
  }

  bool is_bound(std::string_view carrier) {
    std::lock_guard lock(workers_mutex_);
    auto it = workers_.find(carrier);
    return it != workers_.end() && it->second->bound();
  }

  std::string not_ready_reason() {
    std::string store_problem;
    {
      std::lock_guard lock(health_mutex_);
      store_problem = store_problem_;
    }
    if (!store_problem.empty()) return "store: " + store_problem;
    std::lock_guard lock(workers_mutex_);
    for (const auto& [name, w] : workers_) {
      if (w->bound()) return {};
    }
    return "no carrier session is bound";
  }

  // Polls the store's health every second (for /readyz) and the queue depth (metrics).
  void check_health() {
    store_->health([this](std::error_code ec, policy::health_info info) {
      std::lock_guard lock(health_mutex_);
      const std::string problem = ec ? (info.detail.empty() ? ec.message() : info.detail) : std::string();
      if (problem != store_problem_) {
        if (problem.empty()) {
          log::info("store_ready", {{"detail", info.detail}});
        } else {
          log::error("store_not_ready", {{"detail", problem}});
        }
      }
      store_problem_ = problem;
    });
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    {
      std::lock_guard lock(workers_mutex_);
      for (auto& [name, w] : workers_) metrics_.allowed_tps(name).Set(w->link_stats().allowed_tps);
    }
    for (const auto& c : settings_->source.carriers) {
      store_->stats(c.name, now, [this, name = c.name, now](std::error_code ec, policy::store::queue_stats s) {
        if (ec) return;
        metrics_.queue_depth(name).Set(static_cast<double>(s.ready + s.scheduled + s.leased));
        metrics_.queue_oldest_age_seconds(name).Set(s.oldest_ready_ms > 0 ? static_cast<double>(now - s.oldest_ready_ms) / 1000.0 : 0.0);
      });
    }
    // Dead letters (webhooks) every 10 s: reading them is not free (bodies included).
    if (health_ticks_++ % 10 == 0) {
      store_->dead_letters(1000, [this](std::error_code ec, std::vector<policy::webhook_event> dead) {
        if (!ec) metrics_.webhook_dead_letters().Set(static_cast<double>(dead.size()));
      });
    }
    health_timer_.expires_after(std::chrono::seconds(1));
    health_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) check_health();
    });
  }

  // A suppression stored by this instance's API or by another instance (the feed): the carrier
  // workers stop the messages of that number they hold in memory (carrier_worker::suppressed).
  void tell_workers_suppressed(const std::string& number_key, const std::string& sender, std::int64_t at_ms) {
    std::lock_guard lock(workers_mutex_);
    for (auto& [name, w] : workers_) w->suppressed(number_key, sender, nullptr, at_ms);
  }

  // Several instances sharing the store (Redis): a suppression stored by any of them (a STOP
  // through another instance's carrier link, a PUT on its API) reaches this instance's carrier
  // workers within a poll, so that they do not send the messages of that number that they hold
  // in memory, claimed or handed off before it (docs/stores.md, "Several instances"). This
  // instance's own STOPs reach them before the carrier's acknowledgement (inbound) and once more
  // here, which changes nothing.
  void poll_suppression_feed() {
    if (feed_stopped_) return;
    store_->suppression_feed(feed_cursor_, 1000, [this](std::error_code ec, policy::suppression_feed_page page) {
      // One poll at a time: the cursor is only touched here.
      if (!ec) {
        feed_cursor_ = std::move(page.cursor);
        for (const auto& n : page.items) tell_workers_suppressed(n.number_key, n.sender, n.at_ms);
      }
      const bool more = !ec && page.items.size() >= 1000;
      const auto delay = std::chrono::milliseconds(ec ? 500 : more ? 0 : feed_poll_ms);
      // The timer lives on its strand (drain() cancels it there too).
      asio::post(feed_timer_.get_executor(), [this, delay] {
        if (feed_stopped_) return;
        feed_timer_.expires_after(delay);
        feed_timer_.async_wait([this](boost::system::error_code e) {
          if (!e) poll_suppression_feed();
        });
      });
    });
  }

  // Retention (config `retention:`): one purge every purge_interval, the first one interval after
  // start; `smsgwctl purge` applies it at once.
  void schedule_purge() {
    purge_timer_.expires_after(settings_->source.retention.purge_interval);
    purge_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      store_->purge(make_purge_request(settings_->source, now, false), [](std::error_code e, policy::purge_result r) {
        if (e) return log::warn("purge_failed", {{"error", e.message()}});
        log::info("purge_done", {{"bodies", r.bodies}, {"records", r.records}, {"idempotency_keys", r.idempotency_keys},
                                 {"correlations", r.correlations}, {"cap_events", r.cap_events}});
      });
      schedule_purge();
    });
  }

  asio::io_context& io_;
  std::unique_ptr<policy::store> store_;
  std::shared_ptr<const policy::number_secrets> secrets_;
  metrics metrics_;
  std::string config_path_;
  std::shared_ptr<const settings> settings_;
  std::unique_ptr<api_service> api_;
  std::shared_ptr<inbound_processor> inbound_;
  std::shared_ptr<webhook_dispatcher> webhooks_;
  std::unique_ptr<http_server> api_server_;
  std::unique_ptr<http_server> admin_server_;
  std::mutex workers_mutex_;
  std::map<std::string, std::shared_ptr<carrier_worker>, std::less<>> workers_;
  std::mutex health_mutex_;
  std::string store_problem_ = "not checked yet";
  asio::steady_timer health_timer_;
  asio::steady_timer purge_timer_;
  // The suppression feed (poll_suppression_feed): polled every feed_poll_ms.
  static constexpr int feed_poll_ms = 20;
  asio::steady_timer feed_timer_;
  std::string feed_cursor_;
  std::atomic<bool> feed_stopped_{false};
  std::uint64_t health_ticks_ = 0;  // io thread of the health timer only
};

}  // namespace

int run_service(const std::string& config_path) {
  auto loaded = config::load_config(config_path);
  if (!loaded.ok()) {
    // As --check-config: the errors only, one FILE:LINE:COL line each.
    for (const auto& e : loaded.errors) std::cerr << config::to_string(e) << "\n";
    return 2;
  }
  log::init(to_level(loaded.config.logging.level),
            loaded.config.logging.format == config::log_format::json ? log::format::json : log::format::text);
  log_config_warnings(loaded);

  // With one thread Asio is told so (no wake-ups of other threads); the store's own threads
  // still post into it, which stays safe.
  const unsigned threads = io_thread_count(loaded.config.runtime);
  asio::io_context io(threads == 1 ? 1 : BOOST_ASIO_CONCURRENCY_HINT_DEFAULT);
  auto opened = open_configured_store(loaded.config, io.get_executor());
  if (opened.failed_part == "secrets") {
    log::error("number_key_unavailable", {{"file", loaded.config.secrets.number_key_file}, {"error", opened.error}});
    return 1;
  }
  if (!opened.warning.empty()) log::warn("number_key_generated", {{"detail", opened.warning}});
  if (!opened.store) {
    log::error("store_unavailable", {{"error", opened.error}});
    return 1;
  }

  auto s = make_settings(std::move(loaded.config));
  std::unique_ptr<running_service> service;
  try {
    service = std::make_unique<running_service>(io, std::move(opened.store), opened.secrets, s, config_path);
    service->start();
  } catch (const std::exception& e) {
    log::error("start_failed", {{"error", std::string(e.what())}});
    return 1;
  }

  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  asio::steady_timer drain_deadline(io);
  stop_signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    drain_deadline.expires_after(std::chrono::seconds(15));
    drain_deadline.async_wait([&](boost::system::error_code e) {
      if (!e) {
        log::warn("drain_deadline_passed", {});
        io.stop();
      }
    });
    service->drain([&io] {
      log::info("smsgw_stopped", {});
      asio::post(io, [&io] { io.stop(); });
    });
  });
  asio::signal_set reload_signal(io, SIGHUP);
  std::function<void()> wait_reload = [&] {
    reload_signal.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      service->reload();
      wait_reload();
    });
  };
  wait_reload();

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  service.reset();
  return 0;
}

}  // namespace gateway
