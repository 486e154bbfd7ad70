#include "tools/smsc_sim/simulator.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

#include "smpp/codec.hpp"
#include "smpp/segmentation.hpp"
#include "smpp/text_encoding.hpp"
#include "smpp/udh.hpp"

namespace smsc_sim {
namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using smpp::net::session;

namespace {

constexpr std::uint32_t rok = 0x00;
constexpr std::uint32_t rsyserr = 0x08;
constexpr std::uint32_t rinvpaswd = 0x0E;
constexpr std::uint32_t rinvsysid = 0x0F;
constexpr std::uint32_t rthrottled = 0x58;
constexpr std::size_t max_partials = 10'000;
constexpr unsigned max_delivery_attempts = 5;
constexpr auto retry_delay = std::chrono::milliseconds(1000);
constexpr auto blocked_retry = std::chrono::milliseconds(20);

bool equal_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string strip_plus(const std::string& s) {
  return !s.empty() && s.front() == '+' ? s.substr(1) : s;
}

std::string receipt_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%y%m%d%H%M", &tm);
  return buf;
}

std::vector<std::uint8_t> encode_body(const smpp::pdu& p) {
  std::vector<std::uint8_t> out;
  if (smpp::encode(p, smpp::command_status::esme_rok, 0, out)) return {};
  out.erase(out.begin(), out.begin() + smpp::header_size);
  return out;
}

}  // namespace

simulator::simulator(asio::any_io_executor executor, options opts)
    : executor_(executor),
      opts_(std::move(opts)),
      throttle_(opts_.throttle_tps, std::max(1.0, opts_.throttle_tps / 5), clock_type::now()),
      rng_(opts_.seed != 0 ? opts_.seed : std::random_device{}()),
      pump_timer_(executor) {
  next_id_ = (rng_() & 0xFFFFFF) << 20;  // ids of two runs rarely collide
}

std::error_code simulator::listen(const asio::ip::tcp::endpoint& endpoint) {
  smpp::net::smsc_server_config sc;
  sc.system_id = "smsc-sim";
  sc.session.inbound_window = opts_.window;
  sc.session.window = opts_.deliver_window;
  sc.session.enquire_link_interval = opts_.enquire_link_interval;
  sc.session.response_timeout = opts_.response_timeout;
  if (!opts_.tls_cert_file.empty() && !opts_.tls_key_file.empty()) {
    sc.tls.enabled = true;
    sc.tls.cert_file = opts_.tls_cert_file;
    sc.tls.key_file = opts_.tls_key_file;
    sc.tls.client_ca_file = opts_.tls_client_ca_file;
  }
  server_ = std::make_shared<smpp::net::smsc_server>(executor_, sc, shared_from_this());
  return server_->listen(endpoint);
}

asio::ip::tcp::endpoint simulator::local_endpoint() const { return server_->local_endpoint(); }

void simulator::start() { server_->start(); }

void simulator::stop() {
  pump_timer_.cancel();
  if (server_) server_->stop();
}

void simulator::drop_connections() {
  if (server_) server_->drop_all();
}

std::uint32_t simulator::authenticate(const session&, const smpp::net::bind_request& request) {
  std::uint32_t status = rok;
  if (!opts_.system_id.empty() && request.system_id != opts_.system_id) {
    status = rinvsysid;
  } else if (!opts_.password.empty() && !equal_secret(request.password, opts_.password)) {
    status = rinvpaswd;
  }
  if (status != rok) ++c_.bind_failures;
  return status;
}

void simulator::on_bound(const std::shared_ptr<session>& s,
                         const smpp::net::bind_request& request) {
  ++c_.binds;
  bound_[s.get()] = bound_info{s, request.system_id, request.type};
  pump();
}

void simulator::on_request(const std::shared_ptr<session>& s, const smpp::pdu_header& header,
                           std::span<const std::uint8_t> body) {
  switch (static_cast<smpp::command_id>(header.command_id)) {
    case smpp::command_id::submit_sm: handle_submit(s, header, body); return;
    case smpp::command_id::data_sm: {
      ++c_.data_sm;
      std::string id = next_message_id();
      std::vector<std::uint8_t> resp(id.begin(), id.end());
      resp.push_back(0);
      s->respond(header.sequence_number, rok, resp);
      return;
    }
    default:
      ++c_.other_requests;
      s->respond(header.sequence_number, rsyserr);  // query/cancel/replace/submit_multi
      return;
  }
}

