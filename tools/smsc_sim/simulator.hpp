#pragma once

// smsc-sim's SMSC behaviour on top of smpp::net::smsc_server: authenticates binds, answers
// submit_sm with message ids (optionally throttled and delayed), keeps a bounded list of what it
// received (concatenated submits reassembled), emits delivery receipts after a delay with a
// failure ratio, and injects mobile-originated messages (POST /mo).
//
// Executor: everything runs on the executor given to the constructor; the tool runs one
// io_context on one thread, so the control HTTP listener calls these methods directly.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "smpp/net/smsc_server.hpp"
#include "smpp/pdu.hpp"
#include "smpp/token_bucket.hpp"

namespace smsc_sim {

struct options {
  std::string system_id;  // empty: any system_id binds
  std::string password;   // empty: any password
  std::chrono::milliseconds dlr_delay{1000};
  double dlr_fail_ratio = 0;  // 0..1: share of receipts with stat:UNDELIV
  double throttle_tps = 0;    // submit_sm per second above which ESME_RTHROTTLED; 0 = never
  std::chrono::milliseconds resp_delay{0};
  std::size_t max_messages = 10'000;  // received messages kept for GET /messages (oldest dropped)
  std::size_t max_pending_deliveries = 100'000;  // receipts + MO parts waiting for a receiver
  std::uint32_t window = 1024;  // per-session inbound window (above: ESME_RMSGQFUL)
  std::uint32_t deliver_window = 64;  // deliver_sm outstanding per session
  std::chrono::milliseconds enquire_link_interval{30'000};
  std::chrono::milliseconds response_timeout{10'000};
  std::uint64_t seed = 0;  // 0: random
  // TLS on the SMPP listener when both are set (PEM files).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;  // non-empty: clients must present a certificate from this CA
};

struct stored_message {
  std::string from;
  std::string to;
  std::string text;
  std::uint8_t data_coding = 0;
  unsigned segments = 1;
  std::string message_id;                // the first part's id
  std::vector<std::string> message_ids;  // every part's id
  std::string system_id;
  bool complete = true;  // false: a concatenated message whose parts did not all arrive
};

struct mo_request {
  std::string from;
  std::string to;
  std::string text;
  // "gsm7" (or empty): GSM-7 when every character has one, else UCS-2, as a phone does (so
  // "ARRÊT" goes as UCS-2); "ucs2": always UCS-2.
  std::string encoding = "gsm7";
  // Parts (1-based) of a concatenated reply that are not sent, as if the network lost them: for
  // testing what the gateway does with a reply that never completes. Each must be a part of it.
  std::vector<unsigned> skip_parts;
};

struct mo_result {
  int http_status = 200;
  std::string error;  // empty on success
  unsigned parts = 0;
};

class simulator : public smpp::net::smsc_server_handler,
                  public std::enable_shared_from_this<simulator> {
 public:
  simulator(boost::asio::any_io_executor executor, options opts);

  std::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  void stop();
  // Closes every SMPP connection without unbind (a carrier failure, for tests).
  void drop_connections();

  mo_result send_mo(const mo_request& request);
  // Sends a delivery receipt now for a message id this simulator gave out (or any id: tests of
  // unknown ids), with the stat word given (DELIVRD, ENROUTE, UNDELIV, EXPIRED, REJECTD, ...).
  // For out-of-order and duplicate receipt tests (POST /receipt).
  mo_result send_receipt(const std::string& message_id, const std::string& stat);
  nlohmann::json stats() const;
  // Newest first; `to` filters on the destination when not empty.
  std::vector<stored_message> messages(const std::string& to, std::size_t limit) const;

  // smsc_server_handler
  std::uint32_t authenticate(const smpp::net::session& s,
                             const smpp::net::bind_request& request) override;
  void on_bound(const std::shared_ptr<smpp::net::session>& s,
                const smpp::net::bind_request& request) override;
  void on_request(const std::shared_ptr<smpp::net::session>& s, const smpp::pdu_header& header,
                  std::span<const std::uint8_t> body) override;
  void on_response(smpp::net::session& s, std::uint64_t cookie, const smpp::pdu_header& header,
                   std::span<const std::uint8_t> body) override;
  void on_failure(smpp::net::session& s, std::uint64_t cookie, std::error_code error) override;
  void on_closed(smpp::net::session& s, std::error_code error) override;

 private:
  struct bound_info {
    std::weak_ptr<smpp::net::session> session;
    std::string system_id;
    smpp::bind_type type;
  };
  struct outbound {
    std::chrono::steady_clock::time_point due;
    std::string system_id;  // deliver to a session bound with it; empty: any receiver
    std::vector<std::uint8_t> body;  // encoded deliver_sm body (no header)
    bool receipt = false;
    bool mo = false;  // a mobile-originated part (not a receipt)
    unsigned attempts = 0;
  };
  struct partial {
    std::vector<std::optional<std::string>> parts;
    std::vector<std::string> ids;
    std::size_t received = 0;
    std::uint8_t data_coding = 0;
    std::string from, to, system_id;
  };

  void handle_submit(const std::shared_ptr<smpp::net::session>& s, const smpp::pdu_header& h,
                     std::span<const std::uint8_t> body);
  void store(const std::string& system_id, const smpp::submit_sm& sm, const std::string& id);
  void push_message(stored_message m);
  void schedule_receipt(const std::string& system_id, const smpp::submit_sm& sm,
                        const std::string& id);
  void enqueue(outbound o);
  void pump();
  void arm_pump(std::chrono::steady_clock::time_point at);
  std::shared_ptr<smpp::net::session> pick_receiver(const std::string& system_id);
  std::string next_message_id();

  boost::asio::any_io_executor executor_;
  options opts_;
  std::shared_ptr<smpp::net::smsc_server> server_;
  std::unordered_map<const smpp::net::session*, bound_info> bound_;
  std::size_t receiver_rr_ = 0;
  smpp::token_bucket throttle_;
  std::mt19937_64 rng_;
  std::uint64_t next_id_ = 0;
  std::uint16_t mo_reference_ = 0;

  std::deque<stored_message> messages_;
  std::map<std::string, partial> partials_;
  std::deque<std::string> partial_order_;

  std::deque<outbound> receipts_;  // due times increase: dlr_delay is fixed
  std::deque<outbound> mo_;        // due now
  std::unordered_map<std::uint64_t, outbound> in_flight_;
  std::uint64_t next_cookie_ = 1;
  boost::asio::steady_timer pump_timer_;
  std::optional<std::chrono::steady_clock::time_point> pump_at_;

  struct counters {
    std::uint64_t binds = 0, bind_failures = 0, unbinds = 0, submit_sm = 0, submit_sm_ok = 0,
                  submit_sm_errors = 0, throttled = 0, deliver_sm = 0, deliver_sm_resp_ok = 0,
                  deliver_sm_resp_errors = 0, deliver_sm_retries = 0, receipts = 0, mo = 0,
                  mo_parts = 0, dropped_deliveries = 0, data_sm = 0, other_requests = 0;
    // submit_sm_ok when the last MO part was acknowledged (deliver_sm_resp OK): a test can tell
    // how many submits arrived after a STOP was acknowledged.
    std::uint64_t submit_sm_at_last_mo_ack = 0;
  } c_;
};

}  // namespace smsc_sim
