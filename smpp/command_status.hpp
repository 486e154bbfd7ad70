#pragma once

#include <cstdint>
#include <string_view>

namespace smpp {

// SMPP 3.4 section 5.1.3. Any 32-bit value is representable (vendors use 0x400-0x4FF), so the
// enum is open: cast a raw status to it freely, `to_string` names the ones the spec defines.
enum class command_status : std::uint32_t {
  esme_rok = 0x00000000,              // No error
  esme_rinvmsglen = 0x00000001,       // Message length is invalid
  esme_rinvcmdlen = 0x00000002,       // Command length is invalid
  esme_rinvcmdid = 0x00000003,        // Invalid command ID
  esme_rinvbndsts = 0x00000004,       // Incorrect BIND status for given command
  esme_ralybnd = 0x00000005,          // ESME already in bound state
  esme_rinvprtflg = 0x00000006,       // Invalid priority flag
  esme_rinvregdlvflg = 0x00000007,    // Invalid registered delivery flag
  esme_rsyserr = 0x00000008,          // System error
  esme_rinvsrcadr = 0x0000000A,       // Invalid source address
  esme_rinvdstadr = 0x0000000B,       // Invalid destination address
  esme_rinvmsgid = 0x0000000C,        // Message ID is invalid
  esme_rbindfail = 0x0000000D,        // Bind failed
  esme_rinvpaswd = 0x0000000E,        // Invalid password
  esme_rinvsysid = 0x0000000F,        // Invalid system ID
  esme_rcancelfail = 0x00000011,      // Cancel SM failed
  esme_rreplacefail = 0x00000013,     // Replace SM failed
  esme_rmsgqful = 0x00000014,         // Message queue full
  esme_rinvsertyp = 0x00000015,       // Invalid service type
  esme_rinvnumdests = 0x00000033,     // Invalid number of destinations
  esme_rinvdlname = 0x00000034,       // Invalid distribution list name
  esme_rinvdestflag = 0x00000040,     // Destination flag is invalid (submit_multi)
  esme_rinvsubrep = 0x00000042,       // Invalid 'submit with replace' request
  esme_rinvesmclass = 0x00000043,     // Invalid esm_class field data
  esme_rcntsubdl = 0x00000044,        // Cannot submit to distribution list
  esme_rsubmitfail = 0x00000045,      // submit_sm or submit_multi failed
  esme_rinvsrcton = 0x00000048,       // Invalid source address TON
  esme_rinvsrcnpi = 0x00000049,       // Invalid source address NPI
  esme_rinvdstton = 0x00000050,       // Invalid destination address TON
  esme_rinvdstnpi = 0x00000051,       // Invalid destination address NPI
  esme_rinvsystyp = 0x00000053,       // Invalid system_type field
  esme_rinvrepflag = 0x00000054,      // Invalid replace_if_present flag
  esme_rinvnummsgs = 0x00000055,      // Invalid number of messages
  esme_rthrottled = 0x00000058,       // Throttling error (ESME has exceeded allowed message limits)
  esme_rinvsched = 0x00000061,        // Invalid scheduled delivery time
  esme_rinvexpiry = 0x00000062,       // Invalid message validity period (expiry time)
  esme_rinvdftmsgid = 0x00000063,     // Predefined message invalid or not found
  esme_rx_t_appn = 0x00000064,        // ESME receiver temporary app error code
  esme_rx_p_appn = 0x00000065,        // ESME receiver permanent app error code
  esme_rx_r_appn = 0x00000066,        // ESME receiver reject message error code
  esme_rqueryfail = 0x00000067,       // query_sm request failed
  esme_rinvoptparstream = 0x000000C0, // Error in the optional part of the PDU body
  esme_roptparnotallwd = 0x000000C1,  // Optional parameter not allowed
  esme_rinvparlen = 0x000000C2,       // Invalid parameter length
  esme_rmissingoptparam = 0x000000C3, // Expected optional parameter missing
  esme_rinvoptparamval = 0x000000C4,  // Invalid optional parameter value
  esme_rdeliveryfailure = 0x000000FE, // Delivery failure (used for data_sm_resp)
  esme_runknownerr = 0x000000FF,      // Unknown error
};

// SMPP 5.0 renamed 0xC0 ESME_RINVTLVSTREAM; same value.
inline constexpr command_status esme_rinvtlvstream = command_status::esme_rinvoptparstream;

// "ESME_ROK", "ESME_RTHROTTLED", ...; "vendor" for 0x400-0x4FF, "unknown" otherwise.
std::string_view to_string(command_status status) noexcept;

// One-line English description from the spec ("Throttling error ..."); "" when unknown.
std::string_view describe(command_status status) noexcept;

// How a carrier's answer should be treated by whoever submitted the message.
enum class status_class : std::uint8_t {
  ok,         // ESME_ROK
  temporary,  // retry later, the message is not failed (queue full, throttled, system error)
  permanent,  // the message is rejected; retrying the same PDU will not help
};

// Kannel's classification (smsc_smpp.c): ESME_RMSGQFUL, ESME_RTHROTTLED, ESME_RX_T_APPN and
// ESME_RSYSERR are temporary, every other non-zero status (vendor ones included) is permanent.
// Carrier-specific overrides belong to the carrier configuration, not here.
status_class classify(command_status status) noexcept;

constexpr bool is_ok(command_status status) noexcept { return status == command_status::esme_rok; }

}  // namespace smpp
