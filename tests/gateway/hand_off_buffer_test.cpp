// The carrier worker's direct hand-off beyond the window (docs/architecture.md, "Direct
// hand-off"): leased messages handed to the worker at admission while its window is full are
// held in memory, in order, and sent as the window frees up; what they must never do is sit in
// memory past their lease, delay other senders, outlive a stop or a lost bind, or skip the
// send-time checks. The worker runs against smsc-sim in-process (127.0.0.1, port 0) and an
// in-memory store that keeps a real queue (leases, reschedule, claim), so every message can be
// followed to the simulator. Every wait is bounded (run_until gives up after a few seconds).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "gateway/carrier_worker.hpp"
#include "gateway/metrics.hpp"
#include "gateway/settings.hpp"
#include "policy/store.hpp"
#include "tools/smsc_sim/simulator.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A store that keeps only the queue: leased entries, scheduled entries (reschedule, nack) that a
// claim hands out again when due, and the final outcomes (complete). Completions are posted to
// the io_context, never run inside the call. Everything else is unused by the worker.
class queue_store : public policy::store {
 public:
  explicit queue_store(asio::io_context& io) : io_(io) {}

  struct release_call {
    std::string id;
    std::string lease;
    std::int64_t at_ms = 0;
    std::int64_t called_at_ms = 0;
  };

  // A message admitted and leased to the worker (lease 'a'), as the admission does it.
  std::unique_ptr<policy::queue_entry> lease(policy::message_record m) {
    auto e = std::make_unique<policy::queue_entry>();
    e->message = std::move(m);
    e->lease_id = "a";
    e->deliveries = 1;
    leased_[e->message.id] = *e;
    return e;
  }

  std::map<std::string, policy::completion> completed;      // message id -> its final outcome
  std::vector<release_call> reschedules;                     // every reschedule, in call order
  std::map<std::string, policy::queue_entry> scheduled;      // back in the queue (id -> entry)
  std::map<std::string, std::int64_t> scheduled_at;
  int claims = 0;
  // Claimed leases run out (off by default: the other tests hold messages longer than their short
  // leases on purpose), and how many ran out unreleased (the message is sent again).
  bool expire_leases = false;
  int lease_expiries = 0;

  // A message queued in the store (as an admission without a hand-off does), due now.
  void enqueue(policy::message_record m) {
    policy::queue_entry e;
    e.message = std::move(m);
    scheduled_at[e.message.id] = 0;
    scheduled[e.message.id] = std::move(e);
  }

  void claim(policy::claim_request req, policy::store_callback<policy::claim_result> cb) override {
    ++claims;
    // As the real stores: a claimed lease that ran out goes back to the queue, due now, marked
    // lease_lost (leases taken by lease() do not expire here).
    for (auto it = lease_until_.begin(); it != lease_until_.end();) {
      if (!expire_leases || it->second > req.now_ms) {
        ++it;
        continue;
      }
      auto found = leased_.find(it->first);
      if (found != leased_.end()) {
        ++lease_expiries;
        found->second.lease_lost = true;
        scheduled[it->first] = found->second;
        scheduled_at[it->first] = 0;
        leased_.erase(found);
      }
      it = lease_until_.erase(it);
    }
    policy::claim_result r;
    for (auto it = scheduled.begin(); it != scheduled.end() && static_cast<int>(r.entries.size()) < req.max;) {
      if (scheduled_at[it->first] > req.now_ms) {
        ++it;
        continue;
      }
      auto e = it->second;
      ++e.deliveries;
      e.lease_id = "c" + std::to_string(e.deliveries);
      leased_[e.message.id] = e;
      lease_until_[e.message.id] = req.now_ms + req.lease_ms;
      r.entries.push_back(e);
      scheduled_at.erase(it->first);
      it = scheduled.erase(it);
    }
    later(std::move(cb), std::move(r));
  }
  void complete(std::vector<policy::completion> items,
                policy::store_callback<std::vector<policy::completion_result>> cb) override {
    std::vector<policy::completion_result> res;
    for (auto& c : items) {
      policy::completion_result r;
      r.found = true;
      r.applied = true;
      r.current = c.update.status;
      r.released = leased_.erase(c.update.message_id) > 0;
      lease_until_.erase(c.update.message_id);
      completed[c.update.message_id] = c;
      res.push_back(r);
    }
    later(std::move(cb), std::move(res));
  }
  void ack(std::string, std::string id, std::string, policy::store_callback<policy::done> cb) override {
    leased_.erase(id);
    lease_until_.erase(id);
    later(std::move(cb), policy::done{});
  }
  void nack(std::string, std::string id, std::string lease, std::int64_t at, std::string,
            policy::store_callback<policy::done> cb) override {
    requeue(id, lease, at);
    later(std::move(cb), policy::done{});
  }
  void reschedule(std::string, std::string id, std::string lease, std::int64_t at,
                  policy::store_callback<policy::done> cb) override {
    reschedules.push_back({id, lease, at, wall_ms()});
    requeue(id, lease, at);
    later(std::move(cb), policy::done{});
  }

