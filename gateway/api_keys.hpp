#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gateway {

using sha256_digest = std::array<std::uint8_t, 32>;

sha256_digest sha256(std::string_view data);

// One API key as configured: only the SHA-256 of the secret is kept in memory.
struct api_key {
  std::string name;
  sha256_digest key_hash{};
  std::vector<std::string> senders;  // exact sender ids this key may send from

  bool may_send_from(std::string_view sender) const;
};

// Finds the key presented in an "Authorization: Bearer <key>" header. The presented key is
// hashed and compared with every configured hash in constant time (CRYPTO_memcmp), and the loop
// never stops early, so timing tells nothing about which key or how much of it matched.
class api_key_table {
 public:
  explicit api_key_table(std::vector<api_key> keys) : keys_(std::move(keys)) {}

  // The key, or nullptr for a missing, malformed or unknown credential.
  const api_key* authenticate(std::string_view authorization_header) const;

  const std::vector<api_key>& keys() const { return keys_; }

 private:
  std::vector<api_key> keys_;
};

}  // namespace gateway
