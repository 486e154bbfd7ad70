#pragma once

// One carrier's outbound worker: claims messages from the store's queue for this carrier, paces
// them per sender, splits them into submit_sm parts, hands them to the carrier link and records
// the outcome (submitted / rejected / retried / failed / expired). Include only from gateway
// sources (Asio).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/metrics.hpp"
#include "gateway/settings.hpp"
#include "policy/store.hpp"
#include "smpp/net/esme_client.hpp"
#include "smpp/token_bucket.hpp"

namespace gateway {

struct worker_options {
  // A claimed message not finished by then is sent again: the worker claims only what the link
  // sends in a quarter of it and sends nothing after half of it (gateway/lease_budget.hpp).
  std::int64_t lease_ms = 60'000;
  std::uint32_t claim_batch = 256;      // messages per claim at most
  std::int64_t idle_poll_ms = 50;       // queue empty: look again after this long (or on notify)
  std::int64_t store_retry_ms = 500;    // store unavailable: try again after this long
  // Direct hand-offs held in memory beyond the claim capacity (window x sessions x 2), waiting
  // for room in the window (docs/architecture.md, "Direct hand-off"): at most this many, and
  // none taken while the oldest one held has waited longer than hand_off_hold_ms (0:
  // lease_ms / 12, 5 s with the default lease). An entry held lease_ms / 2 is released to the
  // store's queue instead of sent. 0 entries: no buffer (hand-offs only within the capacity).
  std::size_t hand_off_buffer = 32'768;
  std::int64_t hand_off_hold_ms = 0;
  // Builds the status webhook event of a final outcome (submitted, rejected, failed, expired,
  // and rejected at the send-time suppression re-check) with the settings in force on the
  // worker's strand; nullopt when nobody receives status events. The event is stored together
  // with the status change and the ack (store::complete). Null: no status events.
  // service.cpp passes gateway::make_status_event (gateway/webhook_event.hpp).
  using status_event_builder = std::function<std::optional<policy::webhook_event>(
      const config::gateway_config& cfg, const policy::message_record& m, policy::message_status status,
      std::string_view error, std::int64_t at_ms)>;
  status_event_builder make_status_event = nullptr;
  // Called after status events were stored (the webhook dispatcher's notify). Runs on the
  // store's completion thread; must not block. May be null.
  std::function<void()> on_events_stored = nullptr;
  // Final outcomes are coalesced: those of one strand turn go to the store in one complete()
  // call, flushed at the end of the turn or when this many are waiting.
  std::size_t completion_batch = 64;
};

class carrier_worker : public std::enable_shared_from_this<carrier_worker> {
 public:
  // Receives deliver_sm / data_sm from this carrier (the inbound side); null: answered with
  // ESME_RX_T_APPN so that the carrier keeps them.
  using inbound_handler = std::function<void(std::string carrier, smpp::net::inbound_message,
                                             smpp::net::inbound_responder)>;

  static std::shared_ptr<carrier_worker> create(boost::asio::any_io_executor executor, policy::store& store,
                                                std::shared_ptr<const settings> s, std::string carrier,
                                                metrics* m, inbound_handler inbound, worker_options options = {});

  // Connects the link and starts the claim loop.
  void start();

  // Wakes the claim loop (a message was just queued; direct hand-offs wait until a claim has
  // emptied the queue). Thread-safe.
  void notify();

  // Direct hand-off (docs/architecture.md, "Direct hand-off"): a slot for a message that the
  // store leases to this worker at admission (admit_request::lease_ms) so that it is sent
  // without a claim. Returns the lease length in ms, or 0 when the worker takes none now (no
  // bound session, stopping, its capacity and hand-off buffer taken, the oldest held hand-off
  // waiting longer than hand_off_hold_ms, or messages waiting in the store's queue: those go
  // first). Every non-zero return must be followed by one hand_off(). Thread-safe.
  std::int64_t reserve_direct();
  // The message of a reserved slot, as admitted and leased (null: it was not admitted or not
  // leased; the slot is given back). It is dispatched like a claimed entry when the window has
  // room, held in the hand-off buffer (FIFO) until it has otherwise. Thread-safe.
  void hand_off(std::unique_ptr<policy::queue_entry> entry);

