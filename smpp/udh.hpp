#pragma once

// User Data Header (3GPP TS 23.040 9.2.3.24): UDHL octet, then information elements
// (IEI, length, data). We read and write the concatenation IEs; other IEs (ports,
// national language shift, ...) are skipped and their count reported.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

namespace smpp {

inline constexpr std::uint8_t iei_concat_8bit = 0x00;   // ref(1) total(1) seq(1)
inline constexpr std::uint8_t iei_concat_16bit = 0x08;  // ref(2, big-endian) total(1) seq(1)

// esm_class bit 6 (0x40): the short_message starts with a UDH.
inline constexpr std::uint8_t udhi_esm_class_bit = 0x40;

struct concat_info {
  std::uint16_t reference = 0;
  std::uint8_t total = 0;
  std::uint8_t seq = 0;  // 1-based
  bool reference_16bit = false;

  bool operator==(const concat_info&) const = default;
};

struct udh_info {
  std::size_t length = 0;  // UDHL + 1: the payload starts at this offset
  std::optional<concat_info> concat;  // the first concatenation IE, if any
  std::size_t other_elements = 0;     // IEs we skipped

  bool operator==(const udh_info&) const = default;
};

struct udh_parse_result {
  std::error_code error;  // text_errc::malformed_udh
  udh_info udh;
};

// Parses the UDH at the start of `user_data` (the short_message of a PDU whose
// esm_class has the UDHI bit). Malformed: empty input, UDHL past the end, an IE
// running past the UDH, or a concatenation IE whose length is not 3 (8-bit) / 4
// (16-bit). Values of the concatenation IE are not judged here (seq 0, seq > total):
// the reassembler refuses those parts.
udh_parse_result parse_udh(std::span<const std::uint8_t> user_data);

// Size of a UDH holding only a concatenation IE: 6 (05 00 03 ...) or 7 (06 08 04 ...).
constexpr std::size_t concat_udh_size(bool reference_16bit) noexcept { return reference_16bit ? 7 : 6; }

// Appends `05 00 03 ref total seq` or `06 08 04 refhi reflo total seq`. The 8-bit
// form uses the low byte of `reference`.
void append_concat_udh(std::vector<std::uint8_t>& out, const concat_info& info);

}  // namespace smpp
