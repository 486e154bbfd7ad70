#include "gateway/api_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <string>

namespace gateway {

namespace {

// OpenSSL 3's SHA256() fetches the algorithm by name on every call (about two thirds of its cost
// for a short input); the digest is fetched once and each thread reuses one context.
struct digest_context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  digest_context() = default;
  digest_context(const digest_context&) = delete;
  digest_context& operator=(const digest_context&) = delete;
  ~digest_context() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

sha256_digest sha256(std::string_view data) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local digest_context context;
  sha256_digest digest{};
  unsigned int length = 0;
  if (md != nullptr && context.ctx != nullptr && EVP_DigestInit_ex2(context.ctx, md, nullptr) == 1 &&
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) == 1 &&
      EVP_DigestFinal_ex(context.ctx, digest.data(), &length) == 1 && length == digest.size()) {
    return digest;
  }
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
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
