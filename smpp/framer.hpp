#pragma once

// Finds PDU boundaries in a byte stream (SMPP 3.4 section 3.2: every PDU starts with its
// 4-octet command_length). Pure: the caller owns the buffer; the framer only looks at it.

#include <cstddef>
#include <cstdint>
#include <span>

#include "smpp/error.hpp"
#include "smpp/pdu_header.hpp"

namespace smpp {

struct framer_options {
  // Largest command_length accepted. A larger claim is answered with generic_nack
  // (ESME_RINVCMDLEN) and the connection is closed; nothing of that size is ever allocated.
  std::uint32_t max_command_length = 64 * 1024;
};

enum class frame_status : std::uint8_t {
  need_more,  // not a whole PDU yet: read at least `needed` bytes in total, then call again
  complete,   // bytes[0, length) is one PDU with a known command_id: hand it to decode()
  error,      // see `error`: fatal (framing lost, answer + close) or recoverable (skip `length`)
};

struct frame_result {
  frame_status status = frame_status::need_more;
  std::size_t length = 0;   // complete: PDU size; recoverable error: bytes to discard; else 0
  std::size_t needed = 0;   // need_more: total bytes required before the next call can progress
  pdu_header header{};      // valid once 16 bytes have arrived
  decode_error error{};     // when status == error

  bool operator==(const frame_result&) const = default;
};

// Looks at the bytes received so far (starting at a PDU boundary).
//  - fewer than 16 bytes, or fewer than command_length: need_more;
//  - command_length < 16 or > options.max_command_length: fatal error, ESME_RINVCMDLEN
//    (decided as soon as the 16-byte header is there, without waiting for the body);
//  - unknown command_id: recoverable error ESME_RINVCMDID, reported once the whole PDU is
//    buffered so that `length` bytes can be skipped and the bind kept;
//  - otherwise complete.
frame_result next_frame(std::span<const std::uint8_t> received,
                        const framer_options& options = {}) noexcept;

}  // namespace smpp
