#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "smpp/error.hpp"

namespace smpp {

// SMPP 3.4 section 5.3: optional parameters (TLVs). Every TLV, known or not, is kept as its raw
// tag + value in wire order, so a PDU re-encodes byte-exact; typed access decodes on demand.
struct tlv {
  std::uint16_t tag = 0;
  std::string value;  // raw value octets (a C-octet string keeps its NUL here)

  bool operator==(const tlv&) const = default;
};

enum class tlv_type : std::uint8_t {
  int1,     // 1-octet unsigned integer
  int2,     // 2-octet unsigned integer, big-endian
  int4,     // 4-octet unsigned integer, big-endian
  cstring,  // C-octet string: NUL-terminated, length includes the NUL
  octets,   // octet string, length within [min_length, max_length]
};

// One row of the table of standard SMPP 3.4 TLVs (section 5.3.2).
struct tlv_info {
  std::uint16_t tag;
  std::string_view name;
  tlv_type type;
  std::uint16_t min_length;  // value length bounds the decoder enforces
  std::uint16_t max_length;
};

// Every standard SMPP 3.4 TLV, ordered by tag.
std::span<const tlv_info> known_tlvs() noexcept;
// nullptr for a tag SMPP 3.4 does not define (vendor TLVs 0x1400-0x3FFF, SMPP 5.0 tags, ...).
const tlv_info* find_tlv_info(std::uint16_t tag) noexcept;

// Checks a known TLV's value against its type (an unknown TLV is always valid):
// tlv_bad_length (ESME_RINVPARLEN) or tlv_bad_value (ESME_RINVOPTPARAMVAL); recoverable.
decode_error validate(const tlv& t) noexcept;

// network_error_code (0x0423): network type (1 = ANSI-136, 2 = IS-95, 3 = GSM, ...) + error code.
struct network_error_code_value {
  std::uint8_t network_type = 0;
  std::uint16_t error_code = 0;

  bool operator==(const network_error_code_value&) const = default;
};

// Wire kinds for typed keys.
struct cstring_value {};  // value type std::string, the NUL is added/stripped
struct octets_value {};   // value type std::string, raw octets

namespace detail {
template <class Wire>
struct tlv_value_of {
  using type = Wire;  // std::uint8_t, std::uint16_t, std::uint32_t, network_error_code_value
};
template <>
struct tlv_value_of<cstring_value> {
  using type = std::string;
};
template <>
struct tlv_value_of<octets_value> {
  using type = std::string;
};
}  // namespace detail

// A typed TLV key: `frame.tlvs.get(smpp::tag::sar_msg_ref_num)` -> std::optional<std::uint16_t>.
template <class Wire>
struct tlv_key {
  using value_type = typename detail::tlv_value_of<Wire>::type;
  std::uint16_t value;
};

namespace tag {
// clang-format off
inline constexpr tlv_key<std::uint8_t>  dest_addr_subunit{0x0005};
inline constexpr tlv_key<std::uint8_t>  dest_network_type{0x0006};
inline constexpr tlv_key<std::uint8_t>  dest_bearer_type{0x0007};
inline constexpr tlv_key<std::uint16_t> dest_telematics_id{0x0008};
inline constexpr tlv_key<std::uint8_t>  source_addr_subunit{0x000D};
inline constexpr tlv_key<std::uint8_t>  source_network_type{0x000E};
inline constexpr tlv_key<std::uint8_t>  source_bearer_type{0x000F};
inline constexpr tlv_key<std::uint16_t> source_telematics_id{0x0010};
inline constexpr tlv_key<std::uint32_t> qos_time_to_live{0x0017};
inline constexpr tlv_key<std::uint8_t>  payload_type{0x0019};
inline constexpr tlv_key<cstring_value> additional_status_info_text{0x001D};
inline constexpr tlv_key<cstring_value> receipted_message_id{0x001E};
inline constexpr tlv_key<std::uint8_t>  ms_msg_wait_facilities{0x0030};
inline constexpr tlv_key<std::uint8_t>  privacy_indicator{0x0201};
inline constexpr tlv_key<octets_value>  source_subaddress{0x0202};
inline constexpr tlv_key<octets_value>  dest_subaddress{0x0203};
inline constexpr tlv_key<std::uint16_t> user_message_reference{0x0204};
inline constexpr tlv_key<std::uint8_t>  user_response_code{0x0205};
inline constexpr tlv_key<std::uint16_t> source_port{0x020A};
inline constexpr tlv_key<std::uint16_t> destination_port{0x020B};
inline constexpr tlv_key<std::uint16_t> sar_msg_ref_num{0x020C};
inline constexpr tlv_key<std::uint8_t>  language_indicator{0x020D};
inline constexpr tlv_key<std::uint8_t>  sar_total_segments{0x020E};
inline constexpr tlv_key<std::uint8_t>  sar_segment_seqnum{0x020F};
inline constexpr tlv_key<std::uint8_t>  sc_interface_version{0x0210};
inline constexpr tlv_key<std::uint8_t>  callback_num_pres_ind{0x0302};
inline constexpr tlv_key<octets_value>  callback_num_atag{0x0303};
inline constexpr tlv_key<std::uint8_t>  number_of_messages{0x0304};
inline constexpr tlv_key<octets_value>  callback_num{0x0381};
inline constexpr tlv_key<std::uint8_t>  dpf_result{0x0420};
inline constexpr tlv_key<std::uint8_t>  set_dpf{0x0421};
inline constexpr tlv_key<std::uint8_t>  ms_availability_status{0x0422};
inline constexpr tlv_key<network_error_code_value> network_error_code{0x0423};
inline constexpr tlv_key<octets_value>  message_payload{0x0424};
inline constexpr tlv_key<std::uint8_t>  delivery_failure_reason{0x0425};
inline constexpr tlv_key<std::uint8_t>  more_messages_to_send{0x0426};
inline constexpr tlv_key<std::uint8_t>  message_state{0x0427};
inline constexpr tlv_key<std::uint8_t>  ussd_service_op{0x0501};
inline constexpr tlv_key<std::uint8_t>  display_time{0x1201};
inline constexpr tlv_key<std::uint16_t> sms_signal{0x1203};
inline constexpr tlv_key<std::uint8_t>  ms_validity{0x1204};
inline constexpr tlv_key<octets_value>  alert_on_message_delivery{0x130C};  // length 0: a flag
inline constexpr tlv_key<std::uint8_t>  its_reply_type{0x1380};
inline constexpr tlv_key<octets_value>  its_session_info{0x1383};
// clang-format on
}  // namespace tag

// message_state values (section 5.2.28), used by query_sm_resp and the message_state TLV.
enum class message_state : std::uint8_t {
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
};

namespace detail {
std::optional<std::uint32_t> read_tlv_uint(const std::string& value, std::size_t width) noexcept;
std::string write_tlv_uint(std::uint32_t v, std::size_t width);
}  // namespace detail

// The optional part of a PDU body, in wire order. Duplicates are legal (callback_num may repeat).
struct tlv_list {
  std::vector<tlv> items;

