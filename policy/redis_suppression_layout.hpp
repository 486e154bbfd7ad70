#pragma once

// Where the Redis store keeps a number's suppressions and how it packs them (docs/stores.md,
// "Suppressions"). A number key (64 hex digits of its HMAC) lives in bucket "P sup:<first 4 hex
// digits>" under the field "<the other 30 bytes, binary>[<sender id bytes>]"; the value is packed:
//   at_ms (6 bytes, big-endian) | source (1 byte: 0x80 + code of a common source, or the length
//   of the literal that follows) | reason length (1 byte) | reason | sealed E.164 (binary, rest).
// The E.164 is sealed as packed digits (two per byte, 0xF pad) to keep the value short.
// Pure functions, no I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace policy::redis_detail {

constexpr std::size_t bucket_hex = 4;
constexpr std::size_t suffix_bytes = 30;
constexpr std::size_t at_bytes = 6;

// The value of each character as a hex digit (either case), -1 for any other character.
inline constexpr std::array<signed char, 256> hex_values = [] {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = 0; c < 10; ++c) t[static_cast<std::size_t>('0' + c)] = static_cast<signed char>(c);
  for (int c = 0; c < 6; ++c) {
    t[static_cast<std::size_t>('a' + c)] = static_cast<signed char>(10 + c);
    t[static_cast<std::size_t>('A' + c)] = static_cast<signed char>(10 + c);
  }
  return t;
}();

inline int hex_value(char c) { return hex_values[static_cast<unsigned char>(c)]; }

// Where a number's suppressions live.
struct sup_location {
  std::string bucket_tail;  // 4 lowercase hex digits
  std::string suffix;       // 30 bytes
};

// nullopt when the key is not 64 hex digits.
std::optional<sup_location> locate(std::string_view nk);

// "+<1..15 digits>" -> digits two per byte (0xF pads an odd count); anything else -> 0xFE + bytes.
std::string pack_e164(std::string_view e164);
std::string unpack_e164(std::string_view p);

std::string pack_sup_value(std::string_view reason_s, std::string_view source, std::int64_t at_ms,
                           std::string_view sealed_bytes);

struct sup_value {
  std::string reason, source, sealed_bytes;
  std::int64_t at_ms = 0;
};

sup_value unpack_sup_value(std::string_view v);

}  // namespace policy::redis_detail
