// The Redis store's pure layouts (docs/stores.md, "Suppressions"): where a number's suppressions
// live, how their values and the message's immutable fields are packed. Byte-exact: these bytes
// are what older data in Redis holds, so a change here would make stored suppressions unreadable.

#include <gtest/gtest.h>

#include <string>

#include "policy/redis_fields.hpp"
#include "policy/separated_fields.hpp"
#include "policy/redis_suppression_layout.hpp"

namespace {

using namespace policy::redis_detail;
using namespace std::string_literals;

const std::string key = "0A1b" + std::string(60, 'f');  // 64 hex digits, mixed case

TEST(RedisSuppressionLayout, BucketIsTheFirstFourHexDigitsInLowerCaseAndTheSuffixTheOther30Bytes) {
  auto loc = locate(key);
  ASSERT_TRUE(loc);
  EXPECT_EQ(loc->bucket_tail, "0a1b");
  EXPECT_EQ(loc->suffix, std::string(30, '\xff'));

  auto loc2 = locate("ffff0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab");
  ASSERT_TRUE(loc2);
  EXPECT_EQ(loc2->bucket_tail, "ffff");
  EXPECT_EQ(loc2->suffix.substr(0, 4), "\x01\x23\x45\x67"s);
  EXPECT_EQ(loc2->suffix.size(), 30u);
}

TEST(RedisSuppressionLayout, KeysThatAreNotAnHmacHaveNoLocation) {
  EXPECT_FALSE(locate(""));
  EXPECT_FALSE(locate(key.substr(1)));             // 63 digits
  EXPECT_FALSE(locate(key + "0"));                 // 65 digits
  EXPECT_FALSE(locate("g" + key.substr(1)));       // not hex in the bucket
  EXPECT_FALSE(locate(key.substr(0, 63) + "z"));   // not hex in the suffix
  EXPECT_FALSE(locate("+14155550123"));            // a phone number is not a key
}

TEST(RedisSuppressionLayout, HexValues) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('9'), 9);
  EXPECT_EQ(hex_value('a'), 10);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('g'), -1);
  EXPECT_EQ(hex_value('\0'), -1);
  EXPECT_EQ(hex_value('\xff'), -1);
}

TEST(RedisSuppressionLayout, E164DigitsArePackedTwoPerByte) {
  EXPECT_EQ(pack_e164("+14155550123"), "\x14\x15\x55\x50\x12\x3f"s);  // odd count: 0xF pad
  EXPECT_EQ(pack_e164("+447700900123"), "\x44\x77\x00\x90\x01\x23"s);
  EXPECT_EQ(pack_e164("+331"), "\x33\x1f"s);
  EXPECT_EQ(unpack_e164("\x14\x15\x55\x50\x12\x3f"s), "+14155550123");
  EXPECT_EQ(unpack_e164("\x33\x1f"s), "+331");
  // Anything else is kept as text behind 0xFE.
  EXPECT_EQ(pack_e164("14155550123"), "\xfe" "14155550123"s);
  EXPECT_EQ(pack_e164("+1415555012a"), "\xfe+1415555012a"s);
  EXPECT_EQ(pack_e164("+1234567890123456"), "\xfe+1234567890123456"s);  // 16 digits: too long
  EXPECT_EQ(unpack_e164("\xfe" "abc"s), "abc");
  EXPECT_EQ(unpack_e164(""), "");
  for (std::string n : {"+1", "+12", "+123456789012345", "+33612345678"}) EXPECT_EQ(unpack_e164(pack_e164(n)), n) << n;
}