  // Unused by the worker.
  void admit(policy::admit_request, policy::store_callback<policy::admit_result> cb) override { fail(cb); }
  void admit_batch(std::vector<policy::admit_request>, policy::store_callback<std::vector<policy::admit_result>> cb) override { fail(cb); }
  void suppress(policy::suppression_record, policy::store_callback<policy::done> cb) override { fail(cb); }
  void unsuppress(std::string, std::string, policy::store_callback<bool> cb) override { fail(cb); }
  void is_suppressed(std::string, std::string, policy::opt_out_scope, policy::store_callback<bool> cb) override { fail(cb); }
  void grant_consent(policy::consent_record, policy::store_callback<policy::done> cb) override { fail(cb); }
  void revoke_consent(policy::consent_record, policy::store_callback<bool> cb) override { fail(cb); }
  void lookup_number(std::string, policy::store_callback<policy::number_facts> cb) override { fail(cb); }
  void get_message(std::string, policy::store_callback<std::optional<policy::message_record>> cb) override { fail(cb); }
  void set_status(policy::status_update, policy::store_callback<policy::status_result> cb) override { fail(cb); }
  void correlate(std::string, std::string, std::int64_t, policy::store_callback<std::optional<std::string>> cb) override { fail(cb); }
  void idempotency_get(std::string, std::int64_t, policy::store_callback<std::optional<policy::idempotency_record>> cb) override { fail(cb); }
  void idempotency_put(policy::idempotency_record, std::int64_t, policy::store_callback<policy::idempotency_record> cb) override { fail(cb); }
  void stats(std::string, std::int64_t, policy::store_callback<queue_stats> cb) override { fail(cb); }
  void outbox_put(policy::webhook_event, policy::store_callback<policy::done> cb) override { fail(cb); }
  void outbox_claim(int, std::int64_t, std::int64_t, policy::store_callback<std::vector<policy::webhook_event>> cb) override { fail(cb); }
  void outbox_ack(std::string, std::string, policy::store_callback<policy::done> cb) override { fail(cb); }
  void outbox_retry(std::string, std::string, std::int64_t, std::string, bool, policy::store_callback<policy::done> cb) override { fail(cb); }
  void dead_letters(int, policy::store_callback<std::vector<policy::webhook_event>> cb) override { fail(cb); }
  void replay_dead_letter(std::string, std::int64_t, policy::store_callback<bool> cb) override { fail(cb); }
  void health(policy::store_callback<policy::health_info> cb) override { fail(cb); }
  void import_suppressions(std::vector<policy::suppression_record>, policy::store_callback<policy::import_result> cb) override { fail(cb); }
  void import_consents(std::vector<policy::consent_record>, policy::store_callback<policy::import_result> cb) override { fail(cb); }
  void export_suppressions(std::string, int, policy::store_callback<policy::export_page<policy::suppression_record>> cb) override { fail(cb); }
  void export_consents(std::string, int, policy::store_callback<policy::export_page<policy::consent_record>> cb) override { fail(cb); }
  void erase_number(std::string, std::string, std::int64_t, policy::store_callback<policy::erase_result> cb) override { fail(cb); }
  void purge(policy::purge_request, policy::store_callback<policy::purge_result> cb) override { fail(cb); }

