#include "smpp/gsm7.hpp"

#include <array>

#include "smpp/ucs2.hpp"

namespace smpp::gsm7 {
namespace {

// TS 23.038 6.2.1: default alphabet, indexed by septet.
constexpr std::array<char32_t, 128> default_table = {
    U'@',    U'\u00A3', U'$',    U'\u00A5', U'\u00E8', U'\u00E9', U'\u00F9', U'\u00EC',
    U'\u00F2', U'\u00C7', U'\n',   U'\u00D8', U'\u00F8', U'\r',   U'\u00C5', U'\u00E5',
    U'\u0394', U'_',    U'\u03A6', U'\u0393', U'\u039B', U'\u03A9', U'\u03A0', U'\u03A8',
    U'\u03A3', U'\u0398', U'\u039E', U'\u00A0', U'\u00C6', U'\u00E6', U'\u00DF', U'\u00C9',
    U' ',    U'!',    U'"',    U'#',    U'\u00A4', U'%',    U'&',    U'\'',
    U'(',    U')',    U'*',    U'+',    U',',    U'-',    U'.',    U'/',
    U'0',    U'1',    U'2',    U'3',    U'4',    U'5',    U'6',    U'7',
    U'8',    U'9',    U':',    U';',    U'<',    U'=',    U'>',    U'?',
    U'\u00A1', U'A',    U'B',    U'C',    U'D',    U'E',    U'F',    U'G',
    U'H',    U'I',    U'J',    U'K',    U'L',    U'M',    U'N',    U'O',
    U'P',    U'Q',    U'R',    U'S',    U'T',    U'U',    U'V',    U'W',
    U'X',    U'Y',    U'Z',    U'\u00C4', U'\u00D6', U'\u00D1', U'\u00DC', U'\u00A7',
    U'\u00BF', U'a',    U'b',    U'c',    U'd',    U'e',    U'f',    U'g',
    U'h',    U'i',    U'j',    U'k',    U'l',    U'm',    U'n',    U'o',
    U'p',    U'q',    U'r',    U's',    U't',    U'u',    U'v',    U'w',
    U'x',    U'y',    U'z',    U'\u00E4', U'\u00F6', U'\u00F1', U'\u00FC', U'\u00E0',
};

struct extension_entry {
  std::uint8_t septet;
  char32_t cp;
};

// TS 23.038 6.2.1.1: extension table (after ESC 0x1B).
constexpr std::array<extension_entry, 10> extension_table = {{
    {0x0A, U'\f'},
    {0x14, U'^'},
    {0x28, U'{'},
    {0x29, U'}'},
    {0x2F, U'\\'},
    {0x3C, U'['},
    {0x3D, U'~'},
    {0x3E, U']'},
    {0x40, U'|'},
    {0x65, U'\u20AC'},
}};

// Reverse lookup for U+0000..U+00FF: bit 7 set = extension septet, 0xFF = none.
constexpr std::array<std::uint8_t, 256> make_latin_to_septet() {
  std::array<std::uint8_t, 256> code{};
  code.fill(0xFF);
  for (std::size_t i = 0; i < default_table.size(); ++i) {
    // 0x1B is the escape, never produced for U+00A0.
    if (i != escape && default_table[i] < 0x100) {
      code[default_table[i]] = static_cast<std::uint8_t>(i);
    }
  }
  for (const auto& e : extension_table) {
    if (e.cp < 0x100) {
      code[e.cp] = static_cast<std::uint8_t>(0x80 | e.septet);
    }
  }
  return code;
}

}  // namespace

constinit const std::array<std::uint8_t, 256> detail::latin_to_septet = make_latin_to_septet();

namespace {

// Default-table septet or extension (0x80 | septet) code; 0xFF when none.
std::uint8_t lookup(char32_t cp) noexcept {
  if (cp < 0x100) {
    return detail::latin_to_septet[cp];
  }
  switch (cp) {
    case U'\u0394': return 0x10;
    case U'\u03A6': return 0x12;
    case U'\u0393': return 0x13;
    case U'\u039B': return 0x14;
    case U'\u03A9': return 0x15;
    case U'\u03A0': return 0x16;
    case U'\u03A8': return 0x17;
    case U'\u03A3': return 0x18;
    case U'\u0398': return 0x19;
    case U'\u039E': return 0x1A;
    case U'\u20AC': return 0x80 | 0x65;
    default: return 0xFF;
  }
}

}  // namespace

unsigned detail::septet_cost_above_latin1(char32_t cp) noexcept {
  const std::uint8_t code = lookup(cp);
  if (code == 0xFF) {
    return 0;
  }
  return (code & 0x80) != 0 ? 2 : 1;
}

bool detail::append_septets_above_latin1(std::vector<std::uint8_t>& septets, char32_t cp) {
  const std::uint8_t code = lookup(cp);
  if (code == 0xFF) {
    return false;
  }
  if ((code & 0x80) != 0) {
    septets.push_back(escape);
  }
  septets.push_back(code & 0x7F);
  return true;
}

char32_t default_char(std::uint8_t septet) noexcept { return default_table[septet & 0x7F]; }

std::optional<char32_t> extension_char(std::uint8_t septet) noexcept {
  for (const auto& e : extension_table) {
    if (e.septet == (septet & 0x7F)) {
      return e.cp;
    }
  }
  return std::nullopt;
}

std::u32string septets_to_code_points(std::span<const std::uint8_t> septets) {
  std::u32string out;
  out.reserve(septets.size());
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const std::uint8_t s = septets[i] & 0x7F;
    if (s != escape) {
      out.push_back(default_table[s]);
      continue;
    }
    if (i + 1 == septets.size()) {
      break;  // trailing lone escape
    }
    const std::uint8_t next = septets[++i] & 0x7F;
    out.push_back(extension_char(next).value_or(default_table[next]));
  }
  return out;
}

