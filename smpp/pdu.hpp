#pragma once

// Every SMPP 3.4 PDU (section 4) as a plain aggregate with a defaulted operator== and one
// compile-time field table, `fields()`, listing the mandatory fields in wire order. The codec
// (codec.hpp), the printer (pdu_print.hpp) and the field names in decode errors all come from
// these tables. Strings are std::string; short_message and TLV values hold raw octets.

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "smpp/command_id.hpp"
#include "smpp/command_status.hpp"
#include "smpp/field.hpp"
#include "smpp/tlv.hpp"

namespace smpp {

// ---- session management (4.1, 4.2, 4.3, 4.11) --------------------------------------------------

// bind_transmitter / bind_receiver / bind_transceiver: identical bodies (4.1.1, 4.1.3, 4.1.5).
template <command_id Id>
struct basic_bind {
  static constexpr command_id id = Id;

  std::string system_id;
  std::string password;
  std::string system_type;
  std::uint8_t interface_version = 0x34;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;

  bool operator==(const basic_bind&) const = default;

  static constexpr auto fields() {
    using namespace field;
    return std::tuple{
        make("system_id", &basic_bind::system_id, cstring{16, command_status::esme_rinvsysid}),
        make("password", &basic_bind::password, cstring{9, command_status::esme_rinvpaswd}),
        make("system_type", &basic_bind::system_type, cstring{13, command_status::esme_rinvsystyp}),
        make("interface_version", &basic_bind::interface_version, int1{}),
        make("addr_ton", &basic_bind::addr_ton, int1{}),
        make("addr_npi", &basic_bind::addr_npi, int1{}),
        make("address_range", &basic_bind::address_range, cstring{41, command_status::esme_rbindfail}),
    };
  }
};

// bind_*_resp (4.1.2, 4.1.4, 4.1.6): system_id of the SMSC + optional sc_interface_version.
template <command_id Id>
struct basic_bind_resp {
  static constexpr command_id id = Id;

  std::string system_id;
  tlv_list tlvs;

  bool operator==(const basic_bind_resp&) const = default;

  static constexpr auto fields() {
    using namespace field;
    return std::tuple{
        make("system_id", &basic_bind_resp::system_id, cstring{16, command_status::esme_rinvsysid}),
        make("tlvs", &basic_bind_resp::tlvs, field::tlvs{}),
    };
  }
};

using bind_transmitter = basic_bind<command_id::bind_transmitter>;
using bind_receiver = basic_bind<command_id::bind_receiver>;
using bind_transceiver = basic_bind<command_id::bind_transceiver>;
using bind_transmitter_resp = basic_bind_resp<command_id::bind_transmitter_resp>;
using bind_receiver_resp = basic_bind_resp<command_id::bind_receiver_resp>;
using bind_transceiver_resp = basic_bind_resp<command_id::bind_transceiver_resp>;

// outbind (4.1.7): the SMSC asks the ESME to bind_receiver.
struct outbind {
  static constexpr command_id id = command_id::outbind;

  std::string system_id;
  std::string password;

  bool operator==(const outbind&) const = default;

  static constexpr auto fields() {
    using namespace field;
    return std::tuple{
        make("system_id", &outbind::system_id, cstring{16, command_status::esme_rinvsysid}),
        make("password", &outbind::password, cstring{9, command_status::esme_rinvpaswd}),
    };
  }
};

// Header-only PDUs: unbind(+resp), enquire_link(+resp), generic_nack, cancel_sm_resp,
// replace_sm_resp.
template <command_id Id>
struct basic_empty {
  static constexpr command_id id = Id;

  bool operator==(const basic_empty&) const = default;

  static constexpr auto fields() { return std::tuple{}; }
};

using unbind = basic_empty<command_id::unbind>;
using unbind_resp = basic_empty<command_id::unbind_resp>;
using enquire_link = basic_empty<command_id::enquire_link>;
using enquire_link_resp = basic_empty<command_id::enquire_link_resp>;
using generic_nack = basic_empty<command_id::generic_nack>;
using cancel_sm_resp = basic_empty<command_id::cancel_sm_resp>;
using replace_sm_resp = basic_empty<command_id::replace_sm_resp>;

// ---- message submission and delivery (4.4, 4.5, 4.6, 4.7) --------------------------------------

// submit_sm (4.4.1) and deliver_sm (4.6.1) share one body layout.
template <command_id Id>
struct basic_sm {
  static constexpr command_id id = Id;

  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;
  std::string validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string short_message;  // raw octets, at most 254 (longer texts: message_payload TLV)
  tlv_list tlvs;

