#pragma once

// Human-readable JSON rendering of PDUs, walking the same field tables as the codec.
// Used by tools/smpp-decode and for logs.

#include <string>

#include "smpp/pdu.hpp"

namespace smpp {

// {"command_id":"submit_sm","command_status":"ESME_ROK","sequence_number":1,"body":{...}}
// Integers print as numbers, C-octet strings as JSON strings, short_message and octet TLVs as
// hex (plus "short_message_text" when every octet is printable ASCII), known TLVs by name
// with a typed value, unknown TLVs as {"tag":"0x1401","hex":"..."}.
std::string to_json(const frame& f, bool pretty = false);

// The body alone, same format as the "body" member above.
std::string to_json(const pdu& body, bool pretty = false);

inline std::string to_string(const frame& f) { return to_json(f); }

}  // namespace smpp