void simulator::handle_submit(const std::shared_ptr<session>& s, const smpp::pdu_header& h,
                              std::span<const std::uint8_t> body) {
  ++c_.submit_sm;
  const auto now = clock_type::now();
  if (opts_.throttle_tps > 0 && !throttle_.try_take(1, now)) {
    ++c_.throttled;
    s->respond(h.sequence_number, rthrottled);
    return;
  }
  auto decoded = smpp::decode(smpp::net::whole_pdu(body));
  if (!decoded.ok()) {
    ++c_.submit_sm_errors;
    s->respond(h.sequence_number, static_cast<std::uint32_t>(decoded.error.status_to_answer));
    return;
  }
  const auto& sm = std::get<smpp::submit_sm>(decoded.value.body);
  ++c_.submit_sm_ok;
  std::string id = next_message_id();
  auto it = bound_.find(s.get());
  const std::string system_id = it != bound_.end() ? it->second.system_id : std::string();
  if (opts_.max_messages > 0) store(system_id, sm, id);
  if ((sm.registered_delivery & 0x03) != 0) schedule_receipt(system_id, sm, id);

  if (opts_.resp_delay.count() <= 0) {
    std::array<std::uint8_t, 32> buf{};  // the id and its NUL, without a heap allocation
    std::copy(id.begin(), id.end(), buf.begin());
    s->respond(h.sequence_number, rok, std::span(buf.data(), id.size() + 1));
    return;
  }
  std::vector<std::uint8_t> resp(id.begin(), id.end());
  resp.push_back(0);
  auto timer = std::make_shared<asio::steady_timer>(executor_, opts_.resp_delay);
  std::weak_ptr<session> weak = s;
  timer->async_wait([timer, weak, seq = h.sequence_number, resp](boost::system::error_code) {
    if (auto live = weak.lock()) live->respond(seq, rok, resp);
  });
}

std::string simulator::next_message_id() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(++next_id_));
  return buf;
}

void simulator::store(const std::string& system_id, const smpp::submit_sm& sm,
                      const std::string& id) {
  const auto* raw = reinterpret_cast<const std::uint8_t*>(sm.short_message.data());
  std::span<const std::uint8_t> user_data(raw, sm.short_message.size());
  std::optional<smpp::concat_info> concat;
  if ((sm.esm_class & smpp::udhi_esm_class_bit) != 0) {
    auto udh = smpp::parse_udh(user_data);
    if (!udh.error) {
      concat = udh.udh.concat;
      user_data = user_data.subspan(std::min(udh.udh.length, user_data.size()));
    }
  }
  if (!concat) {
    auto ref = sm.tlvs.get(smpp::tag::sar_msg_ref_num);
    auto total = sm.tlvs.get(smpp::tag::sar_total_segments);
    auto seq = sm.tlvs.get(smpp::tag::sar_segment_seqnum);
    if (ref && total && seq) concat = smpp::concat_info{*ref, *total, *seq, true};
  }
  std::string payload;
  if (user_data.empty()) {
    if (auto p = sm.tlvs.get(smpp::tag::message_payload)) {
      payload = std::move(*p);
      user_data = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
    }
  }
  std::string text = smpp::decode_text(sm.data_coding, user_data).text;

  if (!concat || concat->total <= 1) {
    push_message({sm.source_addr, sm.destination_addr, std::move(text), sm.data_coding, 1, id,
                  {id}, system_id, true});
    return;
  }
  std::string key = system_id + '\x1f' + sm.source_addr + '\x1f' + sm.destination_addr + '\x1f' +
                    std::to_string(concat->reference) + '/' + std::to_string(concat->total);
  auto [it, inserted] = partials_.try_emplace(key);
  auto& p = it->second;
  if (inserted) {
    p.parts.resize(concat->total);
    p.ids.resize(concat->total);
    p.data_coding = sm.data_coding;
    p.from = sm.source_addr;
    p.to = sm.destination_addr;
    p.system_id = system_id;
    partial_order_.push_back(key);
  }
  if (concat->seq >= 1 && concat->seq <= p.parts.size() && !p.parts[concat->seq - 1]) {
    p.parts[concat->seq - 1] = std::move(text);
    p.ids[concat->seq - 1] = id;
    ++p.received;
  }
  if (p.received == p.parts.size()) {
    stored_message m{p.from, p.to, {}, p.data_coding, static_cast<unsigned>(p.parts.size()),
                     p.ids.front(), p.ids, p.system_id, true};
    for (auto& part : p.parts) m.text += *part;
    partials_.erase(it);
    push_message(std::move(m));
  }
  // Bounded: the oldest incomplete message is listed as incomplete and forgotten.
  while (partials_.size() > max_partials && !partial_order_.empty()) {
    auto old = partials_.find(partial_order_.front());
    partial_order_.pop_front();
    if (old == partials_.end()) continue;
    auto& q = old->second;
    stored_message m{q.from, q.to, {}, q.data_coding, static_cast<unsigned>(q.parts.size()),
                     {}, {}, q.system_id, false};
    for (std::size_t i = 0; i < q.parts.size(); ++i) {
      if (q.parts[i]) m.text += *q.parts[i];
      if (!q.ids[i].empty()) m.message_ids.push_back(q.ids[i]);
    }
    if (!m.message_ids.empty()) m.message_id = m.message_ids.front();
    partials_.erase(old);
    push_message(std::move(m));
  }
  if (partial_order_.size() > 4 * max_partials) {  // drop keys of completed messages
    std::deque<std::string> live;
    for (auto& k : partial_order_) {
      if (partials_.contains(k)) live.push_back(k);
    }
    partial_order_.swap(live);
  }
}