  bool operator==(const basic_sm&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = basic_sm;
    using enum command_status;
    return std::tuple{
        make("service_type", &s::service_type, cstring{6, esme_rinvsertyp}),
        make("source_addr_ton", &s::source_addr_ton, int1{}),
        make("source_addr_npi", &s::source_addr_npi, int1{}),
        make("source_addr", &s::source_addr, cstring{21, esme_rinvsrcadr}),
        make("dest_addr_ton", &s::dest_addr_ton, int1{}),
        make("dest_addr_npi", &s::dest_addr_npi, int1{}),
        make("destination_addr", &s::destination_addr, cstring{21, esme_rinvdstadr}),
        make("esm_class", &s::esm_class, int1{}),
        make("protocol_id", &s::protocol_id, int1{}),
        make("priority_flag", &s::priority_flag, int1{}),
        make("schedule_delivery_time", &s::schedule_delivery_time, time{esme_rinvsched}),
        make("validity_period", &s::validity_period, time{esme_rinvexpiry}),
        make("registered_delivery", &s::registered_delivery, int1{}),
        make("replace_if_present_flag", &s::replace_if_present_flag, int1{}),
        make("data_coding", &s::data_coding, int1{}),
        make("sm_default_msg_id", &s::sm_default_msg_id, int1{}),
        make("short_message", &s::short_message, field::short_message{}),
        make("tlvs", &s::tlvs, field::tlvs{}),
    };
  }
};

using submit_sm = basic_sm<command_id::submit_sm>;
using deliver_sm = basic_sm<command_id::deliver_sm>;

// submit_sm_resp (4.4.2), deliver_sm_resp (4.6.2: message_id unused, set to NULL).
template <command_id Id>
struct basic_message_id_resp {
  static constexpr command_id id = Id;

  std::string message_id;

  bool operator==(const basic_message_id_resp&) const = default;

  static constexpr auto fields() {
    using namespace field;
    return std::tuple{
        make("message_id", &basic_message_id_resp::message_id, cstring{65, command_status::esme_rinvmsgid}),
    };
  }
};

using submit_sm_resp = basic_message_id_resp<command_id::submit_sm_resp>;
using deliver_sm_resp = basic_message_id_resp<command_id::deliver_sm_resp>;

// submit_multi dest_address (4.5.1.1): dest_flag 1 = SME address (ton, npi, address),
// dest_flag 2 = distribution list name (in `address`; ton and npi are not on the wire).
inline constexpr std::uint8_t dest_flag_sme_address = 1;
inline constexpr std::uint8_t dest_flag_distribution_list = 2;

struct dest_address {
  std::uint8_t dest_flag = dest_flag_sme_address;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string address;  // destination_addr (flag 1) or dl_name (flag 2)

  bool operator==(const dest_address&) const = default;
};

// submit_multi (4.5.1).
struct submit_multi {
  static constexpr command_id id = command_id::submit_multi;

  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::vector<dest_address> dest_addresses;  // number_of_dests on the wire; at most 254
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;
  std::string validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string short_message;
  tlv_list tlvs;

  bool operator==(const submit_multi&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = submit_multi;
    using enum command_status;
    return std::tuple{
        make("service_type", &s::service_type, cstring{6, esme_rinvsertyp}),
        make("source_addr_ton", &s::source_addr_ton, int1{}),
        make("source_addr_npi", &s::source_addr_npi, int1{}),
        make("source_addr", &s::source_addr, cstring{21, esme_rinvsrcadr}),
        make("dest_addresses", &s::dest_addresses, field::dest_addresses{}),
        make("esm_class", &s::esm_class, int1{}),
        make("protocol_id", &s::protocol_id, int1{}),
        make("priority_flag", &s::priority_flag, int1{}),
        make("schedule_delivery_time", &s::schedule_delivery_time, time{esme_rinvsched}),
        make("validity_period", &s::validity_period, time{esme_rinvexpiry}),
        make("registered_delivery", &s::registered_delivery, int1{}),
        make("replace_if_present_flag", &s::replace_if_present_flag, int1{}),
        make("data_coding", &s::data_coding, int1{}),
        make("sm_default_msg_id", &s::sm_default_msg_id, int1{}),
        make("short_message", &s::short_message, field::short_message{}),
        make("tlvs", &s::tlvs, field::tlvs{}),
    };
  }
};

// submit_multi_resp unsuccess_sme (4.5.2.1).
struct unsuccess_sme {
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;
  command_status error_status_code = command_status::esme_rok;