std::string septets_to_utf8(std::span<const std::uint8_t> septets) {
  return utf8::from_code_points(septets_to_code_points(septets));
}

septets_result utf8_to_septets(std::string_view utf8_text) {
  septets_result result;
  result.septets.reserve(utf8_text.size());
  std::size_t pos = 0;
  while (pos < utf8_text.size()) {
    const std::size_t start = pos;
    auto cp = utf8::next(utf8_text, pos);
    if (!cp || !append_septets(result.septets, *cp)) {
      result.septets.clear();
      result.bad_offset = start;
      return result;
    }
  }
  return result;
}

void pack_append(std::span<const std::uint8_t> septets, unsigned fill_bits,
                 std::vector<std::uint8_t>& out) {
  const std::size_t base = out.size();
  out.resize(base + packed_size(septets.size(), fill_bits), 0);
  std::size_t bit = fill_bits;
  for (std::uint8_t s : septets) {
    const unsigned v = s & 0x7F;
    const std::size_t byte = base + bit / 8;
    const unsigned shift = bit % 8;
    out[byte] = static_cast<std::uint8_t>(out[byte] | (v << shift));
    if (shift > 1) {  // the septet spills into the next octet
      out[byte + 1] = static_cast<std::uint8_t>(out[byte + 1] | (v >> (8 - shift)));
    }
    bit += 7;
  }
}

std::vector<std::uint8_t> pack(std::span<const std::uint8_t> septets, unsigned fill_bits) {
  std::vector<std::uint8_t> out;
  pack_append(septets, fill_bits, out);
  return out;
}

std::vector<std::uint8_t> unpack(std::span<const std::uint8_t> packed, unsigned fill_bits,
                                 std::optional<std::size_t> septet_count) {
  const std::size_t total_bits = packed.size() * 8;
  if (total_bits <= fill_bits) {
    return {};
  }
  std::size_t count = (total_bits - fill_bits) / 7;
  const bool derived = !septet_count.has_value();
  if (septet_count && *septet_count < count) {
    count = *septet_count;
  }
  std::vector<std::uint8_t> out;
  out.reserve(count);
  std::size_t bit = fill_bits;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t byte = bit / 8;
    const unsigned shift = bit % 8;
    unsigned v = packed[byte] >> shift;
    if (shift > 1) {
      v |= static_cast<unsigned>(packed[byte + 1]) << (8 - shift);
    }
    out.push_back(static_cast<std::uint8_t>(v & 0x7F));
    bit += 7;
  }
  // When the last septet sits entirely in the spare bits of the final octet, it is padding:
  // zero bits (a phantom '@') or a CR written on purpose by the sender.
  if (derived && !out.empty() && packed_size(count - 1, fill_bits) == packed.size() &&
      (out.back() == 0 || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

}  // namespace smpp::gsm7

namespace smpp {

bool fits_gsm7(std::string_view utf8_text) noexcept { return gsm7_septet_count(utf8_text).has_value(); }

std::optional<std::size_t> gsm7_septet_count(std::string_view utf8_text) noexcept {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < utf8_text.size()) {
    auto cp = utf8::next(utf8_text, pos);
    if (!cp) {
      return std::nullopt;
    }
    const unsigned cost = gsm7::septet_cost(*cp);
    if (cost == 0) {
      return std::nullopt;
    }
    count += cost;
  }
  return count;
}

}  // namespace smpp
