#pragma once

// ISO-8859-1 (SMPP data_coding 3). Every byte is the code point of the same value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smpp {

struct latin1_encode_result {
  std::vector<std::uint8_t> bytes;
  // Set on failure: byte offset of the first character that is not valid UTF-8 or
  // above U+00FF (then `bytes` is empty).
  std::optional<std::size_t> bad_offset;
};

bool fits_latin1(std::string_view utf8_text) noexcept;
latin1_encode_result utf8_to_latin1(std::string_view utf8_text);
// Never fails: every byte is a character.
std::string latin1_to_utf8(std::span<const std::uint8_t> bytes);

}  // namespace smpp