void simulator::push_message(stored_message m) {
  messages_.push_back(std::move(m));
  while (messages_.size() > opts_.max_messages) messages_.pop_front();
}

void simulator::schedule_receipt(const std::string& system_id, const smpp::submit_sm& sm,
                                 const std::string& id) {
  const bool fail = opts_.dlr_fail_ratio > 0 &&
                    std::uniform_real_distribution<double>(0, 1)(rng_) < opts_.dlr_fail_ratio;
  if ((sm.registered_delivery & 0x03) == 2 && !fail) return;  // receipt on failure only
  const auto wall = std::chrono::system_clock::now();
  std::string sample;
  if ((sm.esm_class & smpp::udhi_esm_class_bit) == 0 && (sm.data_coding == 0 || sm.data_coding == 1)) {
    for (char ch : sm.short_message.substr(0, 20)) {
      sample.push_back(ch >= 0x20 && ch < 0x7F ? ch : '.');
    }
  }
  smpp::deliver_sm d;
  d.source_addr_ton = sm.dest_addr_ton;
  d.source_addr_npi = sm.dest_addr_npi;
  d.source_addr = sm.destination_addr;
  d.dest_addr_ton = sm.source_addr_ton;
  d.dest_addr_npi = sm.source_addr_npi;
  d.destination_addr = sm.source_addr;
  d.esm_class = 0x04;  // SMSC delivery receipt
  d.short_message = "id:" + id + " sub:001 dlvrd:" + (fail ? "000" : "001") +
                    " submit date:" + receipt_date(wall) +
                    " done date:" + receipt_date(wall + opts_.dlr_delay) +
                    " stat:" + (fail ? "UNDELIV" : "DELIVRD") + " err:" + (fail ? "001" : "000") +
                    " text:" + sample;
  d.tlvs.set(smpp::tag::receipted_message_id, id);
  d.tlvs.set(smpp::tag::message_state,
             static_cast<std::uint8_t>(fail ? smpp::message_state::undeliverable
                                            : smpp::message_state::delivered));
  if (fail) d.tlvs.set(smpp::tag::network_error_code, smpp::network_error_code_value{3, 1});
  outbound o;
  o.due = clock_type::now() + opts_.dlr_delay;
  o.system_id = system_id;
  o.body = encode_body(d);
  o.receipt = true;
  enqueue(std::move(o));
}

void simulator::enqueue(outbound o) {
  if (receipts_.size() + mo_.size() >= opts_.max_pending_deliveries) {
    ++c_.dropped_deliveries;
    return;
  }
  if (o.receipt) {
    // Sorted by due time (retries may be due before later receipts).
    auto pos = std::upper_bound(receipts_.begin(), receipts_.end(), o.due,
                                [](auto due, const outbound& x) { return due < x.due; });
    receipts_.insert(pos, std::move(o));
  } else {
    mo_.push_back(std::move(o));
  }
  pump();
}

std::shared_ptr<session> simulator::pick_receiver(const std::string& system_id) {
  std::vector<std::shared_ptr<session>> candidates;
  for (auto& [ptr, info] : bound_) {
    if (info.type == smpp::bind_type::transmitter) continue;
    if (!system_id.empty() && info.system_id != system_id) continue;
    auto s = info.session.lock();
    if (!s || !s->fsm().can_request(smpp::command_id::deliver_sm)) continue;
    candidates.push_back(std::move(s));
  }
  if (candidates.empty()) return nullptr;
  return candidates[receiver_rr_++ % candidates.size()];
}

