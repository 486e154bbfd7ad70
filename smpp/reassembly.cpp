#include "smpp/reassembly.hpp"

#include "smpp/gsm7.hpp"
#include "smpp/ucs2.hpp"

namespace smpp {

std::string_view to_string(part_status s) noexcept {
  switch (s) {
    case part_status::stored: return "stored";
    case part_status::completed: return "completed";
    case part_status::duplicate: return "duplicate";
    case part_status::invalid: return "invalid";
    case part_status::too_large: return "too_large";
  }
  return "unknown";
}

std::string_view to_string(reassembly_reason r) noexcept {
  switch (r) {
    case reassembly_reason::complete: return "complete";
    case reassembly_reason::timeout: return "timeout";
    case reassembly_reason::evicted: return "evicted";
  }
  return "unknown";
}

prepared_inbound prepare_inbound(const received_short_message& message, const text_options& options) {
  prepared_inbound out;
  std::span<const std::uint8_t> payload = message.user_data;
  std::size_t udh_length = 0;
  std::optional<concat_info> concat;
  if (message.udhi) {
    auto parsed = parse_udh(message.user_data);
    if (parsed.error) {
      // Keep the text readable: decode everything as if there were no UDH.
      out.error = parsed.error;
      out.text = decode_text(message.data_coding, message.user_data, options);
      return out;
    }
    out.udh = parsed.udh;
    udh_length = parsed.udh.length;
    payload = message.user_data.subspan(udh_length);
    concat = parsed.udh.concat;
  }
  if (!concat && message.sar) {
    concat = concat_info{message.sar->msg_ref_num, message.sar->total_segments, message.sar->segment_seqnum, true};
  }
  // A concatenation IE with impossible values (seq 0, seq above total) is ignored:
  // the message is handed on as it is rather than held for parts that cannot come.
  if (concat && concat->total > 1 && concat->seq >= 1 && concat->seq <= concat->total) {
    inbound_part part;
    part.key = {message.source, message.destination, concat->reference, concat->total};
    part.seq = concat->seq;
    part.data_coding = message.data_coding;
    part.payload.assign(payload.begin(), payload.end());
    part.udh_length = udh_length;
    out.part = std::move(part);
    return out;
  }
  const bool packed = wire_alphabet_of(message.data_coding, options) == wire_alphabet::gsm7_packed;
  out.text = decode_text(message.data_coding, payload, options, packed ? gsm7::fill_bits_after_udh(udh_length) : 0);
  return out;
}

decoded_text decode_parts(std::span<const part_bytes> parts, const text_options& options) {
  decoded_text out;
  std::size_t i = 0;
  while (i < parts.size()) {
    // A run of parts with the same data_coding.
    std::size_t end = i + 1;
    while (end < parts.size() && parts[end].data_coding == parts[i].data_coding) {
      ++end;
    }
    const std::uint8_t dc = parts[i].data_coding;
    decoded_text run;
    if (wire_alphabet_of(dc, options) == wire_alphabet::gsm7_packed) {
      std::vector<std::uint8_t> septets;
      for (std::size_t k = i; k < end; ++k) {
        auto part = gsm7::unpack(parts[k].payload, gsm7::fill_bits_after_udh(parts[k].udh_length));
        septets.insert(septets.end(), part.begin(), part.end());
      }
      run.text = gsm7::septets_to_utf8(septets);
    } else {
      std::vector<std::uint8_t> joined;
      for (std::size_t k = i; k < end; ++k) {
        joined.insert(joined.end(), parts[k].payload.begin(), parts[k].payload.end());
      }
      run = decode_text(dc, joined, options);
    }
    out.text += run.text;
    out.binary = out.binary || run.binary;
    if (run.error && !out.error) {
      out.error = run.error;
    }
    i = end;
  }
  return out;
}

reassembler::reassembler(reassembly_options options) : options_(std::move(options)) {
  if (options_.max_pending_messages == 0) {
    options_.max_pending_messages = 1;
  }
}

reassembly_event reassembler::finish(pending_map::iterator it, reassembly_reason reason) {
  pending& p = it->second;
  reassembly_event event;
  event.reason = reason;
  reassembled_message& m = event.message;
  m.key = it->first;
  m.complete = p.received == p.parts.size();
  m.first_part_at = p.first_part_at;
  event.delivered = m.complete || options_.on_incomplete == incomplete_action::deliver;

  bool first = true;
  std::vector<part_bytes> run;
  const auto flush = [&] {
    if (run.empty()) {
      return;
    }
    decoded_text text = decode_parts(run, options_.text);
    m.text += text.text;
    m.binary = m.binary || text.binary;
    if (text.error && !m.decode_error) {
      m.decode_error = text.error;
    }
    run.clear();
  };
  for (std::size_t i = 0; i < p.parts.size(); ++i) {
    const held_part& part = p.parts[i];
    if (!part.present) {
      m.missing.push_back(static_cast<std::uint8_t>(i + 1));
      flush();  // decode each run of consecutive parts on its own
      continue;
    }
    if (first) {
      m.data_coding = part.data_coding;
      first = false;
    }
    if (event.delivered) {
      run.push_back({part.data_coding, part.udh_length, part.payload});
    }
  }
  flush();

  bytes_ -= p.bytes;
  order_.erase({p.first_part_at, p.serial, &it->first});
  pending_.erase(it);
  return event;
}

void reassembler::forget_completed(reassembly_clock::time_point now) {
  while (!completed_order_.empty() &&
         (completed_order_.front().first + options_.timeout <= now ||
          completed_order_.size() > options_.max_pending_messages)) {
    auto found = completed_.find(completed_order_.front().second);
    if (found != completed_.end() && found->second == completed_order_.front().first) {
      completed_.erase(found);
    }
    completed_order_.pop_front();
  }
}

add_result reassembler::add(inbound_part part, reassembly_clock::time_point now) {
  add_result result;
  const reassembly_key& key = part.key;
  if (key.total == 0 || part.seq == 0 || part.seq > key.total) {
    result.status = part_status::invalid;
    return result;
  }
  if (part.payload.size() > options_.max_bytes) {
    result.status = part_status::too_large;
    return result;
  }
  if (options_.remember_completed) {
    forget_completed(now);
    if (completed_.contains(key)) {
      result.status = part_status::duplicate;
      return result;
    }
  }

  auto it = pending_.find(key);
  if (it != pending_.end() && it->second.parts[part.seq - 1].present) {
    result.status = part_status::duplicate;
    return result;
  }

  // Make room: evict the oldest other messages first, this one only as a last resort.
  const reassembly_key* self = it == pending_.end() ? nullptr : &it->first;
  while (bytes_ + part.payload.size() > options_.max_bytes ||
         (self == nullptr && pending_.size() >= options_.max_pending_messages)) {
    auto oldest = order_.begin();
    if (std::get<2>(*oldest) == self) {
      if (order_.size() == 1) {
        result.events.push_back(finish(it, reassembly_reason::evicted));
        it = pending_.end();
        self = nullptr;
        continue;
      }
      ++oldest;
    }
    result.events.push_back(finish(pending_.find(*std::get<2>(*oldest)), reassembly_reason::evicted));
  }

  if (it == pending_.end()) {
    pending p;
    p.parts.resize(key.total);
    p.first_part_at = now;
    p.serial = next_serial_++;
    it = pending_.emplace(key, std::move(p)).first;
    order_.insert({now, it->second.serial, &it->first});
  }
  pending& p = it->second;
  held_part& slot = p.parts[part.seq - 1];
  slot.present = true;
  slot.data_coding = part.data_coding;
  slot.udh_length = part.udh_length;
  slot.payload = std::move(part.payload);
  p.bytes += slot.payload.size();
  bytes_ += slot.payload.size();
  ++p.received;

  if (p.received < p.parts.size()) {
    result.status = part_status::stored;
    return result;
  }
  result.status = part_status::completed;
  if (options_.remember_completed) {
    completed_[it->first] = now;
    completed_order_.emplace_back(now, it->first);
  }
  result.events.push_back(finish(it, reassembly_reason::complete));
  return result;
}

std::vector<reassembly_event> reassembler::expire(reassembly_clock::time_point now) {
  std::vector<reassembly_event> events;
  while (!order_.empty() && std::get<0>(*order_.begin()) + options_.timeout <= now) {
    events.push_back(finish(pending_.find(*std::get<2>(*order_.begin())), reassembly_reason::timeout));
  }
  if (options_.remember_completed) {
    forget_completed(now);
  }
  return events;
}

std::optional<reassembly_clock::time_point> reassembler::next_deadline() const noexcept {
  if (order_.empty()) {
    return std::nullopt;
  }
  return std::get<0>(*order_.begin()) + options_.timeout;
}

}  // namespace smpp
