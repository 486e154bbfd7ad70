#include "gateway/message_id.hpp"

#include <array>
#include <string_view>

#include "policy/random_pool.hpp"

namespace gateway {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string message_id_from_bytes(const std::array<unsigned char, 16>& bytes) {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  for (std::size_t i = 0; i < 8; ++i) hi = (hi << 8) | bytes[i];
  for (std::size_t i = 8; i < 16; ++i) lo = (lo << 8) | bytes[i];
  // 128 bits -> 26 base32 digits (the first digit carries the top 3 bits): 26 digits x 5 bits =
  // 130 bits, the 128 bits preceded by two zero bits. Digit d is bits 125 - 5d .. 129 - 5d.
  std::string out = "msg_";
  out.resize(4 + 26);
  for (int d = 0; d < 26; ++d) {
    const int shift = 125 - 5 * d;
    std::uint64_t v = 0;
    if (shift >= 64) v = hi >> (shift - 64);
    else if (shift == 0) v = lo;
    else v = (lo >> shift) | (hi << (64 - shift));
    out[4 + static_cast<std::size_t>(d)] = alphabet[static_cast<std::size_t>(v & 31)];
  }
  return out;
}

std::string new_message_id(std::int64_t now_ms) {
  std::array<unsigned char, 16> bytes{};
  const auto t = static_cast<std::uint64_t>(now_ms);
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * (5 - i)));
  policy::random_bytes(bytes.data() + 6, 10);
  return message_id_from_bytes(bytes);
}

bool looks_like_message_id(std::string_view id) {
  if (id.size() != 30 || id.substr(0, 4) != "msg_") return false;
  for (char c : id.substr(4)) {
    if (alphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace gateway