 private:
  template <class R>
  void later(policy::store_callback<R> cb, R value) {
    asio::post(io_, [cb = std::move(cb), value = std::move(value)]() mutable { cb({}, std::move(value)); });
  }
  template <class R>
  void fail(policy::store_callback<R>& cb) {
    asio::post(io_, [cb = std::move(cb)] { cb(policy::store_errc::unavailable, R{}); });
  }
  void requeue(const std::string& id, const std::string& lease, std::int64_t at) {
    auto it = leased_.find(id);
    if (it == leased_.end() || it->second.lease_id != lease) return;  // not ours: nothing changes
    scheduled[id] = it->second;
    scheduled[id].lease_lost = false;
    scheduled_at[id] = at;
    leased_.erase(it);
    lease_until_.erase(id);
  }

  asio::io_context& io_;
  std::map<std::string, policy::queue_entry> leased_;
  std::map<std::string, std::int64_t> lease_until_;  // claimed leases: when they run out
};

std::string config_text(std::uint16_t port, unsigned window, unsigned tps) {
  return R"(http: {listen: "127.0.0.1:0"}
admin: {listen: "127.0.0.1:0"}
store: {kind: sqlite, path: "unused.db"}
api_keys:
  - {name: dev, key: "dev-key", senders: ["12345", "+14155550100"]}
carriers:
  - name: sim
    host: 127.0.0.1
    port: )" + std::to_string(port) + R"(
    system_id: smsgw
    password: secret
    sessions: 1
    window: )" + std::to_string(window) + R"(
    tps: )" + std::to_string(tps) + R"(
    registered_delivery: false
    reconnect_min: 5s
    reconnect_max: 10s
    response_timeout: 5s
routes:
  - {prefix: "+", carrier: sim}
senders:
  - {id: "12345", tps: 100000}
  - {id: "+14155550100", tps: 1}
policy:
  categories:
    transactional: {consent: none, quiet_hours: none, caps: []}
)";
}

struct HandOffBuffer : ::testing::Test {
  asio::io_context io{1};
  queue_store store{io};
  gateway::metrics metrics{"test"};
  std::shared_ptr<smsc_sim::simulator> sim;
  std::shared_ptr<gateway::carrier_worker> worker;
  int seq = 0;

