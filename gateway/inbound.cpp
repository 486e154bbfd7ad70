#include "gateway/inbound.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include "gateway/log.hpp"
#include "gateway/store_call.hpp"
#include "gateway/webhook_event.hpp"
#include "policy/phone_number.hpp"
#include "smpp/codec.hpp"
#include "smpp/command_status.hpp"
#include "smpp/delivery_receipt.hpp"

namespace gateway {

namespace asio = boost::asio;

namespace {

constexpr std::uint32_t status_ok = 0;
const auto status_retry = static_cast<std::uint32_t>(smpp::command_status::esme_rx_t_appn);
// Early receipts (see process): how long and how many wait for their correlation.
constexpr std::chrono::milliseconds receipt_retry_delays[] = {std::chrono::milliseconds(25), std::chrono::milliseconds(100),
                                                             std::chrono::milliseconds(300), std::chrono::milliseconds(600),
                                                             std::chrono::milliseconds(1000)};
constexpr std::size_t receipt_hold_limit = 256;
// Incomplete replies the store refused, kept (in memory) for the next try: at most this many.
constexpr std::size_t incomplete_retry_limit = 10'000;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The fields of deliver_sm and data_sm that matter here.
struct inbound_fields {
  std::string source;
  std::uint8_t source_ton = 0;
  std::string destination;
  std::uint8_t destination_ton = 0;
  std::uint8_t esm_class = 0;
  std::uint8_t data_coding = 0;
  std::string user_data;  // short_message, or message_payload when present
  smpp::receipt_tlvs receipt;
  std::optional<smpp::sar_values> sar;
};

template <class Pdu>
inbound_fields fields_of(const Pdu& p) {
  inbound_fields f;
  f.source = p.source_addr;
  f.source_ton = p.source_addr_ton;
  f.destination = p.destination_addr;
  f.destination_ton = p.dest_addr_ton;
  f.esm_class = p.esm_class;
  f.data_coding = p.data_coding;
  if constexpr (requires { p.short_message; }) f.user_data = p.short_message;
  if (auto payload = p.tlvs.get(smpp::tag::message_payload)) f.user_data = *payload;
  f.receipt.receipted_message_id = p.tlvs.get(smpp::tag::receipted_message_id);
  f.receipt.message_state = p.tlvs.get(smpp::tag::message_state);
  auto ref = p.tlvs.get(smpp::tag::sar_msg_ref_num);
  auto total = p.tlvs.get(smpp::tag::sar_total_segments);
  auto seq = p.tlvs.get(smpp::tag::sar_segment_seqnum);
  if (ref && total && seq) f.sar = smpp::sar_values{*ref, *total, *seq};
  return f;
}

std::optional<policy::message_status> status_of(smpp::receipt_state s) {
  switch (s) {
    case smpp::receipt_state::delivered: return policy::message_status::delivered;
    case smpp::receipt_state::expired: return policy::message_status::expired;
    case smpp::receipt_state::deleted:
    case smpp::receipt_state::undeliverable: return policy::message_status::undeliverable;
    case smpp::receipt_state::rejected: return policy::message_status::rejected;
    case smpp::receipt_state::accepted:
    case smpp::receipt_state::unknown:
    case smpp::receipt_state::enroute: return std::nullopt;
  }
  return std::nullopt;
}

// Our sender id as the carrier addresses it: "+E.164" for international numbers, else as sent.
std::string sender_id(const std::string& address, std::uint8_t ton) {
  if (ton == 1 && !address.empty() && address.front() != '+') return "+" + address;
  return address;
}

// The category in which START is recorded in the consent ledger: the default category when it
// needs no consent, else the first one (by name) that needs none; none at all: not recorded.
std::optional<std::string> keyword_consent_category(const policy::policy_config& p) {
  auto needs_none = [&](const std::string& name) {
    auto it = p.categories.find(name);
    return it != p.categories.end() && it->second.consent == policy::consent_mode::none;
  };
  if (needs_none(p.default_category)) return p.default_category;
  for (const auto& [name, c] : p.categories) {
    if (c.consent == policy::consent_mode::none) return name;
  }
  return std::nullopt;
}

smpp::reassembly_options reassembly_of(const settings& s) {
  smpp::reassembly_options o;
  o.timeout = s.source.policy.reassembly.timeout;
  o.max_pending_messages = s.source.policy.reassembly.max_pending;
  o.on_incomplete = s.source.policy.reassembly.incomplete == config::incomplete_action::drop
                        ? smpp::incomplete_action::drop
                        : smpp::incomplete_action::deliver;
  return o;
}

}  // namespace

std::shared_ptr<inbound_processor> inbound_processor::create(asio::any_io_executor executor, policy::store& store,
                                                             std::shared_ptr<const policy::number_secrets> secrets,
                                                             std::shared_ptr<const settings> s, metrics* m,
                                                             reply_sender replies, event_sink events,
                                                             opt_out_fence fence) {
  auto self = std::shared_ptr<inbound_processor>(new inbound_processor(std::move(executor), store, std::move(secrets),
                                                                       std::move(s), m, std::move(replies),
                                                                       std::move(events), std::move(fence)));
  asio::co_spawn(self->strand_, expiry_loop(self), asio::detached);
  return self;
}

inbound_processor::inbound_processor(asio::any_io_executor executor, policy::store& store,
                                     std::shared_ptr<const policy::number_secrets> secrets,
                                     std::shared_ptr<const settings> s, metrics* m, reply_sender replies,
                                     event_sink events, opt_out_fence fence)
    : strand_(asio::make_strand(executor)),
      store_(store),
      secrets_(std::move(secrets)),
      settings_(std::move(s)),
      keywords_(std::make_shared<policy::keyword_matcher>(settings_->policy.keywords)),
      metrics_(m),
      replies_(std::move(replies)),
      events_(std::move(events)),
      fence_(std::move(fence)),
      reassembler_(reassembly_of(*settings_)),
      expiry_timer_(strand_) {}

void inbound_processor::handle(std::string carrier, smpp::net::inbound_message message,
                               smpp::net::inbound_responder responder) {
  asio::co_spawn(strand_, process(shared_from_this(), std::move(carrier), std::move(message), std::move(responder)),
                 asio::detached);
}

void inbound_processor::update_settings(std::shared_ptr<const settings> s) {
  asio::post(strand_, [self = shared_from_this(), s = std::move(s)]() mutable {
    self->keywords_ = std::make_shared<policy::keyword_matcher>(s->policy.keywords);
    self->settings_ = std::move(s);
  });
}

void inbound_processor::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->expiry_timer_.cancel();
  });
}