  bool operator==(const tlv_list&) const = default;

  bool empty() const noexcept { return items.empty(); }
  std::size_t size() const noexcept { return items.size(); }

  // First TLV with this tag, nullptr when absent.
  const tlv* find(std::uint16_t tag) const noexcept {
    for (const auto& t : items) {
      if (t.tag == tag) return &t;
    }
    return nullptr;
  }
  bool contains(std::uint16_t tag) const noexcept { return find(tag) != nullptr; }
  template <class Wire>
  bool contains(tlv_key<Wire> key) const noexcept {
    return contains(key.value);
  }

  // Typed read of the first TLV with the key's tag; std::nullopt when absent or when its length
  // does not fit the type (the decoder already rejected such PDUs).
  template <class Wire>
  std::optional<typename tlv_key<Wire>::value_type> get(tlv_key<Wire> key) const {
    const tlv* t = find(key.value);
    if (t == nullptr) return std::nullopt;
    if constexpr (std::is_same_v<Wire, cstring_value>) {
      if (t->value.empty() || t->value.back() != '\0') return std::nullopt;
      return t->value.substr(0, t->value.find('\0'));
    } else if constexpr (std::is_same_v<Wire, octets_value>) {
      return t->value;
    } else if constexpr (std::is_same_v<Wire, network_error_code_value>) {
      if (t->value.size() != 3) return std::nullopt;
      const auto* p = reinterpret_cast<const unsigned char*>(t->value.data());
      return network_error_code_value{p[0], static_cast<std::uint16_t>((p[1] << 8) | p[2])};
    } else {
      auto v = detail::read_tlv_uint(t->value, sizeof(Wire));
      if (!v) return std::nullopt;
      return static_cast<Wire>(*v);
    }
  }

  // Replaces the value of the first TLV with this tag, or appends one.
  template <class Wire>
  void set(tlv_key<Wire> key, const typename tlv_key<Wire>::value_type& v) {
    std::string raw;
    if constexpr (std::is_same_v<Wire, cstring_value>) {
      raw.reserve(v.size() + 1);
      raw.append(v);
      raw.push_back('\0');
    } else if constexpr (std::is_same_v<Wire, octets_value>) {
      raw = v;
    } else if constexpr (std::is_same_v<Wire, network_error_code_value>) {
      raw.push_back(static_cast<char>(v.network_type));
      raw.push_back(static_cast<char>(v.error_code >> 8));
      raw.push_back(static_cast<char>(v.error_code & 0xFF));
    } else {
      raw = detail::write_tlv_uint(v, sizeof(Wire));
    }
    set_raw(key.value, std::move(raw));
  }

  void set_raw(std::uint16_t tag, std::string value) {
    for (auto& t : items) {
      if (t.tag == tag) {
        t.value = std::move(value);
        return;
      }
    }
    items.push_back(tlv{tag, std::move(value)});
  }

  // Removes every TLV with this tag; returns how many.
  std::size_t erase(std::uint16_t tag) noexcept;
};

}  // namespace smpp
