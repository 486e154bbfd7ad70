#pragma once

// Unicode transforms used by the SMPP text layer: UTF-8 <-> code points and
// UTF-8 <-> UTF-16BE (what SMPP calls UCS-2, data_coding 8; surrogate pairs are
// kept, so emoji survive a round trip).
//
// Invalid input policy (the same everywhere in smpp/):
//  - Outbound text (from the HTTP API) must be valid UTF-8: the strict functions
//    report the byte offset of the first bad sequence and the caller refuses the
//    message. Overlong forms, surrogates encoded in UTF-8 and code points above
//    U+10FFFF are invalid.
//  - Inbound bytes (from a carrier) never fail: every bad sequence becomes one
//    U+FFFD REPLACEMENT CHARACTER (an unpaired surrogate, a truncated sequence,
//    an odd trailing byte of UTF-16), so a reply such as STOP is never lost.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smpp {

inline constexpr char32_t replacement_char = 0xFFFD;

namespace utf8 {

namespace detail {
std::optional<char32_t> next_multibyte(std::string_view text, std::size_t& pos) noexcept;
}  // namespace detail

// Decodes one code point at `pos` (< text.size()); advances `pos`. On invalid input
// returns std::nullopt and advances `pos` past the offending bytes (at least one).
// Inline so the ASCII case costs no call on the segmentation hot path.
inline std::optional<char32_t> next(std::string_view text, std::size_t& pos) noexcept {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  return detail::next_multibyte(text, pos);
}

// Appends the UTF-8 form of `cp` (a replacement char for invalid code points).
void append(std::string& out, char32_t cp);

// Byte offset of the first invalid sequence, or std::nullopt when `text` is valid.
std::optional<std::size_t> find_invalid(std::string_view text) noexcept;

// Strict: std::nullopt when `text` is not valid UTF-8.
std::optional<std::u32string> to_code_points(std::string_view text);

// Lenient: invalid sequences become U+FFFD.
std::u32string to_code_points_lenient(std::string_view text);

std::string from_code_points(std::u32string_view cps);

}  // namespace utf8

// Number of UTF-16 code units for a code point (2 for a surrogate pair).
constexpr std::size_t utf16_units(char32_t cp) noexcept { return cp >= 0x10000 ? 2 : 1; }

// UTF-16 code units of a valid UTF-8 text; std::nullopt when the text is not valid UTF-8.
std::optional<std::size_t> utf16_length(std::string_view utf8_text) noexcept;

// Appends the UTF-16BE bytes of `cp` (2 or 4 bytes).
void append_utf16be(std::vector<std::uint8_t>& out, char32_t cp);

struct utf16_encode_result {
  std::vector<std::uint8_t> bytes;      // UTF-16BE, no byte-order mark
  std::optional<std::size_t> bad_offset;  // set when the input is not valid UTF-8
};

// Strict UTF-8 -> UTF-16BE.
utf16_encode_result utf8_to_utf16be(std::string_view utf8_text);

// Lenient UTF-16BE -> UTF-8. A leading byte-order mark FEFF is dropped; unpaired
// surrogates and an odd trailing byte become U+FFFD.
std::string utf16be_to_utf8(std::span<const std::uint8_t> bytes);

// Lenient UTF-16BE -> code points (same rules as utf16be_to_utf8).
std::u32string utf16be_to_code_points(std::span<const std::uint8_t> bytes);

}  // namespace smpp