void simulator::pump() {
  const auto now = clock_type::now();
  auto send = [&](std::deque<outbound>& q) {
    auto s = pick_receiver(q.front().system_id);
    if (!s) return false;
    const std::uint64_t cookie = next_cookie_++;
    if (s->request(smpp::command_id::deliver_sm, q.front().body, cookie).error) return false;
    ++c_.deliver_sm;
    if (q.front().receipt && q.front().attempts == 0) ++c_.receipts;
    in_flight_.emplace(cookie, std::move(q.front()));
    q.pop_front();
    return true;
  };
  bool blocked = false;
  while (!mo_.empty()) {
    if (!send(mo_)) {
      blocked = true;
      break;
    }
  }
  while (!receipts_.empty() && receipts_.front().due <= now) {
    if (!send(receipts_)) {
      blocked = true;
      break;
    }
  }
  if (blocked) {
    arm_pump(now + blocked_retry);
  } else if (!receipts_.empty()) {
    arm_pump(receipts_.front().due);
  }
}

void simulator::arm_pump(clock_type::time_point at) {
  if (pump_at_ && *pump_at_ <= at && *pump_at_ > clock_type::now()) return;
  pump_at_ = at;
  pump_timer_.expires_at(at);
  std::weak_ptr<simulator> weak = shared_from_this();
  pump_timer_.async_wait([weak](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->pump_at_.reset();
      self->pump();
    }
  });
}

void simulator::on_response(session&, std::uint64_t cookie, const smpp::pdu_header& header,
                            std::span<const std::uint8_t>) {
  auto it = in_flight_.find(cookie);
  if (it == in_flight_.end()) return;
  outbound o = std::move(it->second);
  in_flight_.erase(it);
  if (header.command_status == rok) {
    ++c_.deliver_sm_resp_ok;
    if (o.mo) c_.submit_sm_at_last_mo_ack = c_.submit_sm_ok;
  } else {
    ++c_.deliver_sm_resp_errors;
    // A temporary refusal (ESME_RX_T_APPN, ...) is retried like a real SMSC does.
    if (smpp::classify(static_cast<smpp::command_status>(header.command_status)) ==
            smpp::status_class::temporary &&
        o.attempts + 1 < max_delivery_attempts) {
      ++o.attempts;
      ++c_.deliver_sm_retries;
      o.due = clock_type::now() + retry_delay;
      o.receipt = true;  // retries wait in the timed queue
      enqueue(std::move(o));
    }
  }
  pump();
}

void simulator::on_failure(session&, std::uint64_t cookie, std::error_code) {
  auto it = in_flight_.find(cookie);
  if (it == in_flight_.end()) return;
  outbound o = std::move(it->second);
  in_flight_.erase(it);
  if (o.attempts + 1 < max_delivery_attempts) {
    ++o.attempts;
    ++c_.deliver_sm_retries;
    o.due = clock_type::now() + retry_delay;
    o.receipt = true;
    enqueue(std::move(o));
  }
}

void simulator::on_closed(session& s, std::error_code) {
  if (bound_.erase(&s) > 0) ++c_.unbinds;
}

mo_result simulator::send_mo(const mo_request& req) {
  mo_result r;
  smpp::segmentation_options so;
  if (req.encoding.empty() || req.encoding == "gsm7") {
    // Left to smpp::choose_encoding: GSM-7 when the text fits, else UCS-2 ("ARRÊT").
  } else if (req.encoding == "ucs2") {
    so.encoding = smpp::text_encoding::ucs2;
  } else {
    return {400, "encoding must be \"gsm7\" or \"ucs2\"", 0};
  }
  so.mode = smpp::concatenation::udh8;
  so.max_parts = 255;
  if (req.from.empty() || req.to.empty()) return {400, "from and to are required", 0};
  bool any_receiver = false;
  for (auto& [ptr, info] : bound_) {
    if (info.type != smpp::bind_type::transmitter) any_receiver = true;
  }
  if (!any_receiver) return {409, "no receiver or transceiver is bound", 0};
  auto seg = smpp::segment_text(req.text, mo_reference_++, so);
  if (seg.error) return {400, "text: " + seg.error.message(), 0};
  for (unsigned n : req.skip_parts) {
    if (n < 1 || n > seg.parts.size()) {
      return {400, "skip_parts: " + std::to_string(n) + " is not a part of this reply (1.." +
                       std::to_string(seg.parts.size()) + ")", 0};
    }
  }
  auto address = [](const std::string& a, std::uint8_t& ton, std::uint8_t& npi) {
    if (!a.empty() && a.front() == '+') {
      ton = 1;  // international, digits without '+'
      npi = 1;
      return a.substr(1);
    }
    ton = 0;
    npi = 1;
    return a;
  };
  std::size_t sent = 0;
  for (std::size_t i = 0; i < seg.parts.size(); ++i) {
    if (std::find(req.skip_parts.begin(), req.skip_parts.end(), i + 1) != req.skip_parts.end()) continue;
    ++sent;
    const auto& part = seg.parts[i];
    smpp::deliver_sm d;
    d.source_addr = address(req.from, d.source_addr_ton, d.source_addr_npi);
    d.destination_addr = address(req.to, d.dest_addr_ton, d.dest_addr_npi);
    d.esm_class = part.udhi ? smpp::udhi_esm_class_bit : 0;
    d.data_coding = part.data_coding;
    d.short_message.assign(part.short_message.begin(), part.short_message.end());
    outbound o;
    o.body = encode_body(d);
    o.due = clock_type::now();
    o.mo = true;
    enqueue(std::move(o));
  }
  ++c_.mo;
  c_.mo_parts += sent;  // the parts sent (skip_parts not)
  r.parts = static_cast<unsigned>(seg.parts.size());
  return r;
}

