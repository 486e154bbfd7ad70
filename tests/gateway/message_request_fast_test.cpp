// parse_message_request_body() reads flat bodies without building a JSON document; every body
// must get the same answer as through nlohmann::json + parse_message_request(). Differential
// over generated bodies (well-formed, odd and broken) plus hand-picked edge cases.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/message_request.hpp"

namespace {

using gateway::api_error;
using gateway::message_request;

gateway::message_request_result reference(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) return gateway::bad_request("the body is not valid JSON");
  return gateway::parse_message_request(json);
}

std::string describe(const gateway::message_request_result& r) {
  if (const auto* e = std::get_if<api_error>(&r)) {
    return "error " + std::to_string(static_cast<int>(e->status)) + " " + e->code + " [" + e->field + "] " + e->message;
  }
  const auto& m = std::get<message_request>(r);
  return "ok to=" + m.to + " from=" + m.from + " text=" + m.text + " category=" + m.category +
         " campaign=" + m.campaign + " client_ref=" + m.client_ref + " region=" + m.region +
         " send_at=" + (m.send_at ? std::to_string(*m.send_at) : "-");
}

void expect_same(std::string_view body) {
  EXPECT_EQ(describe(gateway::parse_message_request_body(body)), describe(reference(body))) << body;
}

TEST(MessageRequestFastPath, HandPickedBodies) {
  const std::vector<std::string> bodies = {
      R"({"to":"+14155550123","from":"12345","text":"Your code is 123456"})",
      "  {\n\t\"to\" : \"+14155550123\" ,\r\n \"from\":\"12345\", \"text\":\"hi\" }  \n",
      R"({"to":"+14155550123","from":"12345","text":"caf\u00e9"})",
      "{\"to\":\"+14155550123\",\"from\":\"12345\",\"text\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
      "{\"to\":\"+14155550123\",\"from\":\"12345\",\"text\":\"bad \xc3\"}",
      "{\"to\":\"+14155550123\",\"from\":\"12345\",\"text\":\"overlong \xc0\xaf\"}",
      "{\"to\":\"+14155550123\",\"from\":\"12345\",\"text\":\"surrogate \xed\xa0\x80\"}",
      "{\"to\":\"+14155550123\",\"from\":\"12345\",\"text\":\"big \xf4\x90\x80\x80\"}",
      "{\"to\":\"+14155550123\",\"from\":\"12345\",\"text\":\"tab\tinside\"}",
      R"({"to":"+14155550123","from":"12345","text":"quote \" and \\ and \n"})",
      R"({"to":"+14155550123","from":"12345","text":"hi","category":null,"campaign":null})",
      R"({"to":"+14155550123","from":"12345","text":"hi","region":"gb"})",
      R"({"to":"+14155550123","from":"12345","text":"hi","region":"g1"})",
      R"({"to":"+14155550123","from":"12345","text":"hi","region":"GBR"})",
      R"({"to":"+14155550123","from":"12345","text":"hi","send_at":"2026-12-01T15:00:00Z"})",
      R"({"to":"+14155550123","from":"12345","text":"hi","send_at":"soon"})",
      R"({"to":"+14155550123","from":"12345","text":"hi","send_at":""})",
      R"({"to":"+14155550123","from":"12345","text":"a","text":"b"})",
      R"({"to":"+14155550123","from":"12345","txt":"hi"})",
      R"({"to":"+14155550123","from":"12345","text":"hi",})",
      R"({"to":"+14155550123","from":"12345","text":"hi"} x)",
      R"({"to":"+14155550123","from":"12345","text":"hi"}{})",
      "\xef\xbb\xbf{\"to\":\"+14155550123\",\"from\":\"12345\",\"text\":\"hi\"}",
      R"({"to":14155550123,"from":"12345","text":"hi"})",
      R"({"to":"+14155550123","from":"12345","text":true})",
      R"({"to":"+14155550123","from":"12345","text":["hi"]})",
      R"({"to":"+14155550123","from":"12345","text":{"a":1}})",
      R"({"to":"+14155550123","from":"12345","text":nul})",
      R"({"to":"+14155550123","from":"12345","text":nullx})",
      R"({"to":"","from":"12345","text":"hi"})",
      R"({"from":"12345","text":"hi"})",
      R"({})",
      R"( { } )",
      R"([])",
      R"("text")",
      R"(null)",
      "",
      "{",
      R"({"to")",
      R"({"to":)",
      R"({"to":"+1)",
      R"({"to":"+1",)",
      R"({"to" "+1"})",
      R"({'to':'+1'})",
      "{\"to\":\"+1\0\",\"from\":\"1\",\"text\":\"hi\"}",
      R"({"\u0074o":"+14155550123","from":"12345","text":"hi"})",
      "{\"t\xc3\xa9\":\"+1\",\"from\":\"1\",\"text\":\"hi\"}",
      R"({"to":"+14155550123","from":"12345","text":"hi"}/* comment */)",
  };
  for (const auto& b : bodies) expect_same(b);
  // Limits: at and over the text and short-field limits.
  for (std::size_t n : {gateway::max_text_bytes, gateway::max_text_bytes + 1}) {
    expect_same(R"({"to":"+14155550123","from":"12345","text":")" + std::string(n, 'a') + "\"}");
  }
  for (std::size_t n : {gateway::max_short_field_bytes, gateway::max_short_field_bytes + 1}) {
    expect_same(R"({"to":"+14155550123","from":")" + std::string(n, '1') + R"(","text":"hi"})");
  }
}

TEST(MessageRequestFastPath, GeneratedBodiesAnswerAsTheDocumentPath) {
  const std::vector<std::string> keys = {"to", "from", "text", "category", "campaign", "send_at",
                                         "client_ref", "region", "txt", "To", ""};
  const std::vector<std::string> values = {
      R"("+14155550123")", R"("12345")", R"("hello")", R"("")", "null", "1", "true", R"(["x"])",
      R"({})", R"("us")", R"("USA")", R"("2026-12-01T15:00:00Z")", R"("2026-12-01")",
      "\"caf\xc3\xa9\"", "\"\xff\"", R"("a\"b")", R"("\u0041")", "\"x\ty\"", R"("  spaced  ")"};
  const std::vector<std::string> spaces = {"", " ", "\n", "\t ", "\r\n"};
  std::uint64_t x = 42;
  auto next = [&](std::size_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<std::size_t>(x % n);
  };
  for (int n = 0; n < 20'000; ++n) {
    std::string body = spaces[next(spaces.size())] + "{";
    const std::size_t members = next(7);
    for (std::size_t m = 0; m < members; ++m) {
      if (m > 0) body += "," + spaces[next(spaces.size())];
      // Mostly the usual fields with usable values, sometimes anything.
      const bool usual = next(4) != 0;
      const std::string key = usual ? keys[next(3)] : keys[next(keys.size())];
      const std::string value = usual ? values[next(3)] : values[next(values.size())];
      body += "\"" + key + "\"" + spaces[next(spaces.size())] + ":" + spaces[next(spaces.size())] + value;
    }
    body += spaces[next(spaces.size())] + "}";
    if (next(20) == 0) body += "x";
    if (next(20) == 0) body.resize(next(body.size() + 1));
    expect_same(body);
  }
}

}  // namespace
