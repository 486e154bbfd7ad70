#pragma once

// Splitting an outbound UTF-8 text into SMPP submit_sm parts.
//
// Part sizes count what the air interface carries: GSM-7 160 septets in one SMS,
// 153 per part with an 8-bit concatenation UDH, 152 with a 16-bit one; UCS-2 70 /
// 67 / 66 UTF-16 units; Latin-1 and IA5 140 / 134 / 133 octets. A GSM-7 escape
// sequence (2 septets) and a UTF-16 surrogate pair are never split between parts:
// the part ends one unit short instead.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "smpp/text_encoding.hpp"

namespace smpp {

// Per carrier: how the parts of a long message are tied together.
enum class concatenation : std::uint8_t {
  udh8,             // UDH 05 00 03 ref total seq in short_message, esm_class UDHI
  udh16,            // UDH 06 08 04 ref(2) total seq
  sar,              // no UDH; sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs
  message_payload,  // no split: the whole text in one message_payload TLV
};

// "udh8", "udh16", "sar", "message_payload" (configuration names).
std::string_view to_string(concatenation c) noexcept;
std::optional<concatenation> concatenation_from_string(std::string_view name) noexcept;
// "gsm7_unpacked", "gsm7_packed", "latin1", "ia5".
std::string_view to_string(default_alphabet a) noexcept;
std::optional<default_alphabet> default_alphabet_from_string(std::string_view name) noexcept;

struct segmentation_options {
  text_options text;
  concatenation mode = concatenation::udh8;
  std::size_t max_parts = 10;  // 1..255; more parts -> text_errc::message_too_long
  // With SAR the SMSC builds the UDH itself; set when it uses the 16-bit form
  // (152 / 66 per part instead of 153 / 67).
  bool sar_assume_16bit_udh = false;
  // Force an encoding instead of choose_encoding() (e.g. UCS-2 for a carrier that
  // mangles GSM-7, or Latin-1 / IA5 when explicitly wanted).
  std::optional<text_encoding> encoding;
};

struct sar_values {
  std::uint16_t msg_ref_num = 0;
  std::uint8_t total_segments = 0;
  std::uint8_t segment_seqnum = 0;  // 1-based

  bool operator==(const sar_values&) const = default;
};

// One submit_sm worth of data.
struct message_part {
  // short_message bytes, UDH first when `udhi`; with `use_message_payload` these
  // bytes go into the message_payload TLV and short_message stays empty (sm_length 0).
  std::vector<std::uint8_t> short_message;
  bool udhi = false;  // set esm_class bit 0x40
  bool use_message_payload = false;
  std::optional<sar_values> sar;  // for the three SAR TLVs
  std::uint8_t data_coding = 0;
  std::size_t units = 0;  // text units in this part (septets, UTF-16 units, octets)

  bool operator==(const message_part&) const = default;
};

struct segmentation_result {
  std::error_code error;                  // invalid_utf8, not_representable, message_too_long
  std::optional<std::size_t> bad_offset;  // UTF-8 offset for the first two errors
  text_encoding encoding = text_encoding::gsm7;
  // SMS on the air interface; also set with message_too_long so callers can say how
  // many parts the text needs. For message_payload: what the SMSC will make of it.
  std::size_t segments = 0;
  std::vector<message_part> parts;  // empty on error
};

// Splits and encodes. `reference` is the concatenation reference (the caller owns the
// counter; udh8 uses its low byte, udh16 and sar all 16 bits).
segmentation_result segment_text(std::string_view utf8_text, std::uint16_t reference,
                                 const segmentation_options& options);

struct segment_count {
  std::error_code error;  // as segment_text
  text_encoding encoding = text_encoding::gsm7;
  std::size_t segments = 0;
  std::size_t units = 0;  // whole text
};

// The counting half of segment_text without encoding or allocating (for the
// HTTP API's 202 answer and the throttle's segment count). Always agrees with
// segment_text on `segments`, `encoding` and `error`.
segment_count count_segments(std::string_view utf8_text, const segmentation_options& options) noexcept;

}  // namespace smpp
