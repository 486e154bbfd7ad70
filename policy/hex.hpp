#pragma once
// Lowercase hexadecimal of bytes (number keys, event ids, signatures).

#include <string>
#include <string_view>

namespace policy {

inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[b >> 4];
    out[2 * i + 1] = digits[b & 15];
  }
  return out;
}

inline std::string to_hex(const unsigned char* p, std::size_t n) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(p), n));
}

}  // namespace policy