  // New settings (reload): pacing and segmentation apply to the next claims. TPS/window changes
  // of the link itself need a new link (the caller recreates the worker). Thread-safe.
  void update_settings(std::shared_ptr<const settings> s);

  // A new carrier TPS (segments per second) applied to the running link: no rebind.
  void set_tps(double tps);

  // Sends an automatic reply (opt-out confirmation, help text) now, outside the queue: it
  // bypasses suppression but not the carrier's throttle. The outcome is only logged. Thread-safe.
  void send_reply(std::string sender, std::string e164, std::string text);

  // A number just opted out (suppression stored; sender empty = global). Messages claimed before
  // it but not handed to the link yet are rejected (recipient_opted_out) instead of sent, now
  // and for claims still in progress. `done` runs on the worker's strand once that is in force:
  // the inbound side waits for it before it acknowledges the STOP. `at_ms`: when it was stored
  // (the messages admitted until then are stopped); 0: now. A suppression stored by another
  // instance arrives through the store's feed (service.cpp) with the record's time. Thread-safe.
  void suppressed(std::string number_key, std::string sender, std::function<void()> done, std::int64_t at_ms = 0);

  // Graceful stop: no more claims; in-flight submits get their responses (bounded by the link's
  // response timeout); leased messages not handed to the link yet (held hand-offs, staged
  // claims, claims answered after the stop) are released to the store's queue at once
  // (reschedule, due now) so that another instance or the restart sends them without waiting
  // for their lease; the link unbinds. `done` runs on the worker's strand once the link stopped
  // and every release was answered by the store.
  void async_stop(std::function<void()> done);

  bool bound() const noexcept { return bound_sessions_.load() > 0; }
  const std::string& carrier() const noexcept { return carrier_; }
  smpp::net::link_stats link_stats() const;

 private:
  struct in_flight;
  carrier_worker(boost::asio::any_io_executor executor, policy::store& store, std::shared_ptr<const settings> s,
                 std::string carrier, metrics* m, inbound_handler inbound, worker_options options);

  struct stop_state;
  static boost::asio::awaitable<void> claim_loop(std::shared_ptr<carrier_worker> self);
  // `lease_started_ms`: when the entry's lease began (the claim's now_ms; a hand-off's admission),
  // for the send deadline (gateway/lease_budget.hpp).
  void dispatch(policy::queue_entry&& entry, std::int64_t lease_started_ms);
  // Hand-off buffer (strand only): dispatches held entries, oldest first, while the window has
  // room; releases those held lease_ms / 2 or longer. release_held() gives every held entry back.
  void drain_held();
  void release_aged_held();
  void release_held(const char* why);
  void held_changed();
  // Logs `n` leased entries given back unsent (event hand_off_released or staged_released) and
  // counts them in smsgw_hand_off_released_total{reason}. Strand only.
  void released(std::size_t n, const char* reason, const char* event);
  // Gives a leased entry that was not sent back to the store's queue, due now (reschedule: the
  // attempt is not counted). Strand only; awaited by a stop in progress.
  void release(const policy::queue_entry& entry);
  std::size_t capacity() const;
  // What the worker may hold now (claimed, handed off, not answered): capacity() bounded by what
  // the link sends at its current rate within a quarter of the lease (gateway/lease_budget.hpp).
  std::size_t drain_capacity() const;
  // Staged entries (not handed to the link) past their send deadline go back to the store's
  // queue (staged_too_long). release_if_late(): one of them, true when released. Strand only.
  void release_late_staged();
  bool release_if_late(std::uint64_t key, std::int64_t now);
  // Queues the final outcome of a claimed entry (status + its event + ack, one store::complete
  // per strand turn). `m` gets the update applied (its status event is built from it): callers
  // pass the record they are done with. Strand only.
  void complete(policy::message_record& m, const std::string& lease, const policy::status_update& u);
  void flush_completions();
  void on_result(smpp::net::submit_outcome outcome);
  void finish(std::uint64_t key);
  void pump();
  bool recently_suppressed(const policy::message_record& m) const;
  void reject_suppressed(std::uint64_t key);
  void on_event(const smpp::net::link_event& e);
  void in_flight_changed();  // metric + the count reserve_direct() reads; strand only
  std::int64_t now_ms() const;
  std::int64_t backoff_ms(int attempts) const;
  double sender_rate(const std::string& sender) const;