bool inbound_processor::may_reply(const std::string& number_key, const std::string& scope) {
  const auto& limit = settings_->source.policy.replies;
  const std::int64_t now = wall_ms();
  auto& times = reply_times_[number_key + "|" + scope];
  std::erase_if(times, [&](std::int64_t t) { return now - t >= limit.window.count() * 1000; });
  if (times.size() >= limit.max) return false;
  times.push_back(now);
  if (reply_times_.size() > 100'000) reply_times_.clear();  // bounded memory; limits are per hour
  return true;
}

asio::awaitable<void> inbound_processor::process(std::shared_ptr<inbound_processor> self, std::string carrier,
                                                 smpp::net::inbound_message message,
                                                 smpp::net::inbound_responder responder) {
  auto decoded = smpp::decode(message.pdu);
  if (!decoded.ok()) {
    responder.respond(static_cast<std::uint32_t>(decoded.error.status_to_answer));
    co_return;
  }
  inbound_fields f;
  if (const auto* d = std::get_if<smpp::deliver_sm>(&decoded.value.body)) {
    f = fields_of(*d);
  } else if (const auto* ds = std::get_if<smpp::data_sm>(&decoded.value.body)) {
    f = fields_of(*ds);
  } else {
    responder.respond(static_cast<std::uint32_t>(smpp::command_status::esme_rinvcmdid));
    co_return;
  }

  // Delivery receipt: esm_class message type 0x04 (SMSC delivery receipt), or its TLVs.
  const bool is_receipt = (f.esm_class & 0x3C) == 0x04 || f.receipt.receipted_message_id.has_value();
  if (is_receipt) {
    auto parsed = smpp::parse_delivery_receipt(f.user_data, f.receipt);
    if (parsed.error) {
      log::warn("receipt_unparsable", {{"carrier", carrier}});
      responder.respond(status_ok);
      co_return;
    }
    const auto& r = parsed.receipt;
    const carrier_profile* profile = self->settings_->carrier(carrier);
    const auto id = smpp::normalize_message_id(r.message_id, profile ? profile->message_ids : smpp::message_id_format::as_is);
    auto ours = co_await call_store<std::optional<std::string>>(
        [&](auto done) { self->store_.correlate(carrier, id, wall_ms(), std::move(done)); });
    // A receipt can overtake our record of the carrier id: some SMSCs send it before the
    // submit_sm_resp, and the `submitted` status may still be on its way to the store. Look again
    // a few times (about 2 s in all) before calling the id unknown. At most
    // `receipt_hold_limit` receipts wait at once, so a flood of truly unknown ids is answered
    // at once instead of filling the carrier's window.
    if (!ours.ec && !ours.value && self->held_receipts_ < receipt_hold_limit) {
      ++self->held_receipts_;
      asio::steady_timer wait(self->strand_);
      for (const auto delay : receipt_retry_delays) {
        wait.expires_after(delay);
        boost::system::error_code wait_ec;
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
        if (self->stopped_) break;
        ours = co_await call_store<std::optional<std::string>>(
            [&](auto done) { self->store_.correlate(carrier, id, wall_ms(), std::move(done)); });
        if (ours.ec || ours.value) break;
      }
      --self->held_receipts_;
    }
    if (ours.ec) {
      responder.respond(status_retry);
      co_return;
    }
    if (!ours.value) {
      log::info("receipt_unknown_id", {{"carrier", carrier}, {"carrier_message_id", id}});
      if (self->metrics_) self->metrics_->count_rejected("receipt_unknown_id");
      responder.respond(status_ok);
      co_return;
    }
    if (auto status = status_of(r.state)) {
      policy::status_update u;
      u.message_id = *ours.value;
      u.status = *status;
      u.carrier_message_id = id;
      u.error = *status == policy::message_status::delivered ? std::string() : "stat:" + r.stat + " err:" + r.err;
      u.at_ms = wall_ms();
      auto applied = co_await call_store<policy::status_result>(
          [&](auto done) { self->store_.set_status(u, std::move(done)); });
      if (applied.ec) {
        responder.respond(status_retry);
        co_return;
      }
      // The status event is stored before the receipt is acknowledged. A receipt repeating the
      // current status (a carrier retry after a failure here) stores it again: same event id.
      if (applied.value.found && applied.value.current == *status) {
        auto ec = co_await status_event(self, u.message_id, *status, u.error, u.at_ms);
        if (ec) {
          log::error("status_event_not_stored", {{"id", u.message_id}, {"error", ec.message()}});
          responder.respond(status_retry);
          co_return;
        }
      }
    }
    responder.respond(status_ok);
    co_return;
  }

  // A reply: reassemble when concatenated.
  smpp::received_short_message rsm;
  rsm.source = f.source;
  rsm.destination = f.destination;
  rsm.data_coding = f.data_coding;
  rsm.udhi = (f.esm_class & 0x40) != 0;
  rsm.user_data = std::span(reinterpret_cast<const std::uint8_t*>(f.user_data.data()), f.user_data.size());
  rsm.sar = f.sar;
  auto prepared = smpp::prepare_inbound(rsm, reassembly_of(*self->settings_).text);
  std::string text;
  if (prepared.part) {
    const auto key = prepared.part->key;
    auto added = self->reassembler_.add(std::move(*prepared.part), std::chrono::steady_clock::now());
    if (added.status == smpp::part_status::stored) {
      self->held_origins_.try_emplace(key, held_origin{carrier, f.source_ton, f.destination_ton});
    }
    std::optional<std::string> complete;
    for (auto& e : added.events) {
      if (e.reason == smpp::reassembly_reason::complete) {
        self->held_origins_.erase(e.message.key);
        complete = std::move(e.message.text);
      } else {
        // Another reply made room (memory bound): handled as incomplete, after this part's answer.
        asio::co_spawn(self->strand_, on_incomplete(self, std::move(e)), asio::detached);
      }
    }
    if (!complete) {
      // A part held for reassembly (or a duplicate): the message is handled with its last part.
      responder.respond(status_ok);
      co_return;
    }
    text = std::move(*complete);
  } else {
    text = std::move(prepared.text.text);
  }
  auto outcome = co_await on_reply(self, carrier, f.source, f.source_ton, f.destination, f.destination_ton,
                                   std::move(text));
  responder.respond(outcome.status);
  if (outcome.reply) outcome.reply();  // acknowledged first, then the one automatic reply
}

asio::awaitable<inbound_processor::reply_outcome> inbound_processor::on_reply(std::shared_ptr<inbound_processor> self, std::string carrier,
                                                           std::string source, std::uint8_t source_ton,
                                                           std::string destination, std::uint8_t destination_ton,
                                                           std::string text, bool incomplete) {
  const carrier_profile* profile = self->settings_->carrier(carrier);
  auto number = policy::normalize_address(source, source_ton, profile ? profile->default_region : self->settings_->default_region);
  if (!number.valid) {
    log::warn("reply_from_invalid_number", {{"carrier", carrier}, {"error", std::string(policy::to_string(number.error))}});
    co_return reply_outcome{status_ok, {}};
  }
  const std::string sender = sender_id(destination, destination_ton);
  auto match = self->keywords_->match(text, sender);
  if (incomplete && (match.action == policy::keyword_action::opt_in || match.action == policy::keyword_action::help)) {
    // Part of a longer text: a START or HELP found in it is not what the phone sent.
    match = policy::keyword_match{};
  }
  const std::string key = self->secrets_->key(number.e164);
  const auto& words = self->settings_->source.policy.keywords_for(sender);
  const std::int64_t now = wall_ms();

  // 1. The keyword's effect on the store (before anything is acknowledged).
  std::string keyword;
  std::string reply_kind;  // the reply's rate-limit scope: the keyword, or "clarify"
  std::string confirmation;
  switch (match.action) {
    case policy::keyword_action::opt_out: {
      const bool global = match.is_global || self->settings_->policy.scope == policy::opt_out_scope::global;
      policy::suppression_record rec;
      rec.number_key = key;
      rec.e164 = number.e164;
      rec.sender = global ? std::string() : sender;
      rec.reason = match.is_global ? "stopall" : "stop";
      rec.source = "keyword";
      rec.at_ms = now;
      // Stored durably before the carrier is acknowledged; otherwise the carrier retries.
      auto stored = co_await call_store<policy::done>([&](auto done) { self->store_.suppress(rec, std::move(done)); });
      if (stored.ec) {
        log::error("opt_out_not_stored", {log::number("from", number.e164), {"sender", sender}, {"error", stored.ec.message()}});
        co_return reply_outcome{status_retry, {}};
      }
      // Messages the workers claimed before the suppression was stored must not go out after the
      // STOP is acknowledged (docs/inbound.md, "The STOP race").
      if (self->fence_) {
        co_await call_store<policy::done>([&](auto done) {
          self->fence_(key, rec.sender, [done = std::move(done)]() mutable { done(std::error_code(), policy::done{}); });
        });
      }
      log::info("opt_out_stored", {log::number("from", number.e164), {"sender", sender}, {"global", global},
                                   {"rule", match.matched}});
      if (self->metrics_) self->metrics_->count_rejected("opt_out_received");
      keyword = "opt_out";
      confirmation = words.replies.opt_out_confirmation;
      break;
    }
    case policy::keyword_action::opt_in: {
      auto removed = co_await call_store<bool>([&](auto done) { self->store_.unsuppress(key, sender, std::move(done)); });
      if (removed.ec) co_return reply_outcome{status_retry, {}};
      if (self->settings_->policy.scope == policy::opt_out_scope::global) {
        auto removed_global =
            co_await call_store<bool>([&](auto done) { self->store_.unsuppress(key, std::string(), std::move(done)); });
        if (removed_global.ec) co_return reply_outcome{status_retry, {}};
      }
      // The opt-in goes to the consent ledger with source "keyword", in a category that needs no
      // consent (the default category when it needs none): START re-enables sending from this
      // sender but grants no marketing consent (docs/inbound.md).
      if (auto category = keyword_consent_category(self->settings_->policy)) {
        policy::consent_record c;
        c.number_key = key;
        c.e164 = number.e164;
        c.category = *category;
        c.sender = sender;
        c.source = "keyword";
        c.evidence = "reply \"" + text.substr(0, 40) + "\" to " + sender;
        c.at_ms = now;
        auto granted = co_await call_store<policy::done>([&](auto done) { self->store_.grant_consent(c, std::move(done)); });
        if (granted.ec) co_return reply_outcome{status_retry, {}};
      }
      log::info("opt_in_stored", {log::number("from", number.e164), {"sender", sender}});
      keyword = "opt_in";
      confirmation = words.replies.opt_in_confirmation;
      break;
    }
    case policy::keyword_action::help:
      keyword = "help";
      confirmation = words.replies.help_text;
      break;
    case policy::keyword_action::clarify:
      // A probable revocation under `revocation: clarify`: nothing is stored, the phone is asked
      // to reply STOP; the webhook event carries no keyword.
      log::info("reply_received", {log::number("from", number.e164), {"sender", sender}, {"rule", match.matched}});
      reply_kind = "clarify";
      confirmation = words.replies.clarification;
      break;
    default:
      log::info("reply_received", {log::number("from", number.e164), {"sender", sender}});
      break;
  }

  // 2. The inbound webhook event(s), stored before the carrier is acknowledged.
  const std::string occurrence_key = carrier + '\0' + number.e164 + '\0' + sender + '\0' + text;
  if (self->events_) {
    inbound_event_fields f;
    f.from = number.e164;
    f.to = sender;
    f.text = text;
    f.carrier = carrier;
    f.keyword = keyword;
    f.received_at_ms = now;
    f.incomplete = incomplete;
    unsigned occurrence = 0;
    if (auto it = self->reply_occurrences_.find(occurrence_key);
        it != self->reply_occurrences_.end() && it->second.first == now / 60'000) {
      occurrence = it->second.second;
    }
    auto ec = co_await store_events(self, make_inbound_events(self->settings_->source, f, occurrence));
    if (ec) {
      log::error("inbound_event_not_stored", {log::number("from", number.e164), {"sender", sender}, {"error", ec.message()}});
      co_return reply_outcome{status_retry, {}};
    }
  }
  auto& seen = self->reply_occurrences_[occurrence_key];
  seen = seen.first == now / 60'000 ? std::make_pair(seen.first, seen.second + 1) : std::make_pair(now / 60'000, 1u);
  if (self->reply_occurrences_.size() > 100'000) self->reply_occurrences_.clear();  // bounded; per minute anyway

  // 3. One automatic reply, rate-limited per number, sender and kind: a loop of two
  // auto-responders is cut off, and HELP replies do not use up the budget of a STOP's
  // confirmation. The caller sends it after the deliver_sm_resp.
  if (reply_kind.empty()) reply_kind = keyword;
  reply_outcome out{status_ok, {}};
  if (!confirmation.empty() && self->may_reply(key, sender + '\0' + reply_kind) && self->replies_) {
    out.reply = [self, carrier, sender, e164 = number.e164, confirmation] {
      self->replies_(carrier, sender, e164, confirmation);
    };
  }
  co_return out;
}

asio::awaitable<std::error_code> inbound_processor::store_events(std::shared_ptr<inbound_processor> self,
                                                                 std::vector<policy::webhook_event> events) {
  for (auto& ev : events) {
    auto stored = co_await call_store<policy::done>([&](auto done) {
      self->events_(std::move(ev), [done = std::move(done)](std::error_code ec) mutable { done(ec, policy::done{}); });
    });
    if (stored.ec) co_return stored.ec;
  }
  co_return std::error_code();
}

asio::awaitable<std::error_code> inbound_processor::status_event(std::shared_ptr<inbound_processor> self,
                                                                 std::string message_id, policy::message_status status,
                                                                 std::string error, std::int64_t at_ms) {
  if (!self->events_ || !status_webhooks_configured(self->settings_->source)) co_return std::error_code();
  auto record = co_await call_store<std::optional<policy::message_record>>(
      [&](auto done) { self->store_.get_message(message_id, std::move(done)); });
  if (record.ec) co_return record.ec;
  if (!record.value) co_return std::error_code();
  auto ev = make_status_event(self->settings_->source, *record.value, status, error, at_ms);
  if (!ev) co_return std::error_code();
  std::vector<policy::webhook_event> events;
  events.push_back(std::move(*ev));
  co_return co_await store_events(self, std::move(events));
}

asio::awaitable<void> inbound_processor::expiry_loop(std::shared_ptr<inbound_processor> self) {
  while (!self->stopped_) {
    self->expiry_timer_.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await self->expiry_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (self->stopped_) break;
    // Those the store refused before first (oldest first), then the newly expired ones.
    for (std::size_t n = self->incomplete_retry_.size(); n > 0 && !self->stopped_; --n) {
      auto r = std::move(self->incomplete_retry_.front());
      self->incomplete_retry_.pop_front();
      if (!co_await handle_incomplete(self, r)) self->incomplete_retry_.push_back(std::move(r));
    }
    for (auto& e : self->reassembler_.expire(std::chrono::steady_clock::now())) {
      co_await on_incomplete(self, std::move(e));
    }
  }
}

asio::awaitable<void> inbound_processor::on_incomplete(std::shared_ptr<inbound_processor> self, smpp::reassembly_event e) {
  log::warn("reassembly_incomplete", {{"reason", std::string(smpp::to_string(e.reason))}, {"delivered", e.delivered}});
  if (self->metrics_) self->metrics_->count_rejected("reassembly_incomplete");
  auto origin = self->held_origins_.find(e.message.key);
  if (origin == self->held_origins_.end()) co_return;  // not one of ours (cannot happen)
  incomplete_reply r{std::move(origin->second.carrier), e.message.key.source, origin->second.source_ton,
                     e.message.key.destination, origin->second.destination_ton, std::move(e.message.text)};
  self->held_origins_.erase(origin);
  // `drop`, or nothing readable arrived: logged and counted only.
  if (!e.delivered || r.text.empty() || e.message.binary || e.message.decode_error) co_return;
  if (co_await handle_incomplete(self, r)) co_return;
  if (self->incomplete_retry_.size() >= incomplete_retry_limit) {
    log::error("incomplete_reply_lost", {{"carrier", self->incomplete_retry_.front().carrier},
                                         {"error", "the store refused it and too many wait"}});
    self->incomplete_retry_.pop_front();
  }
  self->incomplete_retry_.push_back(std::move(r));
}

asio::awaitable<bool> inbound_processor::handle_incomplete(std::shared_ptr<inbound_processor> self, incomplete_reply r) {
  auto outcome = co_await on_reply(self, r.carrier, r.source, r.source_ton, r.destination, r.destination_ton,
                                   r.text, true);
  if (outcome.status == status_retry) co_return false;
  if (outcome.reply) outcome.reply();
  co_return true;
}

}  // namespace gateway
