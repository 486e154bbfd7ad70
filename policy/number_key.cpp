#include "policy/number_key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "common/bounded_file.hpp"
#include "policy/hex.hpp"
#include "policy/random_pool.hpp"

namespace policy {
namespace {

constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::string_view seal_aad = "smsgw-e164-v1";

void hmac_sha256(const void* key, std::size_t key_len, std::string_view data, unsigned char out[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key, static_cast<int>(key_len), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
}

std::atomic<std::uint64_t> next_generation{1};

// Per-thread OpenSSL state for one secret: HMAC-SHA256 with the key's inner and outer pads
// already absorbed (each number then costs two SHA-256 finals), and AES-256-GCM contexts with
// the key schedule expanded once (each number only sets its nonce). Rebuilt when the thread
// meets another secret (reload).
class thread_crypto {
 public:
  thread_crypto() = default;
  thread_crypto(const thread_crypto&) = delete;
  thread_crypto& operator=(const thread_crypto&) = delete;
  ~thread_crypto() { release(); }

  // nullptr when OpenSSL failed to set up (then callers fall back to the one-shot calls).
  thread_crypto* for_secret(std::uint64_t generation, const unsigned char mac_key[32],
                            const unsigned char enc_key[32]) {
    if (generation == generation_ && ready_) return this;
    release();
    generation_ = generation;
    ready_ = setup(mac_key, enc_key);
    return ready_ ? this : nullptr;
  }

  bool hmac(std::string_view data, unsigned char out[32]) {
    unsigned char inner[32];
    unsigned int len = 0;
    return EVP_MD_CTX_copy_ex(work_, inner_) == 1 &&
           EVP_DigestUpdate(work_, data.data(), data.size()) == 1 &&
           EVP_DigestFinal_ex(work_, inner, &len) == 1 && EVP_MD_CTX_copy_ex(work_, outer_) == 1 &&
           EVP_DigestUpdate(work_, inner, sizeof inner) == 1 && EVP_DigestFinal_ex(work_, out, &len) == 1;
  }

  EVP_CIPHER_CTX* encrypt() { return enc_; }
  EVP_CIPHER_CTX* decrypt() { return dec_; }

 private:
  bool setup(const unsigned char mac_key[32], const unsigned char enc_key[32]) {
    inner_ = EVP_MD_CTX_new();
    outer_ = EVP_MD_CTX_new();
    work_ = EVP_MD_CTX_new();
    enc_ = EVP_CIPHER_CTX_new();
    dec_ = EVP_CIPHER_CTX_new();
    if (!inner_ || !outer_ || !work_ || !enc_ || !dec_) return false;
    unsigned char ipad[64];
    unsigned char opad[64];
    for (std::size_t i = 0; i < 64; ++i) {
      const unsigned char k = i < 32 ? mac_key[i] : 0;
      ipad[i] = static_cast<unsigned char>(k ^ 0x36);
      opad[i] = static_cast<unsigned char>(k ^ 0x5c);
    }
    const bool ok = EVP_DigestInit_ex(inner_, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(inner_, ipad, sizeof ipad) == 1 &&
                    EVP_DigestInit_ex(outer_, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(outer_, opad, sizeof opad) == 1 &&
                    EVP_EncryptInit_ex(enc_, EVP_aes_256_gcm(), nullptr, enc_key, nullptr) == 1 &&
                    EVP_DecryptInit_ex(dec_, EVP_aes_256_gcm(), nullptr, enc_key, nullptr) == 1;
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    return ok;
  }

  void release() {
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
    EVP_MD_CTX_free(work_);
    EVP_CIPHER_CTX_free(enc_);
    EVP_CIPHER_CTX_free(dec_);
    inner_ = outer_ = work_ = nullptr;
    enc_ = dec_ = nullptr;
    ready_ = false;
  }

  std::uint64_t generation_ = 0;
  bool ready_ = false;
  EVP_MD_CTX* inner_ = nullptr;
  EVP_MD_CTX* outer_ = nullptr;
  EVP_MD_CTX* work_ = nullptr;
  EVP_CIPHER_CTX* enc_ = nullptr;
  EVP_CIPHER_CTX* dec_ = nullptr;
};

thread_local thread_crypto this_thread_crypto;

constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(const unsigned char* p, std::size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += b64url[(v >> 18) & 63];
    out += b64url[(v >> 12) & 63];
    out += b64url[(v >> 6) & 63];
    out += b64url[v & 63];
  }
  if (n - i == 1) {
    unsigned v = p[i] << 16;
    out += b64url[(v >> 18) & 63];
    out += b64url[(v >> 12) & 63];
  } else if (n - i == 2) {
    unsigned v = (p[i] << 16) | (p[i + 1] << 8);
    out += b64url[(v >> 18) & 63];
    out += b64url[(v >> 12) & 63];
    out += b64url[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string trim(std::string s) {
  auto issp = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && issp(s.back())) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && issp(s[b])) ++b;
  return s.substr(b);
}

}  // namespace

std::shared_ptr<const number_secrets> number_secrets::from_secret(std::string_view secret) {
  if (secret.size() < 32) return nullptr;
  std::shared_ptr<number_secrets> s(new number_secrets());
  hmac_sha256(secret.data(), secret.size(), "smsgw number key v1", s->mac_key_);
  hmac_sha256(secret.data(), secret.size(), "smsgw number seal v1", s->enc_key_);
  s->generation_ = next_generation.fetch_add(1);
  return s;
}

number_secrets_load_result number_secrets::load(const std::filesystem::path& file,
                                                 bool generate_if_missing) {
  number_secrets_load_result r;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (!generate_if_missing) {
      r.error = "number key file " + file.string() + " does not exist";
      return r;
    }
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
      r.error = "cannot generate a random number key";
      return r;
    }
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    std::string hex = to_hex(raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << hex << '\n';
      if (!out) {
        r.error = "cannot write number key file " + file.string();
        return r;
      }
    }
    ::chmod(file.c_str(), 0600);
    r.warning = "generated a new number key in " + file.string() +
                " (development only: keep this file; numbers stored with a lost key cannot be "
                "found again)";
  }
  // At most 4 KiB are read (the key is 32 bytes or more): a path such as /dev/zero by mistake
  // must not read forever.
  common::bounded_file read = common::read_bounded_file(file.string(), 4096);
  if (read.error != 0) {
    r.error = "cannot read number key file " + file.string();
    return r;
  }
  if (read.too_large) {
    r.error = "number key file " + file.string() + " is larger than 4 KiB; it holds one key";
    return r;
  }
  std::string content = std::move(read.content);
  std::string secret = trim(content);
  OPENSSL_cleanse(content.data(), content.size());
  r.secrets = from_secret(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!r.secrets) r.error = "number key file " + file.string() + " holds fewer than 32 bytes";
  return r;
}

std::string number_secrets::key(std::string_view e164) const {
  unsigned char mac[32];
  auto* crypto = this_thread_crypto.for_secret(generation_, mac_key_, enc_key_);
  if (crypto == nullptr || !crypto->hmac(e164, mac)) hmac_sha256(mac_key_, sizeof mac_key_, e164, mac);
  return to_hex(mac, sizeof mac);
}

std::string number_secrets::seal(std::string_view e164) const {
  const std::string raw = seal_bytes(e164);
  return raw.empty() ? std::string() : base64url_encode(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string number_secrets::seal_bytes(std::string_view e164) const {
  std::string buf(nonce_size + e164.size() + tag_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(buf.data());
  try {
    random_bytes(out, nonce_size);  // a fresh random 96-bit nonce per sealing (GCM)
  } catch (const std::runtime_error&) {
    return {};
  }
  auto* crypto = this_thread_crypto.for_secret(generation_, mac_key_, enc_key_);
  EVP_CIPHER_CTX* ctx = crypto ? crypto->encrypt() : EVP_CIPHER_CTX_new();
  const unsigned char* key = crypto ? nullptr : enc_key_;  // the thread's context holds the key
  const EVP_CIPHER* cipher = crypto ? nullptr : EVP_aes_256_gcm();
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx, cipher, nullptr, key, out) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(seal_aad.data()),
                              static_cast<int>(seal_aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx, out + nonce_size, &len,
                              reinterpret_cast<const unsigned char*>(e164.data()),
                              static_cast<int>(e164.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, out + nonce_size + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, tag_size, out + nonce_size + e164.size()) == 1;
  if (!crypto) EVP_CIPHER_CTX_free(ctx);
  if (!ok) return {};
  return buf;
}

std::optional<std::string> number_secrets::open(std::string_view sealed) const {
  auto raw = base64url_decode(sealed);
  if (!raw) return std::nullopt;
  return open_bytes(*raw);
}

std::optional<std::string> number_secrets::open_bytes(std::string_view raw) const {
  if (raw.size() < nonce_size + tag_size) return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  std::size_t ct_len = raw.size() - nonce_size - tag_size;
  unsigned char tag[tag_size];  // OpenSSL takes the expected tag through a non-const pointer
  std::memcpy(tag, in + nonce_size + ct_len, tag_size);
  std::string plain(ct_len, '\0');
  auto* crypto = this_thread_crypto.for_secret(generation_, mac_key_, enc_key_);
  EVP_CIPHER_CTX* ctx = crypto ? crypto->decrypt() : EVP_CIPHER_CTX_new();
  const unsigned char* key = crypto ? nullptr : enc_key_;
  const EVP_CIPHER* cipher = crypto ? nullptr : EVP_aes_256_gcm();
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx, cipher, nullptr, key, in) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(seal_aad.data()),
                              static_cast<int>(seal_aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                              in + nonce_size, static_cast<int>(ct_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, tag_size, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
  if (!crypto) EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return plain;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace policy
