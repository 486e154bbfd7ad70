#include "policy/redis_dump.hpp"

#include <array>
#include <bit>
#include <cstring>

namespace policy::detail {
namespace {

constexpr std::uint16_t dump_version = 9;
constexpr std::uint16_t dump_version_listpack = 10;  // Redis 7.0's RDB version
constexpr unsigned char type_hash = 4;
constexpr unsigned char type_hash_listpack = 16;
constexpr unsigned char type_list_quicklist2 = 18;

// Slice-by-8 tables: t[0] is the byte-wise table, t[k][b] the CRC of b followed by k zero bytes.
const std::array<std::array<std::uint64_t, 256>, 8>& crc64_tables() {
  static const auto tables = [] {
    std::array<std::array<std::uint64_t, 256>, 8> t{};
    constexpr std::uint64_t poly = 0x95ac9329ac4bc9b5ULL;  // 0xad93d23594c935a9, reflected
    for (std::uint64_t i = 0; i < 256; ++i) {
      std::uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
      t[0][i] = c;
    }
    for (std::size_t k = 1; k < 8; ++k) {
      for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    }
    return t;
  }();
  return tables;
}

void dump_len(std::string& out, std::size_t len) {
  if (len < 64) {
    out += static_cast<char>(len);
  } else if (len < 16384) {
    out += static_cast<char>(0x40 | (len >> 8));
    out += static_cast<char>(len & 0xff);
  } else {
    out += static_cast<char>(0x80);
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((len >> shift) & 0xff);
  }
}

void dump_string(std::string& out, std::string_view v) {
  dump_len(out, v.size());
  out.append(v);
}

// The bytes of an entry's back-length, which encodes the entry's size (encoding + data) 7 bits
// per byte, most significant first, every byte but the first with the high bit set. Redis'
// thresholds: 1 byte up to 127, then 2 below 16,383, 3 below 2,097,151, 4 below 268,435,455.
std::size_t backlen_size(std::size_t entry) {
  return entry <= 127 ? 1 : entry < 16383 ? 2 : entry < 2097151 ? 3 : entry < 268435455 ? 4 : 5;
}

void append_backlen(std::string& out, std::size_t entry) {
  const std::size_t n = backlen_size(entry);
  for (std::size_t k = n; k-- > 0;) {
    auto b = static_cast<unsigned char>((entry >> (7 * k)) & 0x7f);
    if (k + 1 != n) b |= 0x80;
    out += static_cast<char>(b);
  }
}

// A string Redis stores in a listpack as an integer: "0", or an optional '-' then a digit 1-9
// then digits, at most 20 characters, within int64 ("-0", "+1", "007", " 1" stay strings).
bool listpack_integer(std::string_view s, std::int64_t& value) {
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    value = 0;
    return true;
  }
  const bool negative = s[0] == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty() || digits[0] < '1' || digits[0] > '9') return false;
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  constexpr std::uint64_t max = INT64_MAX;
  if (negative) {
    if (v > max + 1) return false;
    value = v == max + 1 ? INT64_MIN : -static_cast<std::int64_t>(v);
  } else {
    if (v > max) return false;
    value = static_cast<std::int64_t>(v);
  }
  return true;
}

