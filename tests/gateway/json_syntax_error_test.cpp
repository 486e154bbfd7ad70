#include "gateway/json_syntax_error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using gateway::describe_json_syntax_error;

TEST(JsonSyntaxError, NamesIllFormedUtf8AndTheByte) {
  // A Latin-1 "é" (0xE9) where UTF-8 is required; the quote after it (byte 11) ends the sequence.
  EXPECT_EQ(describe_json_syntax_error("{\"t\":\"caf\xe9\"}"),
            "the body is not valid JSON at byte 11: invalid string: ill-formed UTF-8 byte");
}

TEST(JsonSyntaxError, SaysWhatWasExpected) {
  EXPECT_EQ(
      describe_json_syntax_error("{\"messages\": [}"),
      "the body is not valid JSON at byte 15: unexpected '}'; expected '[', '{', or a literal");
  EXPECT_EQ(describe_json_syntax_error("{\"to\":"),
            "the body is not valid JSON at byte 7: unexpected end of input; expected '[', '{', or "
            "a literal");
}

TEST(JsonSyntaxError, AnEmptyBodyIsCalledEmpty) {
  EXPECT_EQ(describe_json_syntax_error(""), "the body is empty; send a JSON object");
  EXPECT_EQ(describe_json_syntax_error(" \r\n"), "the body is empty; send a JSON object");
}

TEST(JsonSyntaxError, NeverQuotesRawBytesOfTheBody) {
  // nlohmann's own message ends in "last read: '<the bytes>'", which may not be UTF-8 (the JSON
  // encoder of the answer would throw on them).
  const std::string text = describe_json_syntax_error("{\"a\":\"\xff\xfe\"}");
  EXPECT_EQ(text.find("last read"), std::string::npos) << text;
  for (char c : text) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << text;
}

TEST(JsonSyntaxError, ANumberTooLargeIsNamed) {
  EXPECT_EQ(describe_json_syntax_error("{\"a\":1e999}"),
            "the body is not valid JSON at byte 10: number overflow parsing '1e999'");
}

}  // namespace
