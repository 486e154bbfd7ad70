// SHA256_Init/Update/Final are deprecated in OpenSSL 3 but kept for sha256() below. Must come
// before every OpenSSL header.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "gateway/api_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <string>

namespace gateway {

// The low-level SHA-256 on a stack context: no provider dispatch (OpenSSL 3's SHA256() fetches
// the algorithm by name on every call; a pre-fetched EVP_MD with a per-thread EVP_MD_CTX still
// cost about 900 instructions more per digest than this). SHA256_Final() cleanses the context.
sha256_digest sha256(std::string_view data) {
  sha256_digest digest{};
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, data.data(), data.size());
  SHA256_Final(digest.data(), &context);
  return digest;
}

bool api_key::may_send_from(std::string_view sender) const {
  return std::find(senders.begin(), senders.end(), sender) != senders.end();
}

const api_key* api_key_table::authenticate(std::string_view header) const {
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size()) return nullptr;
  // The scheme is case-insensitive (RFC 7235); the key is not.
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char s = scheme[i];
    if (s >= 'A' && s <= 'Z') s = static_cast<char>(s - 'A' + 'a');
    if (c != s) return nullptr;
  }
  std::string_view presented = header.substr(scheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  if (presented.empty()) return nullptr;

  const sha256_digest digest = sha256(presented);
  const api_key* found = nullptr;
  for (const auto& key : keys_) {
    if (CRYPTO_memcmp(digest.data(), key.key_hash.data(), digest.size()) == 0) found = &key;
  }
  return found;
}

}  // namespace gateway
