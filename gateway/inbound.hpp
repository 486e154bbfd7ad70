#pragma once

// What carriers send back: delivery receipts move message statuses; replies (MO) go through the
// keyword engine, and an opt-out is stored BEFORE the deliver_sm is acknowledged (a store that
// cannot take it gets ESME_RX_T_APPN, so that the carrier delivers it again). Include only from
// gateway sources (Asio).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/metrics.hpp"
#include "gateway/settings.hpp"
#include "policy/keywords.hpp"
#include "policy/number_key.hpp"
#include "policy/store.hpp"
#include "smpp/net/esme_client.hpp"
#include "smpp/reassembly.hpp"

namespace gateway {

class inbound_processor : public std::enable_shared_from_this<inbound_processor> {
 public:
  // Sends an automatic reply (confirmation, help) from `sender` to `e164` over `carrier`,
  // bypassing the queue and the suppression list (but not the carrier's throttle).
  using reply_sender = std::function<void(const std::string& carrier, const std::string& sender,
                                          const std::string& e164, const std::string& text)>;

  // Stores a webhook event durably in the outbox (docs/webhooks.md); `done` gets the store's
  // error code. Null: no webhooks (events are not built).
  using event_sink = std::function<void(policy::webhook_event ev, std::function<void(std::error_code)> done)>;

  // Tells the carrier workers that a number opted out (number key, sender; empty = global) so
  // that messages they claimed before it are not sent; `done` once that is in force everywhere.
  // Awaited before the STOP is acknowledged. Null: nothing to tell.
  using opt_out_fence = std::function<void(std::string number_key, std::string sender, std::function<void()> done)>;

  static std::shared_ptr<inbound_processor> create(boost::asio::any_io_executor executor, policy::store& store,
                                                   std::shared_ptr<const policy::number_secrets> secrets,
                                                   std::shared_ptr<const settings> s, metrics* m, reply_sender replies,
                                                   event_sink events = {}, opt_out_fence fence = {});

  // Handles one deliver_sm / data_sm; answers `responder` exactly once. Thread-safe.
  void handle(std::string carrier, smpp::net::inbound_message message, smpp::net::inbound_responder responder);

  void update_settings(std::shared_ptr<const settings> s);
  void stop();

 private:
  inbound_processor(boost::asio::any_io_executor executor, policy::store& store,
                    std::shared_ptr<const policy::number_secrets> secrets, std::shared_ptr<const settings> s,
                    metrics* m, reply_sender replies, event_sink events, opt_out_fence fence);

  static boost::asio::awaitable<void> process(std::shared_ptr<inbound_processor> self, std::string carrier,
                                              smpp::net::inbound_message message,
                                              smpp::net::inbound_responder responder);
  // What a reply (MO) comes to: the deliver_sm_resp status, and the automatic reply to send once
  // it is acknowledged (empty: none).
  struct reply_outcome {
    std::uint32_t status;
    std::function<void()> reply;
  };
  // `incomplete`: the parts of a concatenated reply that arrived, the others never did: only an
  // opt-out (keyword or probable revocation) acts on it, and its event says "incomplete".
  static boost::asio::awaitable<reply_outcome> on_reply(std::shared_ptr<inbound_processor> self, std::string carrier,
                                                         std::string source, std::uint8_t source_ton,
                                                         std::string destination, std::uint8_t destination_ton,
                                                         std::string text, bool incomplete = false);
  // A concatenated reply that never completed (policy.reassembly.timeout passed, or it made room
  // under the memory bound): logged and counted; with `incomplete: deliver` (the default) the
  // text that arrived goes through on_reply. Its parts were acknowledged when they arrived, so a
  // store that cannot take it now is tried again every second (docs/inbound.md).
  struct incomplete_reply {
    std::string carrier;
    std::string source;
    std::uint8_t source_ton = 0;
    std::string destination;
    std::uint8_t destination_ton = 0;
    std::string text;
  };
  static boost::asio::awaitable<void> on_incomplete(std::shared_ptr<inbound_processor> self, smpp::reassembly_event e);
  // Handles one; false when the store refused it (kept for the next try).
  static boost::asio::awaitable<bool> handle_incomplete(std::shared_ptr<inbound_processor> self, incomplete_reply r);
  static boost::asio::awaitable<void> expiry_loop(std::shared_ptr<inbound_processor> self);
  // Stores the events (all, in order); the first error stops and is returned.
  static boost::asio::awaitable<std::error_code> store_events(std::shared_ptr<inbound_processor> self,
                                                              std::vector<policy::webhook_event> events);
  static boost::asio::awaitable<std::error_code> status_event(std::shared_ptr<inbound_processor> self,
                                                              std::string message_id, policy::message_status status,
                                                              std::string error, std::int64_t at_ms);
  // The automatic-reply limit (policy.reply_rate_limit) for one number and `scope` (sender and
  // reply kind): true, and counted, when one more reply may go out now.
  bool may_reply(const std::string& number_key, const std::string& scope);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  policy::store& store_;
  std::shared_ptr<const policy::number_secrets> secrets_;
  std::shared_ptr<const settings> settings_;  // strand only
  std::shared_ptr<const policy::keyword_matcher> keywords_;
  metrics* metrics_;
  reply_sender replies_;
  event_sink events_;
  opt_out_fence fence_;
  // Replies acknowledged per (carrier, from, to, text) in the current minute: the occurrence
  // number that keeps inbound event ids stable across carrier retries yet distinct for a real
  // repeat (webhook_event.hpp). Strand only; bounded.
  std::map<std::string, std::pair<std::int64_t, unsigned>> reply_occurrences_;
  smpp::reassembler reassembler_;
  // Where the held parts of each pending concatenated reply came from (the reassembler keeps only
  // the addresses): the carrier and the TONs an incomplete one is handled with. Strand only.
  struct held_origin {
    std::string carrier;
    std::uint8_t source_ton = 0;
    std::uint8_t destination_ton = 0;
  };
  std::map<smpp::reassembly_key, held_origin> held_origins_;
  std::deque<incomplete_reply> incomplete_retry_;  // strand only; bounded
  boost::asio::steady_timer expiry_timer_;
  std::map<std::string, std::vector<std::int64_t>> reply_times_;  // strand only
  std::size_t held_receipts_ = 0;  // receipts waiting for their correlation (strand only)
  bool stopped_ = false;
};

}  // namespace gateway
