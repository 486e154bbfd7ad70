#pragma once

// Reassembly of inbound concatenated messages (UDH 8/16-bit reference or SAR TLVs).
//
// Parts are kept as raw user-data bytes (after the UDH) with their data_coding, and
// decoded only when the message is handed on: joining the bytes first means a GSM-7
// escape or a UTF-16 surrogate pair that a phone split between two parts still
// decodes to the right character.
//
// Pure: no clock (every call takes `now`), no I/O, no logging. The glue logs and
// counts what the returned events say. Memory is bounded (pending messages and
// payload bytes); when full the oldest pending message is evicted and reported.

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "smpp/segmentation.hpp"
#include "smpp/text_encoding.hpp"
#include "smpp/udh.hpp"

namespace smpp {

using reassembly_clock = std::chrono::steady_clock;

// Parts belong together when all four match.
struct reassembly_key {
  std::string source;       // source_addr of the deliver_sm
  std::string destination;  // destination_addr
  std::uint16_t reference = 0;
  std::uint8_t total = 0;

  auto operator<=>(const reassembly_key&) const = default;
  bool operator==(const reassembly_key&) const = default;
};

struct inbound_part {
  reassembly_key key;
  std::uint8_t seq = 0;  // 1-based
  std::uint8_t data_coding = 0;
  std::vector<std::uint8_t> payload;  // user data after the UDH (the whole short_message with SAR)
  // Octets of UDH that preceded `payload` in short_message (0 with SAR): packed GSM-7
  // needs it for the fill bits.
  std::size_t udh_length = 0;
};

// The fields of a deliver_sm / data_sm the text layer needs.
struct received_short_message {
  std::string source;
  std::string destination;
  std::uint8_t data_coding = 0;
  bool udhi = false;                       // esm_class & 0x40
  std::span<const std::uint8_t> user_data;  // short_message, or message_payload when present
  std::optional<sar_values> sar;           // when all three SAR TLVs are present
};

struct prepared_inbound {
  std::error_code error;  // malformed_udh: `text` then holds the whole user data decoded
  std::optional<inbound_part> part;  // a part of a concatenated message: give it to the reassembler
  decoded_text text;                  // the message itself when it is not concatenated
  std::optional<udh_info> udh;
};

// Splits a received message into "a part to reassemble" (UDH with a concatenation IE
// whose total is above 1, or SAR values with a total above 1, and 1 <= seq <= total)
// or "a whole message" (decoded now, UDH stripped; also when the concatenation values
// are impossible).
prepared_inbound prepare_inbound(const received_short_message& message, const text_options& options = {});

enum class incomplete_action : std::uint8_t {
  deliver,  // hand on the parts that arrived, marked incomplete (default)
  drop,     // discard them; the event carries the reason for the log and the counter
};

struct reassembly_options {
  text_options text;
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};  // from the first part
  std::size_t max_pending_messages = 10'000;
  std::size_t max_bytes = 16 * 1024 * 1024;  // payload bytes held
  incomplete_action on_incomplete = incomplete_action::deliver;
  // Parts of a message completed less than `timeout` ago are duplicates (a carrier
  // repeating a deliver_sm whose response it lost), not the start of a new message.
  bool remember_completed = true;
};

enum class reassembly_reason : std::uint8_t {
  complete,  // every part arrived
  timeout,   // expire(): the timeout passed
  evicted,   // memory bound reached: the oldest pending message made room
};

struct reassembled_message {
  reassembly_key key;
  std::string text;  // UTF-8; the parts that arrived, in order
  bool complete = false;
  std::vector<std::uint8_t> missing;  // seq numbers that never arrived
  std::uint8_t data_coding = 0;       // of the first part that arrived
  bool binary = false;
  std::error_code decode_error;  // unsupported_data_coding
  reassembly_clock::time_point first_part_at{};

  bool operator==(const reassembled_message&) const = default;
};

struct reassembly_event {
  reassembly_reason reason = reassembly_reason::complete;
  bool delivered = true;  // false: dropped (on_incomplete = drop)
  reassembled_message message;

  bool operator==(const reassembly_event&) const = default;
};

enum class part_status : std::uint8_t {
  stored,     // waiting for more parts
  completed,  // this part completed the message (see the events)
  duplicate,  // this seq was already held, or the message was just completed: ignored
  invalid,    // total 0, seq 0 or above total: refused (treat the message as a single one)
  too_large,  // the part alone is bigger than max_bytes: refused
};

struct add_result {
  part_status status = part_status::stored;
  // The completed message and any messages evicted to make room, in that order of
  // occurrence (evictions first).
  std::vector<reassembly_event> events;
};

std::string_view to_string(part_status s) noexcept;
std::string_view to_string(reassembly_reason r) noexcept;

class reassembler {
 public:
  explicit reassembler(reassembly_options options = {});

  add_result add(inbound_part part, reassembly_clock::time_point now);

  // Hands on (or drops) every message whose timeout has passed at `now`, oldest first.
  std::vector<reassembly_event> expire(reassembly_clock::time_point now);

  // When expire() next has something to do (for the glue's timer).
  std::optional<reassembly_clock::time_point> next_deadline() const noexcept;

  std::size_t pending_messages() const noexcept { return pending_.size(); }
  std::size_t pending_bytes() const noexcept { return bytes_; }
  const reassembly_options& options() const noexcept { return options_; }

 private:
  struct held_part {
    bool present = false;
    std::uint8_t data_coding = 0;
    std::size_t udh_length = 0;
    std::vector<std::uint8_t> payload;
  };
  struct pending {
    std::vector<held_part> parts;
    std::size_t received = 0;
    std::size_t bytes = 0;
    reassembly_clock::time_point first_part_at{};
    std::uint64_t serial = 0;
  };
  using pending_map = std::map<reassembly_key, pending>;
  using order_entry = std::tuple<reassembly_clock::time_point, std::uint64_t, const reassembly_key*>;

  reassembly_event finish(pending_map::iterator it, reassembly_reason reason);
  void forget_completed(reassembly_clock::time_point now);

  reassembly_options options_;
  pending_map pending_;
  std::set<order_entry> order_;  // by first part arrival: eviction and expiry order
  std::size_t bytes_ = 0;
  std::uint64_t next_serial_ = 0;
  std::map<reassembly_key, reassembly_clock::time_point> completed_;
  std::deque<std::pair<reassembly_clock::time_point, reassembly_key>> completed_order_;
};

struct part_bytes {
  std::uint8_t data_coding = 0;
  std::size_t udh_length = 0;
  std::span<const std::uint8_t> payload;
};

// Decodes consecutive parts given in seq order (used by the reassembler; exposed for
// tests and smsc-sim): runs of parts with the same data_coding are joined before
// decoding (packed GSM-7 is unpacked per part, honouring each part's fill bits).
decoded_text decode_parts(std::span<const part_bytes> parts, const text_options& options = {});

}  // namespace smpp