  boost::asio::any_io_executor strand_;  // a strand (make_io_strand)
  policy::store& store_;
  std::shared_ptr<const settings> settings_;
  std::string carrier_;
  metrics* metrics_;
  inbound_handler inbound_;
  worker_options options_;
  std::shared_ptr<smpp::net::carrier_link> link_;
  boost::asio::steady_timer wake_;
  std::atomic<unsigned> bound_sessions_{0};
  std::atomic<bool> stopping_{false};
  // Direct hand-off: capacity (window x sessions x 2, as for claims), messages in flight, slots
  // reserved and not handed off yet, and whether the last claim suggests a backlog in the store.
  std::atomic<std::size_t> capacity_{0};
  std::atomic<std::size_t> in_flight_count_{0};
  std::atomic<std::size_t> direct_reserved_{0};
  std::atomic<bool> backlog_{true};
  // Hand-off buffer: entries held beyond the capacity, FIFO (strand only), their count and the
  // created_at_ms of the oldest (0: none) for reserve_direct().
  std::deque<std::unique_ptr<policy::queue_entry>> held_;
  std::atomic<std::size_t> held_count_{0};
  std::atomic<std::int64_t> oldest_held_ms_{0};
  std::size_t held_peak_ = 0;                // strand only: the most held at once (logged at stop)
  bool draining_held_ = false;               // strand only: no re-entry from dispatch()
  std::shared_ptr<stop_state> stop_;         // strand only: set by async_stop()
  prometheus::Counter* handed_off_ = nullptr;  // strand only; looked up once
  prometheus::Gauge* held_gauge_ = nullptr;    // strand only; looked up once
  prometheus::Gauge* window_in_use_ = nullptr;           // strand only; looked up once
  prometheus::Histogram* submit_latency_ = nullptr;      // strand only; looked up once
  std::map<std::uint64_t, std::shared_ptr<in_flight>> in_flight_;  // strand only
  // Claimed messages wait here, not in the link's queue, until the window has room: a STOP can
  // still stop them (suppressed()). The link gets at most window x sessions parts at a time
  // (fewer against a throttled carrier: gateway/lease_budget.hpp); one still here at half its
  // lease is released instead (release_late_staged()).
  std::deque<std::uint64_t> staged_;  // strand only
  std::size_t parts_at_link_ = 0;     // handed to the link, not answered yet; strand only
  // Parts per message, a moving average of what was dispatched (drain_capacity() counts messages
  // by it); strand only.
  double parts_per_message_ = 1.0;
  // Messages released because the link dropped their parts at the send deadline, not logged yet
  // (the claim loop logs them together); strand only.
  std::size_t late_at_link_ = 0;
  struct recent_suppression {
    std::string number_key;
    std::string sender;  // empty: global
    std::chrono::steady_clock::time_point until;
    std::int64_t at_ms = 0;  // wall clock when it was stored: it stops messages admitted until then
  };
  std::deque<recent_suppression> recent_suppressions_;  // strand only; bounded
  // How many of recent_suppressions_ are of each number (a message of another number is not
  // scanned for: with several instances every one hears of every suppression). Strand only.
  std::unordered_map<std::string, std::size_t> recent_numbers_;
  std::map<std::string, smpp::token_bucket, std::less<>> pacing_;   // strand only
  std::vector<policy::completion> completions_;  // strand only; flushed by flush_completions()
  bool flush_posted_ = false;                    // strand only
  std::uint64_t next_key_ = 1;
  std::uint16_t next_reference_ = 1;
};

}  // namespace gateway
