#include "smpp/ucs2.hpp"

namespace smpp {
namespace utf8 {

std::optional<char32_t> detail::next_multibyte(std::string_view text, std::size_t& pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(pos);
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    len = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    ++pos;  // stray continuation byte or 0xF8..0xFF
    return std::nullopt;
  }
  std::size_t i = 1;
  for (; i < len; ++i) {
    if (pos + i >= text.size() || (byte(pos + i) & 0xC0) != 0x80) {
      pos += i;  // resynchronise on the byte that broke the sequence
      return std::nullopt;
    }
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  pos += len;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  return cp;
}

void append(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    cp = replacement_char;
  }
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::optional<std::size_t> find_invalid(std::string_view text) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    if (!next(text, pos)) {
      return start;
    }
  }
  return std::nullopt;
}

std::optional<std::u32string> to_code_points(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto cp = next(text, pos);
    if (!cp) {
      return std::nullopt;
    }
    out.push_back(*cp);
  }
  return out;
}

std::u32string to_code_points_lenient(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    out.push_back(next(text, pos).value_or(replacement_char));
  }
  return out;
}

std::string from_code_points(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) {
    append(out, cp);
  }
  return out;
}

}  // namespace utf8

std::optional<std::size_t> utf16_length(std::string_view utf8_text) noexcept {
  std::size_t units = 0;
  std::size_t pos = 0;
  while (pos < utf8_text.size()) {
    auto cp = utf8::next(utf8_text, pos);
    if (!cp) {
      return std::nullopt;
    }
    units += utf16_units(*cp);
  }
  return units;
}

void append_utf16be(std::vector<std::uint8_t>& out, char32_t cp) {
  const auto put = [&](std::uint32_t unit) {
    out.push_back(static_cast<std::uint8_t>(unit >> 8));
    out.push_back(static_cast<std::uint8_t>(unit & 0xFF));
  };
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    cp = replacement_char;
  }
  if (cp < 0x10000) {
    put(cp);
  } else {
    const std::uint32_t v = cp - 0x10000;
    put(0xD800 | (v >> 10));
    put(0xDC00 | (v & 0x3FF));
  }
}

utf16_encode_result utf8_to_utf16be(std::string_view utf8_text) {
  utf16_encode_result result;
  result.bytes.reserve(utf8_text.size() * 2);
  std::size_t pos = 0;
  while (pos < utf8_text.size()) {
    const std::size_t start = pos;
    auto cp = utf8::next(utf8_text, pos);
    if (!cp) {
      result.bytes.clear();
      result.bad_offset = start;
      return result;
    }
    append_utf16be(result.bytes, *cp);
  }
  return result;
}

std::u32string utf16be_to_code_points(std::span<const std::uint8_t> bytes) {
  std::u32string out;
  out.reserve(bytes.size() / 2 + 1);
  const std::size_t units = bytes.size() / 2;
  const auto unit = [&](std::size_t i) -> char32_t {
    return static_cast<char32_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  };
  for (std::size_t i = 0; i < units; ++i) {
    const char32_t u = unit(i);
    if (i == 0 && u == 0xFEFF) {
      continue;  // byte-order mark
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 < units) {
        const char32_t low = unit(i + 1);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          out.push_back(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
          ++i;
          continue;
        }
      }
      out.push_back(replacement_char);
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      out.push_back(replacement_char);
    } else {
      out.push_back(u);
    }
  }
  if (bytes.size() % 2 != 0) {
    out.push_back(replacement_char);
  }
  return out;
}

std::string utf16be_to_utf8(std::span<const std::uint8_t> bytes) {
  return utf8::from_code_points(utf16be_to_code_points(bytes));
}

}  // namespace smpp
