#include "smpp/latin1.hpp"

#include "smpp/ucs2.hpp"

namespace smpp {

bool fits_latin1(std::string_view utf8_text) noexcept {
  std::size_t pos = 0;
  while (pos < utf8_text.size()) {
    auto cp = utf8::next(utf8_text, pos);
    if (!cp || *cp > 0xFF) {
      return false;
    }
  }
  return true;
}

latin1_encode_result utf8_to_latin1(std::string_view utf8_text) {
  latin1_encode_result result;
  result.bytes.reserve(utf8_text.size());
  std::size_t pos = 0;
  while (pos < utf8_text.size()) {
    const std::size_t start = pos;
    auto cp = utf8::next(utf8_text, pos);
    if (!cp || *cp > 0xFF) {
      result.bytes.clear();
      result.bad_offset = start;
      return result;
    }
    result.bytes.push_back(static_cast<std::uint8_t>(*cp));
  }
  return result;
}

std::string latin1_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (std::uint8_t b : bytes) {
    utf8::append(out, b);
  }
  return out;
}

}  // namespace smpp