void append_le(std::string& out, std::uint64_t v, std::size_t bytes) {
  for (std::size_t k = 0; k < bytes; ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
}

// One entry as Redis' lpAppend writes it: the integer encodings 7-bit unsigned (0xxxxxxx),
// 13-bit (110xxxxx + 1 byte, two's complement), then 0xf1/0xf2/0xf3/0xf4 with 2/3/4/8 bytes
// little-endian; strings 10xxxxxx (< 64 bytes), 1110xxxx + 1 byte (< 4096), 0xf0 + 4 bytes LE.
void append_entry(std::string& out, std::string_view s) {
  const std::size_t start = out.size();
  std::int64_t v = 0;
  if (listpack_integer(s, v)) {
    const auto u = static_cast<std::uint64_t>(v);  // two's complement, truncated per width
    if (v >= 0 && v <= 127) {
      out += static_cast<char>(v);
    } else if (v >= -4096 && v <= 4095) {
      out += static_cast<char>(0xc0 | ((u >> 8) & 0x1f));
      out += static_cast<char>(u & 0xff);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out += static_cast<char>(0xf1);
      append_le(out, u, 2);
    } else if (v >= -8388608 && v <= 8388607) {
      out += static_cast<char>(0xf2);
      append_le(out, u, 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out += static_cast<char>(0xf3);
      append_le(out, u, 4);
    } else {
      out += static_cast<char>(0xf4);
      append_le(out, u, 8);
    }
  } else if (s.size() < 64) {
    out += static_cast<char>(0x80 | s.size());
    out.append(s);
  } else if (s.size() < 4096) {
    out += static_cast<char>(0xe0 | (s.size() >> 8));
    out += static_cast<char>(s.size() & 0xff);
    out.append(s);
  } else {
    out += static_cast<char>(0xf0);
    append_le(out, s.size(), 4);
    out.append(s);
  }
  append_backlen(out, out.size() - start);
}

std::uint64_t byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

std::uint64_t little_endian(std::string_view s, std::size_t at, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < bytes; ++k) v |= byte_at(s, at + k) << (8 * k);
  return v;
}

// An RDB length; `special` is set (and `len` is the encoding) for 11xxxxxx.
bool read_len(std::string_view& s, std::uint64_t& len, bool& special) {
  if (s.empty()) return false;
  const auto b = byte_at(s, 0);
  special = false;
  switch (b >> 6) {
    case 0:
      len = b & 0x3f;
      s.remove_prefix(1);
      return true;
    case 1:
      if (s.size() < 2) return false;
      len = (b & 0x3f) << 8 | byte_at(s, 1);
      s.remove_prefix(2);
      return true;
    case 2: {
      const std::size_t bytes = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
      if (bytes == 0 || s.size() < 1 + bytes) return false;
      len = 0;
      for (std::size_t k = 1; k <= bytes; ++k) len = len << 8 | byte_at(s, k);
      s.remove_prefix(1 + bytes);
      return true;
    }
    default:
      special = true;
      len = b & 0x3f;
      s.remove_prefix(1);
      return true;
  }
}

// LZF (as Redis compresses long strings): a literal run of ctrl + 1 bytes when ctrl < 32, else
// a copy of (ctrl >> 5) + 2 bytes (7: one more length byte follows) from
// ((ctrl & 31) << 8 | next byte) + 1 bytes back.
bool lzf_decompress(std::string_view in, std::size_t out_len, std::string& out) {
  out.clear();
  out.reserve(out_len);
  std::size_t i = 0;
  while (i < in.size()) {
    const std::size_t ctrl = byte_at(in, i++);
    if (ctrl < 32) {
      const std::size_t n = ctrl + 1;
      if (i + n > in.size() || out.size() + n > out_len) return false;
      out.append(in.substr(i, n));
      i += n;
      continue;
    }
    std::size_t len = ctrl >> 5;
    if (len == 7) {
      if (i >= in.size()) return false;
      len += byte_at(in, i++);
    }
    if (i >= in.size()) return false;
    const std::size_t back = ((ctrl & 0x1f) << 8 | byte_at(in, i++)) + 1;
    len += 2;
    if (back > out.size() || out.size() + len > out_len) return false;
    const std::size_t from = out.size() - back;
    for (std::size_t k = 0; k < len; ++k) out.push_back(out[from + k]);  // may overlap itself
  }
  return out.size() == out_len;
}

// An RDB string: raw or LZF-compressed (integer encodings are not used for a listpack blob).
bool read_string(std::string_view& s, std::string& out) {
  std::uint64_t len = 0;
  bool special = false;
  if (!read_len(s, len, special)) return false;
  if (!special) {
    if (s.size() < len) return false;
    out.assign(s.substr(0, len));
    s.remove_prefix(len);
    return true;
  }
  if (len != 3) return false;  // 3: LZF
  std::uint64_t compressed = 0, plain = 0;
  if (!read_len(s, compressed, special) || special || !read_len(s, plain, special) || special) return false;
  if (s.size() < compressed || plain > (std::uint64_t{1} << 30)) return false;
  if (!lzf_decompress(s.substr(0, compressed), plain, out)) return false;
  s.remove_prefix(compressed);
  return true;
}

// The string entries of a listpack: a 6-byte header (total bytes, entry count), entries of
// encoding + data + back-length, 0xff. false for an integer entry or anything malformed.
bool read_listpack(std::string_view lp, std::vector<std::pair<std::string, std::string>>& out) {
  if (lp.size() < 7 || little_endian(lp, 0, 4) != lp.size()) return false;
  std::size_t pos = 6;
  bool field = true;
  while (pos < lp.size() && byte_at(lp, pos) != 0xff) {
    const auto b = byte_at(lp, pos);
    std::size_t header = 0, len = 0;
    if ((b & 0xc0) == 0x80) {  // 10xxxxxx: up to 63 bytes
      header = 1;
      len = b & 0x3f;
    } else if ((b & 0xf0) == 0xe0) {  // 1110xxxx xxxxxxxx: up to 4095 bytes
      if (pos + 2 > lp.size()) return false;
      header = 2;
      len = (b & 0x0f) << 8 | byte_at(lp, pos + 1);
    } else if (b == 0xf0) {  // 11110000 + 4 bytes
      if (pos + 5 > lp.size()) return false;
      header = 5;
      len = little_endian(lp, pos + 1, 4);
    } else {
      return false;  // an integer entry: not a field or value the store writes
    }
    const std::size_t entry = header + len;
    const std::size_t back = backlen_size(entry);
    if (pos + entry + back > lp.size()) return false;
    const auto text = lp.substr(pos + header, len);
    if (field) {
      out.emplace_back(std::string(text), std::string());
    } else {
      out.back().second.assign(text);
    }
    field = !field;
    pos += entry + back;
  }
  return field && pos + 1 == lp.size();
}


}  // namespace

