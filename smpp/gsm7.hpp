#pragma once

// GSM 03.38 (3GPP TS 23.038) 7-bit default alphabet and its extension table.
//
// Septets are kept "unpacked" (one septet per byte, values 0..127) as the working
// form; pack()/unpack() convert to and from the packed air form (8 septets in 7
// octets, least significant bit first). Characters of the extension table
// (form feed ^ { } \ [ ~ ] | and the euro sign) are written as ESC (0x1B)
// followed by a second septet, so they count as 2 septets.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smpp {

namespace gsm7 {

inline constexpr std::uint8_t escape = 0x1B;

namespace detail {
// U+0000..U+00FF -> septet, 0x80 | septet for the extension table, 0xFF for none.
extern const std::array<std::uint8_t, 256> latin_to_septet;
unsigned septet_cost_above_latin1(char32_t cp) noexcept;
}  // namespace detail

// Septets needed for `cp`: 1 (default table), 2 (extension table), 0 (not representable).
inline unsigned septet_cost(char32_t cp) noexcept {
  if (cp < 0x100) {
    const std::uint8_t code = detail::latin_to_septet[cp];
    return code == 0xFF ? 0U : ((code & 0x80) != 0 ? 2U : 1U);
  }
  return detail::septet_cost_above_latin1(cp);
}

namespace detail {
bool append_septets_above_latin1(std::vector<std::uint8_t>& septets, char32_t cp);
}  // namespace detail

// Appends the septets of `cp`; false (and nothing appended) when not representable.
inline bool append_septets(std::vector<std::uint8_t>& septets, char32_t cp) {
  if (cp >= 0x100) {
    return detail::append_septets_above_latin1(septets, cp);
  }
  const std::uint8_t code = detail::latin_to_septet[cp];
  if (code == 0xFF) {
    return false;
  }
  if ((code & 0x80) != 0) {
    septets.push_back(escape);
  }
  septets.push_back(code & 0x7F);
  return true;
}

// The character of a default-table septet (only the low 7 bits are used).
// 0x1B alone (an escape with nothing after it) maps to U+00A0 as in Unicode's GSM0338.TXT.
char32_t default_char(std::uint8_t septet) noexcept;

// The character of ESC + `septet`, or std::nullopt when the extension table has none.
std::optional<char32_t> extension_char(std::uint8_t septet) noexcept;

// Septets -> UTF-8. ESC followed by a septet without an extension character
// yields the default-table character of that septet (TS 23.038 6.2.1.1);
// a trailing lone ESC is dropped.
std::string septets_to_utf8(std::span<const std::uint8_t> septets);
std::u32string septets_to_code_points(std::span<const std::uint8_t> septets);

struct septets_result {
  std::vector<std::uint8_t> septets;
  // Set on failure: byte offset in the UTF-8 input of the first character that is
  // not valid UTF-8 or not in the GSM-7 alphabet (then `septets` is empty).
  std::optional<std::size_t> bad_offset;
};

// UTF-8 -> unpacked septets.
septets_result utf8_to_septets(std::string_view utf8_text);

// Fill bits needed so that septets after a UDH of `udh_octets` octets (UDHL
// included) start on a septet boundary: (7 - (8 * octets) % 7) % 7.
constexpr unsigned fill_bits_after_udh(std::size_t udh_octets) noexcept {
  return static_cast<unsigned>((7 - (udh_octets * 8) % 7) % 7);
}

// Packs septets LSB-first; `fill_bits` zero bits (0..6) come first, as after a UDH
// in a packed user data. Appends ceil((fill_bits + 7 n) / 8) octets to `out`.
void pack_append(std::span<const std::uint8_t> septets, unsigned fill_bits,
                 std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> pack(std::span<const std::uint8_t> septets, unsigned fill_bits = 0);

// Octets that pack() produces for `septet_count` septets after `fill_bits` fill bits.
constexpr std::size_t packed_size(std::size_t septet_count, unsigned fill_bits = 0) noexcept {
  return (fill_bits + 7 * septet_count + 7) / 8;
}

// Unpacks septets after `fill_bits` leading fill bits. With `septet_count` the
// result has exactly that many (or fewer if the input is short). Without it the
// count is derived from the length; when the spare bits at the end form a whole
// septet of value 0 (7 septets in 7 octets), that phantom '@' is dropped, and a
// CR used as padding in that position (TS 23.038 6.1.2.3.1) is dropped too.
std::vector<std::uint8_t> unpack(std::span<const std::uint8_t> packed, unsigned fill_bits = 0,
                                 std::optional<std::size_t> septet_count = std::nullopt);

}  // namespace gsm7

// True when the UTF-8 text is valid and every character is in the GSM-7 alphabet
// (default or extension table).
bool fits_gsm7(std::string_view utf8_text) noexcept;

// GSM-7 septets the text needs (escapes count 2); std::nullopt when it does not fit.
std::optional<std::size_t> gsm7_septet_count(std::string_view utf8_text) noexcept;

}  // namespace smpp
