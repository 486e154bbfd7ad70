#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "policy/number_key.hpp"

namespace {

using policy::number_secrets;

const std::string secret = "contract-test-secret-0123456789abcdef";

TEST(NumberKey, IsHmacSha256OfTheE164WithTheDerivedKey) {
  auto s = number_secrets::from_secret(secret);
  ASSERT_TRUE(s);
  // python3: k = HMAC(secret, "smsgw number key v1"); HMAC(k, "+14155550123").hexdigest()
  EXPECT_EQ(s->key("+14155550123"), "6340e2b4639b41284758c2a807928f7813b435657077c646baa8460986080cac");
  EXPECT_EQ(s->key("+14155550123"), s->key("+14155550123"));
  EXPECT_NE(s->key("+14155550123"), s->key("+14155550124"));
  auto other = number_secrets::from_secret(secret + "x");
  EXPECT_NE(other->key("+14155550123"), s->key("+14155550123"));
}

// The per-thread HMAC (SHA-256 states with the pads absorbed, copied per number) against
// OpenSSL's one-shot HMAC() with the derived key, for inputs of every length from 0 to 200
// bytes (across the 55/56/64-byte padding boundaries of one SHA-256 block) and every byte value.
TEST(NumberKey, KeyIsTheOneShotHmacForEveryInputLength) {
  auto s = number_secrets::from_secret(secret);
  unsigned char mac_key[32];
  unsigned int len = sizeof mac_key;
  const std::string label = "smsgw number key v1";
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), mac_key, &len);
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t n = 0; n <= 200; ++n) {
    std::string input(n, '\0');
    for (std::size_t i = 0; i < n; ++i) input[i] = static_cast<char>((i * 37 + n * 11) & 0xFF);
    unsigned char mac[32];
    len = sizeof mac;
    HMAC(EVP_sha256(), mac_key, sizeof mac_key, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         mac, &len);
    std::string expected;
    for (unsigned char b : mac) {
      expected += hex[b >> 4];
      expected += hex[b & 15];
    }
    EXPECT_EQ(s->key(input), expected) << "length " << n;
  }
}

TEST(NumberKey, RefusesShortSecrets) { EXPECT_FALSE(number_secrets::from_secret("too short")); }

TEST(NumberKey, SealOpensToTheSameNumberAndHidesIt) {
  auto s = number_secrets::from_secret(secret);
  std::string a = s->seal("+14155550123");
  std::string b = s->seal("+14155550123");
  EXPECT_NE(a, b);  // random nonce
  EXPECT_EQ(a.find("4155550123"), std::string::npos);
  EXPECT_EQ(s->open(a), "+14155550123");
  EXPECT_EQ(s->open(b), "+14155550123");
  EXPECT_EQ(a.size(), 54u);  // base64url of 12 + 12 + 16 bytes, no padding
}

// The nonces come from a per-thread pool of random bytes refilled every 341 sealings: across many
// refills no nonce repeats (a repeated GCM nonce under one key would leak the numbers' XOR).
TEST(NumberKey, SealNoncesNeverRepeatAcrossPoolRefills) {
  auto s = number_secrets::from_secret(secret);
  std::set<std::string> nonces;
  for (int i = 0; i < 10'000; ++i) {
    const std::string sealed = s->seal("+14155550123");
    ASSERT_EQ(s->open(sealed), "+14155550123");
    nonces.insert(sealed.substr(0, 16));  // the first 12 bytes, base64url
  }
  EXPECT_EQ(nonces.size(), 10'000u);
}

TEST(NumberKey, OpenRejectsTamperingAndOtherSecrets) {
  auto s = number_secrets::from_secret(secret);
  std::string sealed = s->seal("+447911123456");
  std::string tampered = sealed;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(s->open(tampered));
  EXPECT_FALSE(number_secrets::from_secret(secret + "other")->open(sealed));
  EXPECT_FALSE(s->open("not base64 !"));
  EXPECT_FALSE(s->open(""));
}

// The per-thread OpenSSL contexts (set up once per thread and secret) must give the same answers
// as fresh ones: after a failed open, when secrets alternate (reload), and on every thread.
TEST(NumberKey, ReusedContextsAnswerLikeFreshOnes) {
  auto s = number_secrets::from_secret(secret);
  auto other = number_secrets::from_secret(secret + "other");
  const std::string sealed = s->seal("+33612345678");
  std::string tampered = sealed;
  tampered[30] = tampered[30] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(s->open(tampered));
  EXPECT_EQ(s->open(sealed), "+33612345678");
  EXPECT_FALSE(other->open(sealed));
  EXPECT_EQ(other->open(other->seal("+33612345678")), "+33612345678");
  EXPECT_EQ(s->open(sealed), "+33612345678");
  EXPECT_EQ(s->key("+14155550123"), "6340e2b4639b41284758c2a807928f7813b435657077c646baa8460986080cac");

  std::vector<std::string> keys(4);
  std::vector<std::optional<std::string>> opened(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 100; ++n) {
        keys[i] = s->key("+14155550123");
        opened[i] = s->open(s->seal("+447911123456"));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(keys[i], "6340e2b4639b41284758c2a807928f7813b435657077c646baa8460986080cac");
    EXPECT_EQ(opened[i], "+447911123456");
  }
}

TEST(NumberKey, GeneratesTheSecretFileOnFirstStartWithAWarning) {
  auto dir = std::filesystem::temp_directory_path() / ("smsgw-key-" + std::to_string(::getpid()));
  auto file = dir / "var" / "number.key";
  std::filesystem::remove_all(dir);
  auto missing = number_secrets::load(file, false);
  EXPECT_FALSE(missing.secrets);
  EXPECT_NE(missing.error.find("does not exist"), std::string::npos);

  auto first = number_secrets::load(file, true);
  ASSERT_TRUE(first.secrets) << first.error;
  EXPECT_NE(first.warning.find("generated"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = number_secrets::load(file, true);
  ASSERT_TRUE(second.secrets);
  EXPECT_TRUE(second.warning.empty());
  EXPECT_EQ(first.secrets->key("+14155550123"), second.secrets->key("+14155550123"));
  EXPECT_EQ(second.secrets->open(first.secrets->seal("+14155550123")), "+14155550123");

  std::ofstream(file, std::ios::trunc) << "short\n";
  auto bad = number_secrets::load(file, true);
  EXPECT_FALSE(bad.secrets);
  EXPECT_NE(bad.error.find("fewer than 32 bytes"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// A key path such as /dev/zero (or a large file given by mistake) is refused instead of being
// read forever.
TEST(NumberKey, RefusesAnEndlessKeyFile) {
  auto endless = number_secrets::load("/dev/zero", false);
  EXPECT_FALSE(endless.secrets);
  EXPECT_NE(endless.error.find("larger than 4 KiB"), std::string::npos) << endless.error;
}

TEST(NumberKey, ConstantTimeEqual) {
  EXPECT_TRUE(policy::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(policy::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(policy::constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(policy::constant_time_equal("", ""));
}

}  // namespace
