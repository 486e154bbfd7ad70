#include "policy/redis_suppression_layout.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace policy::redis_detail {

namespace {

constexpr std::array<std::string_view, 4> common_sources = {"keyword", "api", "cli", "import"};

}  // namespace

std::optional<sup_location> locate(std::string_view nk) {
  if (nk.size() != bucket_hex + 2 * suffix_bytes) return std::nullopt;
  sup_location loc;
  loc.bucket_tail.resize(bucket_hex);  // written in place: no push_back per character
  for (std::size_t i = 0; i < bucket_hex; ++i) {
    if (hex_value(nk[i]) < 0) return std::nullopt;
    loc.bucket_tail[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(nk[i])));
  }
  loc.suffix.resize(suffix_bytes);
  for (std::size_t i = bucket_hex, o = 0; i < nk.size(); i += 2, ++o) {
    int hi = hex_value(nk[i]), lo = hex_value(nk[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    loc.suffix[o] = static_cast<char>(hi * 16 + lo);
  }
  return loc;
}

std::string pack_e164(std::string_view e164) {
  bool digits = e164.size() >= 2 && e164.size() <= 16 && e164[0] == '+';
  for (std::size_t i = 1; digits && i < e164.size(); ++i) digits = e164[i] >= '0' && e164[i] <= '9';
  if (!digits) {
    std::string raw(1, '\xfe');  // appended: concatenation trips GCC 12's -Wrestrict at -O3
    raw += e164;
    return raw;
  }
  std::string out;
  for (std::size_t i = 1; i < e164.size(); i += 2) {
    int hi = e164[i] - '0';
    int lo = i + 1 < e164.size() ? e164[i + 1] - '0' : 15;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string unpack_e164(std::string_view p) {
  if (p.empty()) return {};
  if (static_cast<unsigned char>(p[0]) == 0xfe) return std::string(p.substr(1));
  std::string out = "+";
  for (unsigned char c : p) {
    for (int nib : {c >> 4, c & 15}) {
      if (nib > 9) return out;
      out += static_cast<char>('0' + nib);
    }
  }
  return out;
}

std::string pack_sup_value(std::string_view reason_s, std::string_view source, std::int64_t at_ms,
                           std::string_view sealed_bytes) {
  std::string v;
  v.reserve(at_bytes + 2 + reason_s.size() + source.size() + sealed_bytes.size());
  auto at = static_cast<std::uint64_t>(std::max<std::int64_t>(0, at_ms));
  for (int i = static_cast<int>(at_bytes) - 1; i >= 0; --i) v += static_cast<char>((at >> (8 * i)) & 0xff);
  auto common = std::find(common_sources.begin(), common_sources.end(), source);
  if (common != common_sources.end()) {
    v += static_cast<char>(0x80 + (common - common_sources.begin()));
  } else {
    source = source.substr(0, 127);  // longer sources are cut (documented)
    v += static_cast<char>(source.size());
    v.append(source);
  }
  reason_s = reason_s.substr(0, 255);
  v += static_cast<char>(reason_s.size());
  v.append(reason_s);
  v.append(sealed_bytes);
  return v;
}

sup_value unpack_sup_value(std::string_view v) {
  sup_value out;
  if (v.size() < at_bytes + 2) return out;
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < at_bytes; ++i) at = (at << 8) | static_cast<unsigned char>(v[i]);
  out.at_ms = static_cast<std::int64_t>(at);
  std::size_t pos = at_bytes;
  unsigned char src = static_cast<unsigned char>(v[pos++]);
  if (src >= 0x80) {
    if (src - 0x80u < common_sources.size()) out.source = common_sources[src - 0x80];
  } else {
    out.source = std::string(v.substr(pos, src));
    pos += src;
  }
  if (pos >= v.size()) return out;
  std::size_t rlen = static_cast<unsigned char>(v[pos++]);
  out.reason = std::string(v.substr(pos, rlen));
  pos = std::min(v.size(), pos + rlen);
  out.sealed_bytes = std::string(v.substr(pos));
  return out;
}

}  // namespace policy::redis_detail
