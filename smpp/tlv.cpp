#include "smpp/tlv.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace smpp {
namespace {

// SMPP 3.4 section 5.3.2. Where SMPP 5.0 widened a parameter (ms_validity, alert_on_message_delivery)
// the bounds accept both so 5.0-speaking SMSCs are not rejected.
constexpr std::array tlv_table = {
    // clang-format off
    tlv_info{0x0005, "dest_addr_subunit", tlv_type::int1, 1, 1},
    tlv_info{0x0006, "dest_network_type", tlv_type::int1, 1, 1},
    tlv_info{0x0007, "dest_bearer_type", tlv_type::int1, 1, 1},
    tlv_info{0x0008, "dest_telematics_id", tlv_type::int2, 2, 2},
    tlv_info{0x000D, "source_addr_subunit", tlv_type::int1, 1, 1},
    tlv_info{0x000E, "source_network_type", tlv_type::int1, 1, 1},
    tlv_info{0x000F, "source_bearer_type", tlv_type::int1, 1, 1},
    tlv_info{0x0010, "source_telematics_id", tlv_type::int2, 2, 2},
    tlv_info{0x0017, "qos_time_to_live", tlv_type::int4, 4, 4},
    tlv_info{0x0019, "payload_type", tlv_type::int1, 1, 1},
    tlv_info{0x001D, "additional_status_info_text", tlv_type::cstring, 1, 256},
    tlv_info{0x001E, "receipted_message_id", tlv_type::cstring, 1, 65},
    tlv_info{0x0030, "ms_msg_wait_facilities", tlv_type::int1, 1, 1},
    tlv_info{0x0201, "privacy_indicator", tlv_type::int1, 1, 1},
    tlv_info{0x0202, "source_subaddress", tlv_type::octets, 2, 23},
    tlv_info{0x0203, "dest_subaddress", tlv_type::octets, 2, 23},
    tlv_info{0x0204, "user_message_reference", tlv_type::int2, 2, 2},
    tlv_info{0x0205, "user_response_code", tlv_type::int1, 1, 1},
    tlv_info{0x020A, "source_port", tlv_type::int2, 2, 2},
    tlv_info{0x020B, "destination_port", tlv_type::int2, 2, 2},
    tlv_info{0x020C, "sar_msg_ref_num", tlv_type::int2, 2, 2},
    tlv_info{0x020D, "language_indicator", tlv_type::int1, 1, 1},
    tlv_info{0x020E, "sar_total_segments", tlv_type::int1, 1, 1},
    tlv_info{0x020F, "sar_segment_seqnum", tlv_type::int1, 1, 1},
    tlv_info{0x0210, "sc_interface_version", tlv_type::int1, 1, 1},
    tlv_info{0x0302, "callback_num_pres_ind", tlv_type::int1, 1, 1},
    tlv_info{0x0303, "callback_num_atag", tlv_type::octets, 0, 65},
    tlv_info{0x0304, "number_of_messages", tlv_type::int1, 1, 1},
    tlv_info{0x0381, "callback_num", tlv_type::octets, 4, 19},
    tlv_info{0x0420, "dpf_result", tlv_type::int1, 1, 1},
    tlv_info{0x0421, "set_dpf", tlv_type::int1, 1, 1},
    tlv_info{0x0422, "ms_availability_status", tlv_type::int1, 1, 1},
    tlv_info{0x0423, "network_error_code", tlv_type::octets, 3, 3},
    tlv_info{0x0424, "message_payload", tlv_type::octets, 0, 0xFFFF},
    tlv_info{0x0425, "delivery_failure_reason", tlv_type::int1, 1, 1},
    tlv_info{0x0426, "more_messages_to_send", tlv_type::int1, 1, 1},
    tlv_info{0x0427, "message_state", tlv_type::int1, 1, 1},
    tlv_info{0x0501, "ussd_service_op", tlv_type::int1, 1, 1},
    tlv_info{0x1201, "display_time", tlv_type::int1, 1, 1},
    tlv_info{0x1203, "sms_signal", tlv_type::int2, 2, 2},
    tlv_info{0x1204, "ms_validity", tlv_type::octets, 1, 4},
    tlv_info{0x130C, "alert_on_message_delivery", tlv_type::octets, 0, 1},
    tlv_info{0x1380, "its_reply_type", tlv_type::int1, 1, 1},
    tlv_info{0x1383, "its_session_info", tlv_type::octets, 2, 2},
    // clang-format on
};

static_assert(std::is_sorted(tlv_table.begin(), tlv_table.end(),
                             [](const tlv_info& a, const tlv_info& b) { return a.tag < b.tag; }));

}  // namespace

std::span<const tlv_info> known_tlvs() noexcept { return tlv_table; }

const tlv_info* find_tlv_info(std::uint16_t tag) noexcept {
  const auto* it = std::lower_bound(tlv_table.begin(), tlv_table.end(), tag,
                                    [](const tlv_info& info, std::uint16_t t) { return info.tag < t; });
  if (it == tlv_table.end() || it->tag != tag) return nullptr;
  return &*it;
}

decode_error validate(const tlv& t) noexcept {
  const tlv_info* info = find_tlv_info(t.tag);
  if (info == nullptr) return {};
  const std::size_t n = t.value.size();
  if (n < info->min_length || n > info->max_length) {
    return {errc::tlv_bad_length, info->name, command_status::esme_rinvparlen, false};
  }
  if (info->type == tlv_type::cstring) {
    // The NUL must be the last octet and the only one.
    const void* nul = std::memchr(t.value.data(), '\0', n);
    if (nul != t.value.data() + n - 1) {
      return {errc::tlv_bad_value, info->name, command_status::esme_rinvoptparamval, false};
    }
  }
  return {};
}

namespace detail {

std::optional<std::uint32_t> read_tlv_uint(const std::string& value, std::size_t width) noexcept {
  if (value.size() != width) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : value) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

std::string write_tlv_uint(std::uint32_t v, std::size_t width) {
  std::string out(width, '\0');
  for (std::size_t i = 0; i < width; ++i) {
    out[width - 1 - i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  return out;
}

}  // namespace detail

std::size_t tlv_list::erase(std::uint16_t tag) noexcept {
  return std::erase_if(items, [tag](const tlv& t) { return t.tag == tag; });
}

}  // namespace smpp
