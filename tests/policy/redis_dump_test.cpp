// Redis DUMP/RESTORE payloads of hashes (policy/redis_dump.hpp): the builder byte-exact, and the
// reader against payloads captured from redis-server 7.0 (`DUMP` of `HSET` keys).

#include "policy/redis_dump.hpp"

#include <gtest/gtest.h>

namespace {

using namespace policy::detail;

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

using pairs = std::vector<std::pair<std::string, std::string>>;

TEST(RedisDump, Crc64MatchesRedisCheckValue) {
  EXPECT_EQ(crc64_jones("123456789"), 0xe9c6d914c4b8d9caULL);  // Redis' crc64 self-test
  EXPECT_EQ(crc64_jones(""), 0u);
}

TEST(RedisDump, HashPayloadIsByteExact) {
  const field_value one[] = {{"a", "1"}};
  EXPECT_EQ(dump_hash(one), from_hex("04010161013109007ec40ca46efebea1"));  // type 4, 1 pair, v9, CRC-64
}

// redis-cli HSET tv1 field1 value1 f2 hello; DUMP tv1 (a listpack, RDB version 10).
TEST(RedisDump, ReadsAListpackHash) {
  pairs out;
  ASSERT_TRUE(read_hash_dump(
      from_hex("1022220000000400866669656c6431078676616c75653107826632038568656c6c6f06ff0a00b3893d874adc2cec"), out));
  EXPECT_EQ(out, (pairs{{"field1", "value1"}, {"f2", "hello"}}));
}

// Long repetitive fields: Redis stores the listpack LZF-compressed (0xc3 after the type).
TEST(RedisDump, ReadsAnLzfCompressedListpackHash) {
  const std::string payload = from_hex(
      "10c32240cd07cd00000004009e61e01400031fe04062e036000042e015620062e03962026342ff0a009a3259fb65390c67");
  ASSERT_EQ(static_cast<unsigned char>(payload[1]), 0xc3);
  pairs out;
  ASSERT_TRUE(read_hash_dump(payload, out));
  EXPECT_EQ(out, (pairs{{std::string(30, 'a'), std::string(64, 'b')},
                        {std::string(29, 'a') + "b", std::string(63, 'b') + "c"}}));
}

TEST(RedisDump, RefusesWhatItCannotReadExactly) {
  const std::string good =
      from_hex("1022220000000400866669656c6431078676616c75653107826632038568656c6c6f06ff0a00b3893d874adc2cec");
  pairs out;
  std::string flipped = good;
  flipped[10] ^= 1;
  EXPECT_FALSE(read_hash_dump(flipped, out)) << "a wrong checksum";
  EXPECT_FALSE(read_hash_dump(good.substr(0, 20), out)) << "truncated";
  const field_value one[] = {{"a", "1"}};
  EXPECT_FALSE(read_hash_dump(dump_hash(one), out)) << "type 4 (a hash table): not read, the caller uses commands";
  // redis-cli HSET tv3 f 12345; DUMP tv3: the value is an integer entry, never one the store writes.
  EXPECT_FALSE(read_hash_dump(from_hex("100e0e0000000200816602f1393003ff0a00ee2ea381a4149dc4"), out));
}

}  // namespace
