#pragma once

#include <cstdint>
#include <string_view>

namespace smpp {

// SMPP 3.4 section 5.1.2.1. A response id is the request id with bit 31 set.
enum class command_id : std::uint32_t {
  generic_nack = 0x80000000,
  bind_receiver = 0x00000001,
  bind_receiver_resp = 0x80000001,
  bind_transmitter = 0x00000002,
  bind_transmitter_resp = 0x80000002,
  query_sm = 0x00000003,
  query_sm_resp = 0x80000003,
  submit_sm = 0x00000004,
  submit_sm_resp = 0x80000004,
  deliver_sm = 0x00000005,
  deliver_sm_resp = 0x80000005,
  unbind = 0x00000006,
  unbind_resp = 0x80000006,
  replace_sm = 0x00000007,
  replace_sm_resp = 0x80000007,
  cancel_sm = 0x00000008,
  cancel_sm_resp = 0x80000008,
  bind_transceiver = 0x00000009,
  bind_transceiver_resp = 0x80000009,
  outbind = 0x0000000B,
  enquire_link = 0x00000015,
  enquire_link_resp = 0x80000015,
  submit_multi = 0x00000021,
  submit_multi_resp = 0x80000021,
  alert_notification = 0x00000102,
  data_sm = 0x00000103,
  data_sm_resp = 0x80000103,
};

inline constexpr std::uint32_t response_bit = 0x80000000U;

constexpr bool is_response(command_id id) noexcept {
  return (static_cast<std::uint32_t>(id) & response_bit) != 0;
}

// The name used in logs and by smpp-decode; "unknown" for ids outside SMPP 3.4.
std::string_view to_string(command_id id) noexcept;

// True when `raw` is a command id defined by SMPP 3.4.
bool is_known_command_id(std::uint32_t raw) noexcept;

}  // namespace smpp
