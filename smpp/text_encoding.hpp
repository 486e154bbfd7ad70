#pragma once

// Text <-> SMPP short_message bytes: choice of encoding, encode and decode per data_coding,
// and the error codes of the whole text layer (encodings, segmentation, UDH, reassembly,
// delivery receipts).
//
// All functions are pure: no I/O, no clock, no logging, no exceptions for bad input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace smpp {

enum class text_errc {
  invalid_utf8 = 1,         // outbound text is not valid UTF-8
  not_representable,        // a character is outside the requested encoding
  message_too_long,         // more parts than the carrier's maximum (HTTP 422 message_too_long)
  malformed_udh,            // UDHL or an information element overruns the user data
  unsupported_data_coding,  // inbound data_coding we cannot turn into text
  invalid_part,             // reassembly: total 0, seq 0 or seq above total, empty key
  not_a_receipt,            // neither a receipt text nor receipt TLVs
};

const std::error_category& text_category() noexcept;
std::error_code make_error_code(text_errc e) noexcept;

}  // namespace smpp

template <>
struct std::is_error_code_enum<smpp::text_errc> : std::true_type {};

namespace smpp {

// SMPP 3.4 section 5.2.19 data_coding values used here.
namespace data_coding_value {
inline constexpr std::uint8_t smsc_default = 0x00;  // SMSC default alphabet
inline constexpr std::uint8_t ia5 = 0x01;
inline constexpr std::uint8_t octet_unspecified = 0x02;
inline constexpr std::uint8_t latin1 = 0x03;
inline constexpr std::uint8_t binary = 0x04;
inline constexpr std::uint8_t ucs2 = 0x08;
}  // namespace data_coding_value

// The alphabet a message is sent in. `gsm7` is the GSM 03.38 alphabet on the air
// interface (160 septets per SMS); how its bytes look on the SMPP link depends on
// the carrier's `default_alphabet` (below).
enum class text_encoding : std::uint8_t { gsm7, ucs2, latin1, ia5 };

// "gsm7", "ucs2", "latin1", "ia5" (the names of the HTTP API's `encoding` field).
std::string_view to_string(text_encoding e) noexcept;

// Per carrier: what data_coding 0 (SMSC default alphabet) means on this link.
enum class default_alphabet : std::uint8_t {
  gsm7_unpacked,  // GSM-7, one septet per octet (most SMSCs; the default)
  gsm7_packed,    // GSM-7, 8 septets in 7 octets
  latin1,         // ISO-8859-1 octets; the SMSC converts to GSM-7 on air
  ia5,            // ASCII octets; the SMSC converts to GSM-7 on air
};

struct text_options {
  default_alphabet data_coding_0 = default_alphabet::gsm7_unpacked;
};

// GSM-7 when every character is in the GSM-7 alphabet (and, when data_coding 0
// carries Latin-1 or ASCII on this link, also representable there); UCS-2 otherwise
// (also for invalid UTF-8, which encode_text then refuses).
text_encoding choose_encoding(std::string_view utf8_text, const text_options& options = {}) noexcept;

// data_coding sent for an encoding: gsm7 0, ucs2 8, latin1 3, ia5 1.
std::uint8_t data_coding_of(text_encoding e) noexcept;

struct encoded_text {
  std::error_code error;                  // invalid_utf8 or not_representable
  std::optional<std::size_t> bad_offset;  // UTF-8 byte offset of the offending character
  std::uint8_t data_coding = 0;
  std::vector<std::uint8_t> bytes;  // wire form for short_message / message_payload
  std::size_t units = 0;            // septets (gsm7), UTF-16 units (ucs2), octets (latin1, ia5)
};

// Encodes the whole text (no segmentation; see segmentation.hpp for that).
encoded_text encode_text(std::string_view utf8_text, text_encoding encoding,
                         const text_options& options = {});

// How the bytes of an inbound data_coding are to be read on this link.
enum class wire_alphabet : std::uint8_t {
  gsm7_unpacked,
  gsm7_packed,
  ia5,
  latin1,
  ucs2,
  binary,       // 8-bit data (data_coding 2, 4, 0xF4..0xF7, ...): shown as Latin-1
  unsupported,  // JIS, Cyrillic, Hebrew, KS C 5601, reserved values
};

// 0 per `options`; 1 IA5; 3 Latin-1; 8 UCS-2; 2/4 binary; GSM 03.38 coding groups
// 0x10..0x7F (general, auto-deletion; compressed ones unsupported), 0xC0..0xEF
// (message waiting) and 0xF0..0xFF
// (message class: bit 2 clear = GSM-7, set = 8-bit) by their alphabet bits. GSM-7
// from a coding group is read packed only when data_coding 0 is packed on the link.
wire_alphabet wire_alphabet_of(std::uint8_t data_coding, const text_options& options = {}) noexcept;

struct decoded_text {
  std::string text;      // UTF-8; bad input became U+FFFD, never an error
  std::error_code error;  // unsupported_data_coding (then `text` is an ASCII rendering)
  bool binary = false;   // the data_coding says 8-bit data, not text
};

// Inbound: short_message (after the UDH, if any) -> UTF-8. `fill_bits` are the
// bits to skip before the first septet for packed GSM-7 after a UDH
// (gsm7::fill_bits_after_udh(udh octets)).
decoded_text decode_text(std::uint8_t data_coding, std::span<const std::uint8_t> bytes,
                         const text_options& options = {}, unsigned fill_bits = 0);

}  // namespace smpp
