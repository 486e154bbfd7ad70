#pragma once

// IA5 (ITU-T T.50 international reference version, i.e. US-ASCII; SMPP data_coding 1).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smpp {

struct ia5_encode_result {
  std::vector<std::uint8_t> bytes;
  // Set on failure: byte offset of the first byte above 0x7F (then `bytes` is empty).
  std::optional<std::size_t> bad_offset;
};

bool fits_ia5(std::string_view utf8_text) noexcept;
ia5_encode_result utf8_to_ia5(std::string_view utf8_text);
// Never fails: a byte above 0x7F (not IA5) becomes U+FFFD.
std::string ia5_to_utf8(std::span<const std::uint8_t> bytes);

}  // namespace smpp