  // smsc-sim answering every submit_sm after `resp_delay` (ESME_RTHROTTLED above `throttle_tps`
  // if set); a worker with `window` (1 session: capacity 2 x window) and `tps` bound to it.
  void start(std::chrono::milliseconds resp_delay, unsigned window, gateway::worker_options options = {},
             double throttle_tps = 0, unsigned tps = 100'000) {
    smsc_sim::options o;
    o.seed = 7;
    o.resp_delay = resp_delay;
    o.throttle_tps = throttle_tps;
    o.max_messages = 100'000;
    sim = std::make_shared<smsc_sim::simulator>(io.get_executor(), o);
    ASSERT_FALSE(sim->listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)));
    sim->start();
    auto loaded = config::load_config_from_string(config_text(sim->local_endpoint().port(), window, tps), "test.yaml", ".");
    ASSERT_TRUE(loaded.ok()) << config::to_string(loaded.errors.front());
    options.idle_poll_ms = 20;
    worker = gateway::carrier_worker::create(io.get_executor(), store, gateway::make_settings(std::move(loaded.config)),
                                             "sim", &metrics, nullptr, options);
    worker->start();
    ASSERT_TRUE(run_until([&] { return worker->bound(); }));
    // The first claim comes back short (the queue is empty): hand-offs are taken from then on.
    const int claims = store.claims;
    ASSERT_TRUE(run_until([&] { return store.claims > claims + 1; }));
  }

  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 8000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
    return done();
  }

  // A message whose text is its id, so that the simulator's copy names it.
  policy::message_record message(const std::string& sender = "12345", std::string number_key = "") {
    policy::message_record m;
    m.id = "msg_" + std::to_string(++seq);
    m.number_key = number_key.empty() ? "key" + std::to_string(seq) : std::move(number_key);
    m.e164 = "+1415555" + std::to_string(1000 + seq);
    m.carrier = "sim";
    m.sender = sender;
    m.text = m.id;
    m.category = "transactional";
    m.created_at_ms = wall_ms();
    return m;
  }

  // The value of one series of /metrics ("name{labels}"), -1 when absent.
  double metric(const std::string& series) {
    const std::string text = metrics.serialize();
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }

  // Reserves a place and hands the message over, as api_service does; false: no place.
  bool hand_off(policy::message_record m) {
    if (worker->reserve_direct() == 0) return false;
    worker->hand_off(store.lease(std::move(m)));
    return true;
  }

  // Message id -> how many times the simulator received it.
  std::map<std::string, int> received() {
    std::map<std::string, int> n;
    for (const auto& m : sim->messages("", 100'000)) ++n[m.text];
    return n;
  }

  void stop_all() {
    if (worker) {
      bool stopped = false;
      worker->async_stop([&] { stopped = true; });
      run_until([&] { return stopped; }, 8000ms);
      worker.reset();
    }
    if (sim) sim->stop();
    io.run_for(50ms);
  }
  void TearDown() override { stop_all(); }
};

// A window of 1 (capacity 2) and 60 hand-offs: 58 wait in the buffer. Every message reaches the
// simulator exactly once and is completed `submitted`, in the order it was handed over; none
// went back to the store's queue.
TEST_F(HandOffBuffer, MessagesBeyondTheWindowAreSentOnceInOrder) {
  start(2ms, 1);
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) {
    auto m = message();
    ids.push_back(m.id);
    ASSERT_TRUE(hand_off(std::move(m))) << "hand-off " << i << " refused";
  }
  run_until([] { return false; }, 1ms);
  EXPECT_GT(metric("smsgw_hand_off_held{carrier=\"sim\"}"), 0);  // the buffer is in use, and shown
  ASSERT_TRUE(run_until([&] { return store.completed.size() == ids.size(); }));
  EXPECT_EQ(metric("smsgw_hand_off_held{carrier=\"sim\"}"), 0);
  const auto got = received();
  for (const auto& id : ids) {
    EXPECT_EQ(got.count(id) ? got.at(id) : 0, 1) << id;
    EXPECT_EQ(store.completed[id].update.status, policy::message_status::submitted) << id;
    EXPECT_EQ(store.completed[id].lease_id, "a") << id;
  }
  EXPECT_TRUE(store.reschedules.empty());
  // The simulator lists newest first: reversed, the hand-off order.
  std::vector<std::string> order;
  for (const auto& m : sim->messages("", 100'000)) order.insert(order.begin(), m.text);
  EXPECT_EQ(order, ids);
}

// The buffer is bounded: capacity (2 x window) + hand_off_buffer places, then reserve_direct()
// refuses and the admission queues the message in the store instead.
TEST_F(HandOffBuffer, ReservationsStopAtCapacityPlusBuffer) {
  gateway::worker_options o;
  o.hand_off_buffer = 5;
  start(3000ms, 1, o);  // nothing is answered during the test: the window stays full
  int granted = 0;
  while (granted < 100 && worker->reserve_direct() > 0) ++granted;
  EXPECT_EQ(granted, 2 + 5);
  // Places come back when the admission did not lease (refused, duplicate, store error).
  worker->hand_off(nullptr);
  run_until([] { return false; }, 30ms);
  EXPECT_GT(worker->reserve_direct(), 0);
  EXPECT_EQ(worker->reserve_direct(), 0);
  for (int i = 0; i < 7; ++i) worker->hand_off(nullptr);
}

// The buffer takes only what drains well inside the lease: once its oldest entry has waited
// longer than the hold target, new messages go to the store's queue (reserve_direct() says no)
// even though places are left.
TEST_F(HandOffBuffer, NoNewHandOffWhileTheOldestHeldOneWaitsTooLong) {
  gateway::worker_options o;
  o.hand_off_hold_ms = 200;
  start(1500ms, 1, o);  // the first submit is answered after the test
  for (int i = 0; i < 4; ++i) {
    auto m = message();
    m.created_at_ms = wall_ms() - 1000;  // admitted a second ago: older than the hold target
    ASSERT_TRUE(hand_off(std::move(m)));
  }
  run_until([] { return false; }, 50ms);  // the worker takes them: 2 in the window, 2 held
  EXPECT_EQ(worker->reserve_direct(), 0);
}

// A held entry that waited lease_ms / 2 (the carrier stalled) is not sent this late: its lease
// is given back at once (reschedule, due now) and a claim sends it later, once. Nothing is lost
// and nothing is sent twice.
TEST_F(HandOffBuffer, EntryHeldHalfItsLeaseIsReleasedNotSent) {
  gateway::worker_options o;
  o.lease_ms = 1000;  // released after 500 ms in the buffer
  start(900ms, 1, o);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto m = message();
    ids.push_back(m.id);
    ASSERT_TRUE(hand_off(std::move(m)));
  }
  // 2 in the window (1 at the link, 1 staged), 4 held: the held ones and the staged one are
  // released after 500 ms, before the first response came back (0.9 s).
  ASSERT_TRUE(run_until([&] { return store.reschedules.size() == 5; }, 850ms));
  EXPECT_TRUE(received().size() <= 1);
  std::set<std::string> released;
  for (const auto& r : store.reschedules) {
    released.insert(r.id);
    EXPECT_EQ(r.lease, "a");
    EXPECT_LE(r.at_ms, r.called_at_ms);  // due now, not after the lease
  }
  EXPECT_EQ(released, std::set<std::string>(ids.begin() + 1, ids.end()));
  EXPECT_EQ(metric("smsgw_hand_off_released_total{carrier=\"sim\",reason=\"held_too_long\"}"), 4);
  EXPECT_EQ(metric("smsgw_hand_off_released_total{carrier=\"sim\",reason=\"staged_too_long\"}"), 1);
  // The claims send them later: each exactly once, with the claim's lease.
  ASSERT_TRUE(run_until([&] { return store.completed.size() == ids.size(); }, 10'000ms));
  const auto got = received();
  for (const auto& id : ids) EXPECT_EQ(got.count(id) ? got.at(id) : 0, 1) << id;
  // Sent under a claim's lease ("c2", or later: with a window of 1 and 900 ms answers, the
  // second message of a claim waits in the staging area past half its 1 s lease and is released
  // again, staged_too_long).
  EXPECT_EQ(store.completed[ids[2]].lease_id.substr(0, 1), "c");
}

// The throttled carrier (docs/smpp.md, "Throttling"): window 100 and tps 1000, but the carrier
// takes 5/s, and a short lease (2 s). Before, the worker claimed 200 at once; they took far
// longer than the lease to drain, the next claim took the expired ones again and they were sent
// twice. Now the worker claims what the link sends in a quarter of the lease at the rate it was
// allowed, and releases (staged_too_long) what it could not hand over by half the lease: every
// message reaches the carrier exactly once and no lease runs out. The rate gauge then follows the
// governor back up while the link is idle.
TEST_F(HandOffBuffer, AThrottledCarrierNeverGetsAClaimedMessageTwice) {
  gateway::worker_options o;
  o.lease_ms = 2000;
  store.expire_leases = true;
  start(1ms, 100, o, 5, 1000);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto m = message();
    ids.push_back(m.id);
    store.enqueue(std::move(m));
  }
  worker->notify();
  double lowest_gauge = 1e9;
  const auto gauge = [&] { return metric("smsgw_smpp_allowed_tps{carrier=\"sim\"}"); };
  ASSERT_TRUE(run_until([&] {
    const double g = gauge();
    if (g >= 0) lowest_gauge = std::min(lowest_gauge, g);
    return store.completed.size() == ids.size();
  }, 30'000ms)) << store.completed.size() << " of " << ids.size() << " completed";
  const auto got = received();
  for (const auto& id : ids) {
    EXPECT_EQ(got.count(id) ? got.at(id) : 0, 1) << id;
    EXPECT_EQ(store.completed[id].update.status, policy::message_status::submitted) << id;
  }
  EXPECT_EQ(store.lease_expiries, 0);
  EXPECT_LE(metric("smsgw_messages_resent_after_crash_total{carrier=\"sim\"}"), 0);
  EXPECT_GT(sim->stats()["throttled"].get<int>(), 0);  // the carrier did throttle
  std::printf("20 messages at 5/s, lease 2 s: %d submits, %d throttled, %zu released staged_too_long\n",
              sim->stats()["submit_sm"].get<int>(), sim->stats()["throttled"].get<int>(),
              static_cast<std::size_t>(std::max(0.0, metric("smsgw_hand_off_released_total{carrier=\"sim\",reason=\"staged_too_long\"}"))));
  // Idle now: the governor holds the lowered rate (5 s), then probes up; the gauge follows.
  ASSERT_LT(lowest_gauge, 100.0);
  const double at_end = gauge();
  EXPECT_TRUE(run_until([&] { return gauge() > at_end; }, 9000ms)) << at_end;
}

// A slow sender (1/s) does not hold up the others: its held messages are rescheduled into the
// store's queue when they reach the window (not kept in memory), while the fast sender's 40
// messages behind them are all sent.
TEST_F(HandOffBuffer, SlowSenderWaitsInTheQueueAndDoesNotDelayOthers) {
  start(2ms, 1);
  std::vector<std::string> slow, fast;
  for (int i = 0; i < 10; ++i) {
    auto m = message("+14155550100");
    slow.push_back(m.id);
    ASSERT_TRUE(hand_off(std::move(m)));
  }
  for (int i = 0; i < 40; ++i) {
    auto m = message("12345");
    fast.push_back(m.id);
    ASSERT_TRUE(hand_off(std::move(m)));
  }
  ASSERT_TRUE(run_until([&] {
    for (const auto& id : fast) {
      if (!store.completed.count(id)) return false;
    }
    return true;
  }, 3000ms));
  // At that moment at most two of the slow sender's messages were sent (1/s); the others wait
  // in the store's queue for their turn, none in the worker's memory.
  int slow_sent = 0;
  for (const auto& id : slow) slow_sent += store.completed.count(id) ? 1 : 0;
  EXPECT_LE(slow_sent, 2);
  EXPECT_GE(store.scheduled.size() + static_cast<std::size_t>(slow_sent), slow.size() - 1);
  for (const auto& [id, entry] : store.scheduled) EXPECT_EQ(entry.message.sender, "+14155550100");
}

// SIGTERM drain: held hand-offs and staged messages are released to the store's queue right
// away (due now), the stop completes once the store answered, and nothing was sent twice.
TEST_F(HandOffBuffer, StopReleasesHeldAndStagedEntriesAtOnce) {
  start(400ms, 1);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto m = message();
    ids.push_back(m.id);
    ASSERT_TRUE(hand_off(std::move(m)));
  }
  run_until([] { return false; }, 50ms);  // one at the link, the rest staged or held
  bool stopped = false;
  const std::int64_t stop_at = wall_ms();
  worker->async_stop([&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }, 5000ms));
  // Everything not at the link went back to the queue, due now, with the admission's lease.
  EXPECT_EQ(store.reschedules.size(), ids.size() - 1);
  std::set<std::string> released;
  for (const auto& r : store.reschedules) {
    EXPECT_EQ(r.lease, "a");
    EXPECT_LE(r.at_ms, stop_at + 1000);
    released.insert(r.id);
  }
  EXPECT_EQ(store.scheduled.size(), ids.size() - 1);
  // The one at the link got its answer; every message is either completed or back in the queue.
  for (const auto& id : ids) EXPECT_EQ(store.completed.count(id) + store.scheduled.count(id), 1u) << id;
  for (const auto& [id, n] : received()) EXPECT_FALSE(released.count(id)) << id << " released and sent";
  // A message handed over after the stop is released too, not kept.
  worker->hand_off(store.lease(message()));
  run_until([&] { return store.reschedules.size() == ids.size(); }, 1000ms);
  EXPECT_EQ(store.reschedules.size(), ids.size());
  // The operator sees them: every release counted, nothing held any more.
  EXPECT_EQ(metric("smsgw_hand_off_released_total{carrier=\"sim\",reason=\"stopping\"}"), double(ids.size()));
  EXPECT_EQ(metric("smsgw_hand_off_held{carrier=\"sim\"}"), 0);
  worker.reset();
}

// Failover: the carrier drops every bind. The held hand-offs go back to the store's queue at
// once (not kept in memory until a reconnect), and no new hand-off is taken while unbound.
TEST_F(HandOffBuffer, LostBindReleasesHeldEntries) {
  start(2000ms, 1);
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    auto m = message();
    ids.push_back(m.id);
    ASSERT_TRUE(hand_off(std::move(m)));
  }
  run_until([] { return false; }, 50ms);
  sim->drop_connections();
  ASSERT_TRUE(run_until([&] { return !worker->bound(); }, 3000ms));
  ASSERT_TRUE(run_until([&] { return store.reschedules.size() >= 6; }, 1000ms));
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(store.reschedules[i].id, ids[2 + i]);
    EXPECT_EQ(store.reschedules[i].lease, "a");
  }
  EXPECT_EQ(metric("smsgw_hand_off_released_total{carrier=\"sim\",reason=\"carrier_unbound\"}"), 6);
  EXPECT_EQ(metric("smsgw_hand_off_held{carrier=\"sim\"}"), 0);
  EXPECT_EQ(worker->reserve_direct(), 0);
}

