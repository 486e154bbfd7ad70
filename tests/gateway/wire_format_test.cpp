// The hand-written wire formats of the hot path against the libraries they replace, byte for
// byte: the HTTP response (beast's serializer) and the Redis command (hiredis' formatting).

#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/write.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "gateway/http_server.hpp"
#include "policy/redis_connection.hpp"

namespace {

namespace bhttp = boost::beast::http;

std::string beast_bytes(const gateway::http_response& res) {
  std::ostringstream os;
  os << res;
  return os.str();
}

std::string ours(const gateway::http_response& res) {
  std::string out = "left over from a previous response";
  gateway::serialize_response(res, out);
  return out;
}

TEST(ResponseBytes, AcceptedAnswerIsWhatBeastWrites) {
  auto res = gateway::json_response(202, R"({"id":"msg_01","status":"queued","to":"+14155550123"})");
  EXPECT_EQ(ours(res), beast_bytes(res));
  EXPECT_EQ(ours(res),
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 53\r\n\r\n"
            R"({"id":"msg_01","status":"queued","to":"+14155550123"})");
}

TEST(ResponseBytes, ExtraFieldsClosingAndEmptyBodies) {
  auto closing = gateway::json_response(413, R"({"error":{}})", false);
  EXPECT_EQ(ours(closing), beast_bytes(closing));
  EXPECT_NE(ours(closing).find("\r\nConnection: close\r\n"), std::string::npos);

  auto limited = gateway::json_response(429, R"({"error":{"code":"rate_limited"}})");
  limited.set(bhttp::field::retry_after, "3");
  limited.set("X-Custom", "a b");
  limited.prepare_payload();
  EXPECT_EQ(ours(limited), beast_bytes(limited));

  gateway::http_response empty{bhttp::status::no_content, 11};
  EXPECT_EQ(ours(empty), beast_bytes(empty));
  EXPECT_EQ(ours(empty), "HTTP/1.1 204 No Content\r\n\r\n");

  gateway::http_response custom{bhttp::status::ok, 10};
  custom.reason("Fine");
  custom.body() = "text";
  custom.prepare_payload();
  EXPECT_EQ(ours(custom), beast_bytes(custom));
  EXPECT_EQ(ours(custom).substr(0, 17), "HTTP/1.0 200 Fine");
}

std::string hiredis_bytes(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int n = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  std::string out(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
  return out;
}

TEST(RedisCommandBytes, SameAsHiredis) {
  std::string out;
  policy::format_command({"SELECT", "0"}, out);
  EXPECT_EQ(out, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n");
  const std::vector<std::vector<std::string>> commands = {
      {"PING"},
      {"EVALSHA", "0123456789abcdef0123456789abcdef01234567", "2", "{c}:q", "{c}:m", "", "12345678901234"},
      {"SET", std::string("bin\0ary\r\n", 9), std::string(100'000, 'x')},
  };
  for (const auto& c : commands) {
    policy::format_command(c, out);  // reuses the buffer of the previous command
    EXPECT_EQ(out, hiredis_bytes(c));
  }
}

}  // namespace

#include "gateway/message_id.hpp"

namespace {

// The encoding as first written (one bit at a time), the reference for the word-wise one.
std::string reference_message_id(const std::array<unsigned char, 16>& bytes) {
  constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out = "msg_";
  out.resize(30);
  auto bit = [&](int i) {
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

TEST(MessageIdBytes, SameAsTheBitwiseEncoding) {
  std::array<unsigned char, 16> bytes{};
  EXPECT_EQ(gateway::message_id_from_bytes(bytes), "msg_00000000000000000000000000");
  bytes.fill(0xFF);
  EXPECT_EQ(gateway::message_id_from_bytes(bytes), "msg_7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  EXPECT_EQ(gateway::message_id_from_bytes(bytes), reference_message_id(bytes));
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int n = 0; n < 10'000; ++n) {
    for (auto& b : bytes) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<unsigned char>(x);
    }
    ASSERT_EQ(gateway::message_id_from_bytes(bytes), reference_message_id(bytes));
  }
  const auto id = gateway::new_message_id(1'700'000'000'000);
  EXPECT_TRUE(gateway::looks_like_message_id(id)) << id;
  EXPECT_EQ(id.substr(0, 13), gateway::message_id_from_bytes({0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00}).substr(0, 13));
}

}  // namespace

#include "gateway/api_keys.hpp"

namespace {

TEST(Sha256, KnownDigests) {
  auto hex = [](const gateway::sha256_digest& d) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (auto b : d) {
      out += digits[b >> 4];
      out += digits[b & 15];
    }
    return out;
  };
  EXPECT_EQ(hex(gateway::sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(gateway::sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(gateway::sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // FIPS 180-2 two-block and many-block vectors.
  EXPECT_EQ(hex(gateway::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(gateway::sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace

namespace {

TEST(ApiKeyDigestReuse, RepeatedAndChangedKeysAnswerAsFresh) {
  gateway::api_key_table table({{"dev", gateway::sha256("dev-key-0001"), {}}, {"other", gateway::sha256("other-key"), {}}});
  gateway::api_key_table reloaded({{"other", gateway::sha256("other-key"), {}}});
  for (int round = 0; round < 2; ++round) {
    ASSERT_NE(table.authenticate("Bearer dev-key-0001"), nullptr);
    EXPECT_EQ(table.authenticate("Bearer dev-key-0001")->name, "dev");
    EXPECT_EQ(table.authenticate("Bearer dev-key-0002"), nullptr);  // same length, one byte off
    EXPECT_EQ(table.authenticate("Bearer dev-key-0001")->name, "dev");
    EXPECT_EQ(table.authenticate("Bearer other-key")->name, "other");
    EXPECT_EQ(reloaded.authenticate("Bearer dev-key-0001"), nullptr);  // the key is gone after a reload
    EXPECT_EQ(table.authenticate("Bearer dev-key-000"), nullptr);
    EXPECT_EQ(table.authenticate("Bearer "), nullptr);
  }
}

}  // namespace
