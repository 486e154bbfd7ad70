#pragma once

// Pure SMPP 3.4 PDU codec: no I/O, no clocks, no logging, no exceptions for bad input.
// The wire layout comes from the per-PDU field tables in pdu.hpp.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "smpp/error.hpp"
#include "smpp/pdu.hpp"
#include "smpp/pdu_header.hpp"

namespace smpp {

// Appends one whole PDU (header with the computed command_length + body) to `out`.
// On error `out` is left as it was and the error names the offending field (a string too long
// for its field, a NUL inside a C-octet string, short_message over 254 octets, a known TLV whose
// value does not fit its type, ...).
encode_error encode(const pdu& body, command_status status, std::uint32_t sequence_number,
                    std::vector<std::uint8_t>& out);
encode_error encode(const frame& f, std::vector<std::uint8_t>& out);

struct decode_result {
  pdu_header header{};  // filled whenever at least 16 bytes were given
  frame value{};        // the decoded PDU when ok()
  decode_error error{};

  bool ok() const noexcept { return !error; }
};

// Decodes exactly one whole PDU (the bytes the framer delimited: command_length bytes).
// Errors:
//  - fewer than 16 bytes or command_length != bytes.size(): fatal, ESME_RINVCMDLEN;
//  - unknown command_id: recoverable, ESME_RINVCMDID (answer generic_nack);
//  - a bad mandatory field or TLV: recoverable, the status the spec gives for that field.
// A response PDU whose body is empty (some SMSCs send error responses header-only) decodes to
// the default body.
decode_result decode(std::span<const std::uint8_t> one_whole_pdu);

// The frame to send back for a PDU that failed to decode, std::nullopt when nothing must be
// sent (a malformed generic_nack is never answered, to avoid nack loops).
//  - unknown command_id, bad command_length, or a malformed response/outbind/alert_notification:
//    generic_nack with the error status;
//  - a malformed request: its own response (submit_sm -> submit_sm_resp) with the error status
//    and an empty body.
// The sequence number is the offending PDU's. Fatal errors still require closing afterwards.
std::optional<frame> error_response(const pdu_header& header, const decode_error& error);

}  // namespace smpp