// The send-time checks still apply to held entries: a STOP that arrives while a message waits
// in the buffer rejects it (recipient_opted_out) instead of sending it, and a message whose
// validity passed while held is completed `expired`.
TEST_F(HandOffBuffer, HeldEntriesAreRecheckedForStopsAndValidity) {
  start(300ms, 1);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(hand_off(message()));  // fill the window
  auto stopped_number = message("12345", "stop-me");
  const std::string stopped_id = stopped_number.id;
  auto short_lived = message();
  short_lived.valid_until_ms = wall_ms() + 100;
  const std::string expired_id = short_lived.id;
  auto normal = message();
  const std::string normal_id = normal.id;
  ASSERT_TRUE(hand_off(std::move(stopped_number)));
  ASSERT_TRUE(hand_off(std::move(short_lived)));
  ASSERT_TRUE(hand_off(std::move(normal)));
  bool in_force = false;
  worker->suppressed("stop-me", "", [&] { in_force = true; });
  ASSERT_TRUE(run_until([&] { return in_force; }, 1000ms));
  ASSERT_TRUE(run_until([&] { return store.completed.size() == 5; }, 5000ms));
  EXPECT_EQ(store.completed[stopped_id].update.status, policy::message_status::rejected);
  EXPECT_EQ(store.completed[stopped_id].update.error, "recipient_opted_out");
  EXPECT_EQ(store.completed[expired_id].update.status, policy::message_status::expired);
  EXPECT_EQ(store.completed[normal_id].update.status, policy::message_status::submitted);
  const auto got = received();
  EXPECT_FALSE(got.count(stopped_id));
  EXPECT_FALSE(got.count(expired_id));
  EXPECT_EQ(got.count(normal_id), 1u);
}