std::uint64_t crc64_jones(std::string_view s) {
  const auto& t = crc64_tables();
  std::uint64_t crc = 0;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    // One load per 8 bytes where the machine is little-endian (little_endian() assembles them
    // byte by byte: 4,000 of the 9,000 instructions of a message hash's payload went there).
    std::uint64_t word;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&word, s.data() + i, 8);
    } else {
      word = little_endian(s, i, 8);
    }
    crc ^= word;
    crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^ t[4][(crc >> 24) & 0xff] ^
          t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
  }
  for (; i < s.size(); ++i) crc = t[0][(crc ^ byte_at(s, i)) & 0xff] ^ (crc >> 8);
  return crc;
}

std::string dump_hash(std::span<const field_value> fields) {
  std::string out;
  std::size_t size = 16;
  for (const auto& [f, v] : fields) size += f.size() + v.size() + 10;
  out.reserve(size);
  out += static_cast<char>(type_hash);
  dump_len(out, fields.size());
  for (const auto& [f, v] : fields) {
    dump_string(out, f);
    dump_string(out, v);
  }
  out += static_cast<char>(dump_version & 0xff);
  out += static_cast<char>(dump_version >> 8);
  const std::uint64_t crc = crc64_jones(out);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((crc >> (8 * i)) & 0xff);
  return out;
}

std::string listpack_hash(std::span<const field_value> fields) {
  constexpr std::size_t max_bytes = std::size_t{1} << 30;  // Redis' own limit for one listpack
  if (fields.size() >= 65535 / 2) return {};
  std::size_t size = 7;
  for (const auto& [f, v] : fields) size += f.size() + v.size() + 20;
  if (size >= max_bytes) return {};
  std::string out;
  out.reserve(size);
  out.append(6, '\0');  // header, set below
  for (const auto& [f, v] : fields) {
    append_entry(out, f);
    append_entry(out, v);
  }
  out += static_cast<char>(0xff);
  for (std::size_t k = 0; k < 4; ++k) out[k] = static_cast<char>((out.size() >> (8 * k)) & 0xff);
  const std::size_t count = 2 * fields.size();
  out[4] = static_cast<char>(count & 0xff);
  out[5] = static_cast<char>(count >> 8);
  return out;
}

std::string dump_hash_listpack(std::span<const field_value> fields) {
  const std::string lp = listpack_hash(fields);
  if (lp.empty()) return {};
  std::string out;
  out.reserve(lp.size() + 16);
  out += static_cast<char>(type_hash_listpack);
  dump_string(out, lp);
  out += static_cast<char>(dump_version_listpack & 0xff);
  out += static_cast<char>(dump_version_listpack >> 8);
  const std::uint64_t crc = crc64_jones(out);
  append_le(out, crc, 8);
  return out;
}

bool read_dump_listpack(std::string_view payload, std::string& listpack) {
  listpack.clear();
  if (payload.size() < 1 + 2 + 8) return false;
  const std::size_t body = payload.size() - 8;
  if (crc64_jones(payload.substr(0, body)) != little_endian(payload, body, 8)) return false;
  std::string_view s = payload.substr(0, body - 2);
  const auto type = byte_at(s, 0);
  s.remove_prefix(1);
  if (type == type_list_quicklist2) {
    std::uint64_t nodes = 0, container = 0;
    bool special = false;
    if (!read_len(s, nodes, special) || special || nodes != 1) return false;
    if (!read_len(s, container, special) || special || container != 2) return false;  // 2: packed
  } else if (type != type_hash_listpack) {
    return false;
  }
  return read_string(s, listpack) && s.empty();
}

bool read_hash_dump(std::string_view payload, std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  if (payload.size() < 1 + 2 + 8) return false;
  const std::size_t body = payload.size() - 8;
  if (crc64_jones(payload.substr(0, body)) != little_endian(payload, body, 8)) return false;
  std::string_view s = payload.substr(0, body - 2);  // without the format version
  if (byte_at(s, 0) != type_hash_listpack) return false;
  s.remove_prefix(1);
  std::string listpack;
  if (!read_string(s, listpack) || !s.empty()) return false;
  return read_listpack(listpack, out);
}

}  // namespace policy::detail
