#include "smpp/command_status.hpp"

namespace smpp {
namespace {

struct status_info {
  std::string_view name;
  std::string_view description;
};

// The single table of SMPP 3.4 section 5.1.3: name and description per value.
status_info info_of(command_status status) noexcept {
  using enum command_status;
  switch (status) {
    case esme_rok: return {"ESME_ROK", "No error"};
    case esme_rinvmsglen: return {"ESME_RINVMSGLEN", "Message length is invalid"};
    case esme_rinvcmdlen: return {"ESME_RINVCMDLEN", "Command length is invalid"};
    case esme_rinvcmdid: return {"ESME_RINVCMDID", "Invalid command ID"};
    case esme_rinvbndsts: return {"ESME_RINVBNDSTS", "Incorrect BIND status for given command"};
    case esme_ralybnd: return {"ESME_RALYBND", "ESME already in bound state"};
    case esme_rinvprtflg: return {"ESME_RINVPRTFLG", "Invalid priority flag"};
    case esme_rinvregdlvflg: return {"ESME_RINVREGDLVFLG", "Invalid registered delivery flag"};
    case esme_rsyserr: return {"ESME_RSYSERR", "System error"};
    case esme_rinvsrcadr: return {"ESME_RINVSRCADR", "Invalid source address"};
    case esme_rinvdstadr: return {"ESME_RINVDSTADR", "Invalid destination address"};
    case esme_rinvmsgid: return {"ESME_RINVMSGID", "Message ID is invalid"};
    case esme_rbindfail: return {"ESME_RBINDFAIL", "Bind failed"};
    case esme_rinvpaswd: return {"ESME_RINVPASWD", "Invalid password"};
    case esme_rinvsysid: return {"ESME_RINVSYSID", "Invalid system ID"};
    case esme_rcancelfail: return {"ESME_RCANCELFAIL", "Cancel SM failed"};
    case esme_rreplacefail: return {"ESME_RREPLACEFAIL", "Replace SM failed"};
    case esme_rmsgqful: return {"ESME_RMSGQFUL", "Message queue full"};
    case esme_rinvsertyp: return {"ESME_RINVSERTYP", "Invalid service type"};
    case esme_rinvnumdests: return {"ESME_RINVNUMDESTS", "Invalid number of destinations"};
    case esme_rinvdlname: return {"ESME_RINVDLNAME", "Invalid distribution list name"};
    case esme_rinvdestflag: return {"ESME_RINVDESTFLAG", "Destination flag is invalid"};
    case esme_rinvsubrep: return {"ESME_RINVSUBREP", "Invalid 'submit with replace' request"};
    case esme_rinvesmclass: return {"ESME_RINVESMCLASS", "Invalid esm_class field data"};
    case esme_rcntsubdl: return {"ESME_RCNTSUBDL", "Cannot submit to distribution list"};
    case esme_rsubmitfail: return {"ESME_RSUBMITFAIL", "submit_sm or submit_multi failed"};
    case esme_rinvsrcton: return {"ESME_RINVSRCTON", "Invalid source address TON"};
    case esme_rinvsrcnpi: return {"ESME_RINVSRCNPI", "Invalid source address NPI"};
    case esme_rinvdstton: return {"ESME_RINVDSTTON", "Invalid destination address TON"};
    case esme_rinvdstnpi: return {"ESME_RINVDSTNPI", "Invalid destination address NPI"};
    case esme_rinvsystyp: return {"ESME_RINVSYSTYP", "Invalid system_type field"};
    case esme_rinvrepflag: return {"ESME_RINVREPFLAG", "Invalid replace_if_present flag"};
    case esme_rinvnummsgs: return {"ESME_RINVNUMMSGS", "Invalid number of messages"};
    case esme_rthrottled:
      return {"ESME_RTHROTTLED", "Throttling error (ESME has exceeded allowed message limits)"};
    case esme_rinvsched: return {"ESME_RINVSCHED", "Invalid scheduled delivery time"};
    case esme_rinvexpiry: return {"ESME_RINVEXPIRY", "Invalid message validity period"};
    case esme_rinvdftmsgid: return {"ESME_RINVDFTMSGID", "Predefined message invalid or not found"};
    case esme_rx_t_appn: return {"ESME_RX_T_APPN", "ESME receiver temporary app error code"};
    case esme_rx_p_appn: return {"ESME_RX_P_APPN", "ESME receiver permanent app error code"};
    case esme_rx_r_appn: return {"ESME_RX_R_APPN", "ESME receiver reject message error code"};
    case esme_rqueryfail: return {"ESME_RQUERYFAIL", "query_sm request failed"};
    case esme_rinvoptparstream:
      return {"ESME_RINVOPTPARSTREAM", "Error in the optional part of the PDU body"};
    case esme_roptparnotallwd: return {"ESME_ROPTPARNOTALLWD", "Optional parameter not allowed"};
    case esme_rinvparlen: return {"ESME_RINVPARLEN", "Invalid parameter length"};
    case esme_rmissingoptparam:
      return {"ESME_RMISSINGOPTPARAM", "Expected optional parameter missing"};
    case esme_rinvoptparamval: return {"ESME_RINVOPTPARAMVAL", "Invalid optional parameter value"};
    case esme_rdeliveryfailure: return {"ESME_RDELIVERYFAILURE", "Delivery failure"};
    case esme_runknownerr: return {"ESME_RUNKNOWNERR", "Unknown error"};
  }
  const auto raw = static_cast<std::uint32_t>(status);
  if (raw >= 0x400 && raw <= 0x4FF) return {"vendor", "SMSC vendor specific error"};
  return {"unknown", ""};
}

}  // namespace

std::string_view to_string(command_status status) noexcept { return info_of(status).name; }

std::string_view describe(command_status status) noexcept { return info_of(status).description; }

status_class classify(command_status status) noexcept {
  switch (status) {
    case command_status::esme_rok: return status_class::ok;
    case command_status::esme_rmsgqful:
    case command_status::esme_rthrottled:
    case command_status::esme_rx_t_appn:
    case command_status::esme_rsyserr: return status_class::temporary;
    default: return status_class::permanent;
  }
}

}  // namespace smpp