  bool operator==(const unsuccess_sme&) const = default;
};

// submit_multi_resp (4.5.2).
struct submit_multi_resp {
  static constexpr command_id id = command_id::submit_multi_resp;

  std::string message_id;
  std::vector<unsuccess_sme> unsuccess_smes;  // no_unsuccess on the wire

  bool operator==(const submit_multi_resp&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = submit_multi_resp;
    return std::tuple{
        make("message_id", &s::message_id, cstring{65, command_status::esme_rinvmsgid}),
        make("unsuccess_smes", &s::unsuccess_smes, field::unsuccess_smes{}),
    };
  }
};

// data_sm (4.7.1): addresses up to 65 octets, payload in TLVs.
struct data_sm {
  static constexpr command_id id = command_id::data_sm;

  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t registered_delivery = 0;
  std::uint8_t data_coding = 0;
  tlv_list tlvs;

  bool operator==(const data_sm&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = data_sm;
    using enum command_status;
    return std::tuple{
        make("service_type", &s::service_type, cstring{6, esme_rinvsertyp}),
        make("source_addr_ton", &s::source_addr_ton, int1{}),
        make("source_addr_npi", &s::source_addr_npi, int1{}),
        make("source_addr", &s::source_addr, cstring{65, esme_rinvsrcadr}),
        make("dest_addr_ton", &s::dest_addr_ton, int1{}),
        make("dest_addr_npi", &s::dest_addr_npi, int1{}),
        make("destination_addr", &s::destination_addr, cstring{65, esme_rinvdstadr}),
        make("esm_class", &s::esm_class, int1{}),
        make("registered_delivery", &s::registered_delivery, int1{}),
        make("data_coding", &s::data_coding, int1{}),
        make("tlvs", &s::tlvs, field::tlvs{}),
    };
  }
};

// data_sm_resp (4.7.2).
struct data_sm_resp {
  static constexpr command_id id = command_id::data_sm_resp;

  std::string message_id;
  tlv_list tlvs;

  bool operator==(const data_sm_resp&) const = default;

  static constexpr auto fields() {
    using namespace field;
    return std::tuple{
        make("message_id", &data_sm_resp::message_id, cstring{65, command_status::esme_rinvmsgid}),
        make("tlvs", &data_sm_resp::tlvs, field::tlvs{}),
    };
  }
};

// ---- ancillary operations (4.8, 4.9, 4.10, 4.12) -----------------------------------------------

// query_sm (4.8.1).
struct query_sm {
  static constexpr command_id id = command_id::query_sm;

  std::string message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;

  bool operator==(const query_sm&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = query_sm;
    using enum command_status;
    return std::tuple{
        make("message_id", &s::message_id, cstring{65, esme_rinvmsgid}),
        make("source_addr_ton", &s::source_addr_ton, int1{}),
        make("source_addr_npi", &s::source_addr_npi, int1{}),
        make("source_addr", &s::source_addr, cstring{21, esme_rinvsrcadr}),
    };
  }
};

// query_sm_resp (4.8.2). message_state: see smpp::message_state.
struct query_sm_resp {
  static constexpr command_id id = command_id::query_sm_resp;

  std::string message_id;
  std::string final_date;
  std::uint8_t message_state = 0;
  std::uint8_t error_code = 0;

  bool operator==(const query_sm_resp&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = query_sm_resp;
    using enum command_status;
    return std::tuple{
        make("message_id", &s::message_id, cstring{65, esme_rinvmsgid}),
        make("final_date", &s::final_date, time{esme_rqueryfail}),
        make("message_state", &s::message_state, int1{}),
        make("error_code", &s::error_code, int1{}),
    };
  }
};

// cancel_sm (4.9.1).
struct cancel_sm {
  static constexpr command_id id = command_id::cancel_sm;

  std::string service_type;
  std::string message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;

