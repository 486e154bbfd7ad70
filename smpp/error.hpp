#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

#include "smpp/command_status.hpp"

namespace smpp {

// Codec and framing errors. "Not enough bytes yet" is not an error (the framer says need_more).
enum class errc : std::uint8_t {
  ok = 0,
  command_length_too_small,  // command_length < 16: framing lost (fatal)
  command_length_too_large,  // command_length > configured maximum: framing lost (fatal)
  command_length_mismatch,   // the span handed to decode() is not command_length bytes
  unknown_command_id,        // not an SMPP 3.4 command id (recoverable: generic_nack)
  truncated,                 // a mandatory field runs past the end of the PDU
  missing_nul,               // a C-octet string has no terminating NUL before the end
  string_too_long,           // a C-octet string exceeds its maximum (NUL included)
  embedded_nul,              // encode: a C-octet string value contains a NUL
  invalid_time,              // a time field is neither empty nor 16 characters
  message_too_long,          // sm_length > 254 (or short_message longer than 254 on encode)
  invalid_dest_flag,         // submit_multi dest_flag neither 1 (SME) nor 2 (distribution list)
  too_many_items,            // encode: more than 255 destinations / unsuccessful SMEs
  trailing_bytes,            // bytes after the last field of a PDU that carries no TLVs
  tlv_truncated,             // a TLV header or value runs past the end of the PDU
  tlv_bad_length,            // a known TLV's length does not fit its type
  tlv_bad_value,             // a known C-octet string TLV is not NUL-terminated
  tlv_too_long,              // encode: a TLV value longer than 65535 octets
};

const std::error_category& codec_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// A decode (or framing) failure: which field, what to answer the peer, and whether the byte
// stream can still be trusted. Recoverable errors (fatal == false) are answered with
// `status_to_answer` in the matching response (or generic_nack) and the bind stays up; fatal
// ones are answered with generic_nack and the connection is closed.
struct decode_error {
  errc code = errc::ok;
  std::string_view field;  // spec name of the offending field ("source_addr", "command_length")
  command_status status_to_answer = command_status::esme_rok;
  bool fatal = false;

  explicit operator bool() const noexcept { return code != errc::ok; }
  bool operator==(const decode_error&) const = default;
};

// An encode failure: the PDU struct holds a value the wire format cannot carry.
struct encode_error {
  errc code = errc::ok;
  std::string_view field;

  explicit operator bool() const noexcept { return code != errc::ok; }
  bool operator==(const encode_error&) const = default;
};

}  // namespace smpp

template <>
struct std::is_error_code_enum<smpp::errc> : std::true_type {};
