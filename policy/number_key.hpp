#pragma once

// Numbers at rest (design.md 5.5, issue 7): a phone number is stored only as
//  - its key: hex HMAC-SHA256(k_mac, E.164), the same on every instance sharing the secret, used
//    in every store key and table row;
//  - sealed: base64url(nonce(12) | AES-256-GCM(k_enc, E.164) | tag(16)), so that exports can
//    recover it. A dump of Redis or of the SQLite file shows no number in clear.
// k_mac and k_enc are derived from one secret (the secrets file) by HMAC-SHA256 with distinct
// labels, so rotating the file rotates both.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace policy {

class number_secrets;

struct number_secrets_load_result {
  std::shared_ptr<const number_secrets> secrets;
  std::string warning;  // set when the file was generated (development only)
  std::string error;    // set when secrets is empty: why (file unreadable, too short, ...)
};

class number_secrets {
 public:
  // The secret must hold at least 32 bytes (the file holds 64 hex characters when generated);
  // nullptr otherwise.
  static std::shared_ptr<const number_secrets> from_secret(std::string_view secret);

  // Reads the secret file (surrounding whitespace ignored). When it does not exist and
  // `generate_if_missing` is true (development), creates it with 32 random bytes as hex and mode
  // 0600 and returns a warning to log: numbers keyed with a lost secret cannot be found again.
  static number_secrets_load_result load(const std::filesystem::path& file, bool generate_if_missing);

  // 64 lowercase hex characters.
  std::string key(std::string_view e164) const;
  // Random nonce: sealing twice gives different strings; both open to the same number.
  std::string seal(std::string_view e164) const;
  // seal() before base64url: nonce | ciphertext | tag as bytes (empty on failure).
  std::string seal_bytes(std::string_view e164) const;
  // nullopt when the input was not sealed with this secret or was altered.
  std::optional<std::string> open(std::string_view sealed) const;
  // open() of seal_bytes()' output.
  std::optional<std::string> open_bytes(std::string_view raw) const;

 private:
  number_secrets() = default;
  unsigned char mac_key_[32] = {};
  unsigned char enc_key_[32] = {};
  // Identifies this secret in the per-thread OpenSSL contexts of number_key.cpp (set up once per
  // thread and secret instead of once per number: the one-shot calls cost about 10 µs each).
  std::uint64_t generation_ = 0;
};

// Constant-time comparison (CRYPTO_memcmp); different lengths compare unequal (the length is
// not secret).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace policy