  bool operator==(const cancel_sm&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = cancel_sm;
    using enum command_status;
    return std::tuple{
        make("service_type", &s::service_type, cstring{6, esme_rinvsertyp}),
        make("message_id", &s::message_id, cstring{65, esme_rinvmsgid}),
        make("source_addr_ton", &s::source_addr_ton, int1{}),
        make("source_addr_npi", &s::source_addr_npi, int1{}),
        make("source_addr", &s::source_addr, cstring{21, esme_rinvsrcadr}),
        make("dest_addr_ton", &s::dest_addr_ton, int1{}),
        make("dest_addr_npi", &s::dest_addr_npi, int1{}),
        make("destination_addr", &s::destination_addr, cstring{21, esme_rinvdstadr}),
    };
  }
};

// replace_sm (4.10.1).
struct replace_sm {
  static constexpr command_id id = command_id::replace_sm;

  std::string message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::string schedule_delivery_time;
  std::string validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string short_message;

  bool operator==(const replace_sm&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = replace_sm;
    using enum command_status;
    return std::tuple{
        make("message_id", &s::message_id, cstring{65, esme_rinvmsgid}),
        make("source_addr_ton", &s::source_addr_ton, int1{}),
        make("source_addr_npi", &s::source_addr_npi, int1{}),
        make("source_addr", &s::source_addr, cstring{21, esme_rinvsrcadr}),
        make("schedule_delivery_time", &s::schedule_delivery_time, time{esme_rinvsched}),
        make("validity_period", &s::validity_period, time{esme_rinvexpiry}),
        make("registered_delivery", &s::registered_delivery, int1{}),
        make("sm_default_msg_id", &s::sm_default_msg_id, int1{}),
        make("short_message", &s::short_message, field::short_message{}),
    };
  }
};

// alert_notification (4.12.1): no response PDU exists.
struct alert_notification {
  static constexpr command_id id = command_id::alert_notification;

  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t esme_addr_ton = 0;
  std::uint8_t esme_addr_npi = 0;
  std::string esme_addr;
  tlv_list tlvs;

  bool operator==(const alert_notification&) const = default;

  static constexpr auto fields() {
    using namespace field;
    using s = alert_notification;
    using enum command_status;
    return std::tuple{
        make("source_addr_ton", &s::source_addr_ton, int1{}),
        make("source_addr_npi", &s::source_addr_npi, int1{}),
        make("source_addr", &s::source_addr, cstring{65, esme_rinvsrcadr}),
        make("esme_addr_ton", &s::esme_addr_ton, int1{}),
        make("esme_addr_npi", &s::esme_addr_npi, int1{}),
        make("esme_addr", &s::esme_addr, cstring{65, esme_rinvdstadr}),
        make("tlvs", &s::tlvs, field::tlvs{}),
    };
  }
};

// ---- the sum type ---------------------------------------------------------------------------------

// Every SMPP 3.4 PDU body. The alternative's static `id` is its command_id.
using pdu = std::variant<generic_nack, bind_receiver, bind_receiver_resp, bind_transmitter,
                         bind_transmitter_resp, query_sm, query_sm_resp, submit_sm, submit_sm_resp,
                         deliver_sm, deliver_sm_resp, unbind, unbind_resp, replace_sm,
                         replace_sm_resp, cancel_sm, cancel_sm_resp, bind_transceiver,
                         bind_transceiver_resp, outbind, enquire_link, enquire_link_resp,
                         submit_multi, submit_multi_resp, alert_notification, data_sm, data_sm_resp>;

// The field table of a PDU type as a compile-time constant (what the codec and printer walk).
template <class Pdu>
inline constexpr auto fields_of = Pdu::fields();

// A whole PDU: header fields (command_length and command_id follow from the body) + body.
struct frame {
  command_status status = command_status::esme_rok;
  std::uint32_t sequence_number = 0;
  pdu body;

  bool operator==(const frame&) const = default;
};

// The command_id of the PDU held by `body`.
command_id id_of(const pdu& body) noexcept;

// True for the PDUs whose body carries optional parameters in SMPP 3.4.
template <class Pdu>
constexpr bool has_tlvs() {
  return requires(Pdu p) { p.tlvs; };
}

// The tlv_list of a PDU that has one, nullptr otherwise.
const tlv_list* tlvs_of(const pdu& body) noexcept;
tlv_list* tlvs_of(pdu& body) noexcept;

// The response PDU type for a request (submit_sm -> submit_sm_resp, ...). Requests without a
// response (outbind, alert_notification) and responses map to generic_nack.
pdu response_for(command_id request);

// The response to `request`: same sequence number, `status`, the response type with an empty
// body (fill in e.g. message_id afterwards). generic_nack for PDUs that have no response.
frame make_response(const frame& request, command_status status = command_status::esme_rok);

}  // namespace smpp