// STOP, then START: a message admitted after the START passed the store's own check and is
// sent, although the worker still remembers the STOP (for one lease) for the messages admitted
// before it; one admitted before the STOP is still stopped.
TEST_F(HandOffBuffer, AMessageAdmittedAfterTheStopWasLiftedIsSent) {
  start(300ms, 1);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(hand_off(message()));  // fill the window
  auto before = message("12345", "stop-then-start");
  before.created_at_ms = wall_ms() - 10;
  const std::string before_id = before.id;
  ASSERT_TRUE(hand_off(std::move(before)));
  bool in_force = false;
  worker->suppressed("stop-then-start", "", [&] { in_force = true; });
  ASSERT_TRUE(run_until([&] { return in_force; }, 1000ms));
  auto after = message("12345", "stop-then-start");
  after.created_at_ms = wall_ms() + 10;  // admitted after a START lifted the suppression
  const std::string after_id = after.id;
  ASSERT_TRUE(hand_off(std::move(after)));
  ASSERT_TRUE(run_until([&] { return store.completed.size() == 4; }, 5000ms));
  EXPECT_EQ(store.completed[before_id].update.status, policy::message_status::rejected);
  EXPECT_EQ(store.completed[before_id].update.error, "recipient_opted_out");
  EXPECT_EQ(store.completed[after_id].update.status, policy::message_status::submitted);
  const auto got = received();
  EXPECT_FALSE(got.count(before_id));
  EXPECT_EQ(got.count(after_id), 1u);
}

}  // namespace
