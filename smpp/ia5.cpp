#include "smpp/ia5.hpp"

#include "smpp/ucs2.hpp"

namespace smpp {

bool fits_ia5(std::string_view utf8_text) noexcept {
  for (char c : utf8_text) {
    if (static_cast<std::uint8_t>(c) > 0x7F) {
      return false;
    }
  }
  return true;
}

ia5_encode_result utf8_to_ia5(std::string_view utf8_text) {
  ia5_encode_result result;
  result.bytes.reserve(utf8_text.size());
  for (std::size_t i = 0; i < utf8_text.size(); ++i) {
    const auto b = static_cast<std::uint8_t>(utf8_text[i]);
    if (b > 0x7F) {
      result.bytes.clear();
      result.bad_offset = i;
      return result;
    }
    result.bytes.push_back(b);
  }
  return result;
}

std::string ia5_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::uint8_t b : bytes) {
    if (b > 0x7F) {
      utf8::append(out, replacement_char);
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  return out;
}

}  // namespace smpp
