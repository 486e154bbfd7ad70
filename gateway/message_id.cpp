#include "gateway/message_id.hpp"

#include <array>
#include <string_view>

#include "policy/random_pool.hpp"

namespace gateway {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string new_message_id(std::int64_t now_ms) {
  std::array<unsigned char, 16> bytes{};
  const auto t = static_cast<std::uint64_t>(now_ms);
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * (5 - i)));
  policy::random_bytes(bytes.data() + 6, 10);
  // 128 bits -> 26 base32 digits (the first digit carries the top 3 bits).
  std::string out = "msg_";
  out.resize(4 + 26);
  // 26 digits x 5 bits = 130 bits: the 128 bits preceded by two zero bits.
  auto bit = [&](int i) {  // bit i of the 130-bit number, 0 = most significant
    const int b = i - 2;
    if (b < 0) return 0;
    return (bytes[static_cast<std::size_t>(b / 8)] >> (7 - b % 8)) & 1;
  };
  for (int d = 0; d < 26; ++d) {
    int v = 0;
    for (int k = 0; k < 5; ++k) v = (v << 1) | bit(d * 5 + k);
    out[4 + static_cast<std::size_t>(d)] = alphabet[static_cast<std::size_t>(v)];
  }
  return out;
}

bool looks_like_message_id(std::string_view id) {
  if (id.size() != 30 || id.substr(0, 4) != "msg_") return false;
  for (char c : id.substr(4)) {
    if (alphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace gateway
