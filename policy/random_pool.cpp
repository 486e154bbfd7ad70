#include "policy/random_pool.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace policy {

void random_bytes(unsigned char* out, std::size_t n) {
  constexpr std::size_t pool_size = 4096;
  if (n > 256) throw std::invalid_argument("random_bytes: at most 256 bytes at a time");
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

}  // namespace policy