mo_result simulator::send_receipt(const std::string& message_id, const std::string& stat) {
  static const std::pair<const char*, smpp::message_state> states[] = {
      {"ENROUTE", smpp::message_state::enroute},   {"DELIVRD", smpp::message_state::delivered},
      {"EXPIRED", smpp::message_state::expired},   {"DELETED", smpp::message_state::deleted},
      {"UNDELIV", smpp::message_state::undeliverable}, {"ACCEPTD", smpp::message_state::accepted},
      {"UNKNOWN", smpp::message_state::unknown},   {"REJECTD", smpp::message_state::rejected}};
  const smpp::message_state* state = nullptr;
  for (const auto& [word, st] : states) {
    if (stat == word) state = &st;
  }
  if (state == nullptr) return {400, "stat must be one of ENROUTE DELIVRD EXPIRED DELETED UNDELIV ACCEPTD UNKNOWN REJECTD", 0};
  if (message_id.empty()) return {400, "message_id is required", 0};
  const auto wall = std::chrono::system_clock::now();
  const bool ok = *state == smpp::message_state::delivered || *state == smpp::message_state::enroute ||
                  *state == smpp::message_state::accepted;
  smpp::deliver_sm d;
  d.esm_class = 0x04;  // SMSC delivery receipt
  d.short_message = "id:" + message_id + " sub:001 dlvrd:" + (*state == smpp::message_state::delivered ? "001" : "000") +
                    " submit date:" + receipt_date(wall) + " done date:" + receipt_date(wall) + " stat:" + stat +
                    " err:" + (ok ? "000" : "001") + " text:";
  d.tlvs.set(smpp::tag::receipted_message_id, message_id);
  d.tlvs.set(smpp::tag::message_state, static_cast<std::uint8_t>(*state));
  outbound o;
  o.due = clock_type::now();
  o.body = encode_body(d);
  o.receipt = true;
  enqueue(std::move(o));
  ++c_.receipts;
  return {200, "", 1};
}

nlohmann::json simulator::stats() const {
  return {
      {"binds", c_.binds},
      {"bind_failures", c_.bind_failures},
      {"unbinds", c_.unbinds},
      {"bound_sessions", bound_.size()},
      {"connections", server_ ? server_->session_count() : 0},
      {"submit_sm", c_.submit_sm},
      {"submit_sm_ok", c_.submit_sm_ok},
      {"submit_sm_errors", c_.submit_sm_errors},
      {"throttled", c_.throttled},
      {"data_sm", c_.data_sm},
      {"other_requests", c_.other_requests},
      {"deliver_sm", c_.deliver_sm},
      {"deliver_sm_resp_ok", c_.deliver_sm_resp_ok},
      {"deliver_sm_resp_errors", c_.deliver_sm_resp_errors},
      {"deliver_sm_retries", c_.deliver_sm_retries},
      {"submit_sm_at_last_mo_ack", c_.submit_sm_at_last_mo_ack},
      {"receipts", c_.receipts},
      {"mo", c_.mo},
      {"mo_parts", c_.mo_parts},
      {"pending_deliveries", receipts_.size() + mo_.size() + in_flight_.size()},
      {"dropped_deliveries", c_.dropped_deliveries},
      {"stored_messages", messages_.size()},
  };
}

std::vector<stored_message> simulator::messages(const std::string& to, std::size_t limit) const {
  std::vector<stored_message> out;
  const std::string want = strip_plus(to);
  for (auto it = messages_.rbegin(); it != messages_.rend() && out.size() < limit; ++it) {
    if (!want.empty() && strip_plus(it->to) != want) continue;
    out.push_back(*it);
  }
  return out;
}

}  // namespace smsc_sim
