#include "gateway/message_id.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace gateway {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Random bytes drawn from OpenSSL a few KiB at a time per thread: one RAND_bytes call per id
// cost 4-7 µs (docs/performance.md, "Where the time goes").
void random_bytes(unsigned char* out, std::size_t n) {
  constexpr std::size_t pool_size = 4096;
  thread_local std::array<unsigned char, pool_size> pool{};
  thread_local std::size_t used = pool_size;
  if (pool_size - used < n) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool_size)) != 1) throw std::runtime_error("RAND_bytes failed");
    used = 0;
  }
  std::memcpy(out, pool.data() + used, n);
  OPENSSL_cleanse(pool.data() + used, n);
  used += n;
}

}  // namespace

std::string new_message_id(std::int64_t now_ms) {
  std::array<unsigned char, 16> bytes{};
  const auto t = static_cast<std::uint64_t>(now_ms);
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(t >> (8 * (5 - i)));
  random_bytes(bytes.data() + 6, 10);
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
