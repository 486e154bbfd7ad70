#pragma once

// Field descriptors of the per-PDU tables (style.md rule 2). A PDU's `fields()` returns a tuple of
// `field_desc` in wire order; the codec, the printer and the error messages walk that tuple, so
// the wire layout is written down exactly once.

#include <cstdint>
#include <string_view>

#include "smpp/command_status.hpp"

namespace smpp::field {

// Integer, 1 octet. Member type std::uint8_t.
struct int1 {};

// C-octet string, at most `max` octets including the NUL (SMPP 3.4 "Var. max N").
// `status` is what a peer sending a bad value is answered with. Member type std::string.
struct cstring {
  std::uint16_t max;
  command_status status;
};

// Time (section 7.1): empty, or 16 characters "YYMMDDhhmmsstnnp" (17 octets with the NUL).
// Member type std::string.
struct time {
  command_status status;
};

// sm_length (int1, 0..254) followed by that many octets. Member type std::string (raw octets).
struct short_message {};

// submit_multi: number_of_dests (int1) then dest_address structures. Member std::vector<dest_address>.
struct dest_addresses {};

// submit_multi_resp: no_unsuccess (int1) then unsuccess_sme structures. Member std::vector<unsuccess_sme>.
struct unsuccess_smes {};

// Every remaining octet of the PDU: the optional parameters. Member type tlv_list.
struct tlvs {};

template <class Pdu, class Member, class Kind>
struct desc {
  std::string_view name;
  Member Pdu::*member;
  Kind kind;
};

template <class Pdu, class Member, class Kind>
constexpr desc<Pdu, Member, Kind> make(std::string_view name, Member Pdu::*member, Kind kind) {
  return {name, member, kind};
}

}  // namespace smpp::field
