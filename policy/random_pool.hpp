#pragma once

#include <cstddef>

namespace policy {

// Fills out[0..n) with cryptographically secure random bytes. They are drawn from OpenSSL's DRBG
// a few KiB at a time per thread (one RAND_bytes call per message id or per sealing nonce cost
// 2-7 µs: its locks), and the bytes handed out are wiped from the pool. Throws
// std::runtime_error when OpenSSL cannot give random bytes. n must not exceed 256.
void random_bytes(unsigned char* out, std::size_t n);

}  // namespace policy
