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

// One listpack entry as listpack_hash writes it (the value of a one-pair hash "f" -> v): the
// bytes between the field's entry and the terminator.
std::string value_entry(std::string_view v) {
  const field_value one[] = {{"f", v}};
  const std::string lp = listpack_hash(one);
  EXPECT_GE(lp.size(), 10u);
  if (lp.size() < 10) return {};
  return lp.substr(9, lp.size() - 10);  // 6 header bytes, "f" as 81 66 02, ..., ff
}

std::string string_entry(std::string_view header, const std::string& data, std::string_view backlen) {
  return from_hex(header) + data + from_hex(backlen);
}

// Captured from redis-server 7.0 (HSET then DUMP; not compressed, so the whole payload compares).
TEST(RedisDump, ListpackPayloadMatchesRedisDump) {
  const field_value two[] = {{"field1", "value1"}, {"f2", "hello"}};
  EXPECT_EQ(dump_hash_listpack(two),
            from_hex("1022220000000400866669656c6431078676616c75653107826632038568656c6c6f06ff0a00b3893d874adc2cec"));
  const field_value num[] = {{"f", "12345"}};  // an integer entry (16-bit), as Redis writes it
  EXPECT_EQ(dump_hash_listpack(num), from_hex("100e0e0000000200816602f1393003ff0a00ee2ea381a4149dc4"));
  std::string lp;
  ASSERT_TRUE(read_dump_listpack(dump_hash_listpack(two), lp));
  EXPECT_EQ(lp, listpack_hash(two));
  EXPECT_EQ(listpack_hash(std::span<const field_value>{}), from_hex("0700000000" "00ff"));
}

// String entries at the limits of their length prefix and of the back-length's size.
TEST(RedisDump, ListpackStringEntriesAtTheirBoundaries) {
  EXPECT_EQ(value_entry(""), from_hex("8001"));
  EXPECT_EQ(value_entry(std::string(63, 'x')), string_entry("bf", std::string(63, 'x'), "40"));
  EXPECT_EQ(value_entry(std::string(64, 'x')), string_entry("e040", std::string(64, 'x'), "42"));
  EXPECT_EQ(value_entry(std::string(125, 'x')), string_entry("e07d", std::string(125, 'x'), "7f"));  // entry 127
  EXPECT_EQ(value_entry(std::string(126, 'x')), string_entry("e07e", std::string(126, 'x'), "0180"));  // entry 128
  EXPECT_EQ(value_entry(std::string(4095, 'x')), string_entry("efff", std::string(4095, 'x'), "2081"));
  EXPECT_EQ(value_entry(std::string(4096, 'x')), string_entry("f000100000", std::string(4096, 'x'), "2085"));
  // Entries of 16,382 and 16,383 bytes: Redis' 2-byte back-length stops below 16,383.
  EXPECT_EQ(value_entry(std::string(16377, 'x')), string_entry("f0f93f0000", std::string(16377, 'x'), "7ffe"));
  EXPECT_EQ(value_entry(std::string(16378, 'x')), string_entry("f0fa3f0000", std::string(16378, 'x'), "00ffff"));
}

// Strings Redis reads as integers are integer entries of the smallest width; others stay strings.
TEST(RedisDump, ListpackIntegerEntriesAtTheirBoundaries) {
  const std::pair<const char*, const char*> cases[] = {
      {"0", "0001"},
      {"127", "7f01"},
      {"128", "c08002"},
      {"-1", "dfff02"},
      {"4095", "cfff02"},
      {"-4096", "d00002"},
      {"4096", "f1001003"},
      {"-4097", "f1ffef03"},
      {"32767", "f1ff7f03"},
      {"-32768", "f1008003"},
      {"32768", "f200800004"},
      {"-32769", "f2ff7fff04"},
      {"8388607", "f2ffff7f04"},
      {"8388608", "f30000800005"},
      {"-8388609", "f3ffff7fff05"},
      {"2147483647", "f3ffffff7f05"},
      {"-2147483648", "f30000008005"},
      {"2147483648", "f4000000800000000009"},
      {"1700000000000", "f40068e5cf8b01000009"},
      {"9223372036854775807", "f4ffffffffffffff7f09"},
      {"-9223372036854775808", "f4000000000000008009"},
      // Not integers for Redis: a length-prefixed string each.
      {"9223372036854775808", "933932323333373230333638353437373538303814"},
      {"-0", "822d3003"},
      {"+5", "822b3503"},
      {"007", "8330303704"},
      {" 5", "82203503"},
      {"5 ", "82352003"},
      {"1.5", "83312e3504"},
      {"-", "812d02"},
  };
  for (const auto& [text, hex] : cases) EXPECT_EQ(value_entry(text), from_hex(hex)) << text;
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