TEST(RedisSuppressionLayout, ValueBytesOfACommonAndALiteralSource) {
  // at_ms 1,700,000,000,000 = 0x018BCFE56800, source "keyword" (0x80), reason "stop", sealed bytes.
  const std::string v = pack_sup_value("stop", "keyword", 1'700'000'000'000, "\x01\x02"s);
  EXPECT_EQ(v, "\x01\x8b\xcf\xe5\x68\x00" "\x80" "\x04stop" "\x01\x02"s);
  auto back = unpack_sup_value(v);
  EXPECT_EQ(back.at_ms, 1'700'000'000'000);
  EXPECT_EQ(back.source, "keyword");
  EXPECT_EQ(back.reason, "stop");
  EXPECT_EQ(back.sealed_bytes, "\x01\x02"s);

  const std::string w = pack_sup_value("dnc", "crm-sync", 0, "");
  EXPECT_EQ(w, std::string(6, '\0') + "\x08" "crm-sync" "\x03" "dnc");
  auto back2 = unpack_sup_value(w);
  EXPECT_EQ(back2.source, "crm-sync");
  EXPECT_EQ(back2.reason, "dnc");
  EXPECT_EQ(back2.sealed_bytes, "");

  EXPECT_EQ(pack_sup_value("", "api", 1, "")[6], '\x81');
  EXPECT_EQ(pack_sup_value("", "cli", 1, "")[6], '\x82');
  EXPECT_EQ(pack_sup_value("", "import", 1, "")[6], '\x83');
  EXPECT_EQ(pack_sup_value("", "api", -5, "").substr(0, 6), std::string(6, '\0'));  // before 1970: 0
}

TEST(RedisSuppressionLayout, LongSourcesAndReasonsAreCut) {
  const std::string v = pack_sup_value(std::string(300, 'r'), std::string(200, 's'), 1, "");
  auto back = unpack_sup_value(v);
  EXPECT_EQ(back.source, std::string(127, 's'));
  EXPECT_EQ(back.reason, std::string(255, 'r'));
  EXPECT_EQ(v.size(), 6u + 1 + 127 + 1 + 255);
}

TEST(RedisSuppressionLayout, TruncatedValuesReadAsFarAsTheyGo) {
  EXPECT_EQ(unpack_sup_value("").at_ms, 0);
  EXPECT_EQ(unpack_sup_value("\x00\x00\x00\x00\x00\x07\x80"s).at_ms, 0);  // shorter than a header
  auto v = unpack_sup_value("\x00\x00\x00\x00\x00\x07\x80\x00"s);     // the header alone
  EXPECT_EQ(v.at_ms, 7);
  EXPECT_EQ(v.source, "keyword");
  EXPECT_EQ(v.reason, "");
  EXPECT_EQ(unpack_sup_value("\x00\x00\x00\x00\x00\x07\x80\x09st"s).reason, "st");  // reason cut short
  EXPECT_EQ(unpack_sup_value("\x00\x00\x00\x00\x00\x07\x90\x00"s).source, "");     // unknown common code
}

TEST(RedisFields, MessageFieldsPackAsLengthColonBytes) {
  std::string packed;
  pack_into(packed, "m1");
  pack_into(packed, "");
  pack_into(packed, "a:b\x1f\0c"s);
  EXPECT_EQ(packed, "2:m10:6:a:b\x1f\0c"s);
  EXPECT_EQ(unpack(packed), (std::vector<std::string>{"m1", "", "a:b\x1f\0c"s}));
  // A truncated field ends the list there.
  EXPECT_EQ(unpack("2:m16:ab"), (std::vector<std::string>{"m1"}));
  EXPECT_EQ(unpack("x"), (std::vector<std::string>{}));
}

TEST(SeparatedFields, JoinedFieldsSplitIntoExactlyNParts) {
  EXPECT_EQ(policy::join_fields({"marketing", "ACME", ""}), "marketing\x1f" "ACME\x1f");
  EXPECT_EQ(policy::split_fields("a\x1f" "b\x1f" "c", 2), (std::vector<std::string>{"a", "b\x1f" "c"}));
  EXPECT_EQ(policy::split_fields("a", 3), (std::vector<std::string>{"a", "", ""}));
  EXPECT_EQ(policy::split_fields("", 1), (std::vector<std::string>{""}));
}

TEST(RedisFields, NumbersAreDecimalStrings) {
  EXPECT_EQ(to_i64("1700000000000"), 1'700'000'000'000);
  EXPECT_EQ(to_i64("x"), 0);
  EXPECT_EQ(num(-12), "-12");
}

TEST(RedisFields, HashRepliesBecomeMaps) {
  policy::redis_value v;
  v.k = policy::redis_value::kind::array;
  for (const char* s : {"st", "queued", "car", "sim", "odd"}) {
    policy::redis_value e;
    e.k = policy::redis_value::kind::string;
    e.str = s;
    v.elements.push_back(e);
  }
  auto m = to_map(v);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m["st"], "queued");
  EXPECT_EQ(m["car"], "sim");
  EXPECT_EQ(to_map(v, 2).size(), 1u);
}

}  // namespace
