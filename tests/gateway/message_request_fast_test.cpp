// parse_message_request_body() reads flat bodies without building a JSON document; every body
// must get the same answer as through nlohmann::json + parse_message_request(). Differential
// over generated bodies (well-formed, odd and broken) plus hand-picked edge cases.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/message_request.hpp"

namespace {

using gateway::api_error;
using gateway::message_request;

gateway::message_request_result reference(std::string_view body) {
  auto json = gateway::parse_json_body(body);
  if (auto* e = std::get_if<api_error>(&json)) return *e;
  return gateway::parse_message_request(std::get<nlohmann::json>(json));
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

// ---- Batch bodies: parse_batch_items_flat() against the document path of send_batch ----------

// What the document path gives for a batch body: nullopt when the body itself is refused (not
// JSON, not an object, a member other than "messages", "messages" not an array), otherwise each
// item's result. (The item count is checked by the caller on both paths.)
std::optional<std::vector<gateway::message_request_result>> reference_batch(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  for (const auto& item : json.items()) {
    if (item.key() != "messages") return std::nullopt;
  }
  auto list = json.find("messages");
  if (list == json.end() || !list->is_array()) return std::nullopt;
  std::vector<gateway::message_request_result> out;
  for (const auto& item : *list) out.push_back(gateway::parse_message_request(item));
  return out;
}

// A body the fast path reads must be one the document path accepts, with the same answer for
// every item. Returns whether the fast path read it.
bool expect_same_batch(std::string_view body) {
  const auto fast = gateway::parse_batch_items_flat(body);
  if (!fast) return false;
  const auto ref = reference_batch(body);
  EXPECT_TRUE(ref.has_value()) << body;
  if (!ref) return true;
  EXPECT_EQ(fast->size(), ref->size()) << body;
  for (std::size_t i = 0; i < fast->size() && i < ref->size(); ++i) {
    EXPECT_EQ(describe((*fast)[i]), describe((*ref)[i])) << "item " << i << " of " << body;
  }
  return true;
}

TEST(MessageRequestFastPath, BatchBodies) {
  const std::string ok = R"({"to":"+14155550123","from":"12345","text":"hi"})";
  const std::string bad = R"({"to":"+14155550123","from":"12345"})";
  // Read by the fast path (and answered as the document path answers).
  for (const std::string& b : std::vector<std::string>{
           R"({"messages":[]})",
           R"({"messages":[)" + ok + "]}",
           " {\n \"messages\" : [ " + ok + " ,\r\n\t" + bad + " , {} ] } \n",
           R"({"messages":[)" + ok + "," + ok + R"(,{"to":"+1","from":"1","text":"x","region":"gb","send_at":null}]})",
       }) {
    EXPECT_TRUE(expect_same_batch(b)) << b;
  }
  // Left to the document path: anything else, valid JSON or not.
  for (const std::string& b : std::vector<std::string>{
           std::string(R"({"messages":[1]})"),
           std::string(R"({"messages":[[]]})"),
           std::string(R"({"messages":{}})"),
           std::string(R"({"messages":null})"),
           std::string(R"({"messages":[],"x":1})"),
           std::string(R"({"x":1,"messages":[]})"),
           std::string(R"({"messages":[],"messages":[]})"),
           std::string(R"({"Messages":[]})"),
           std::string(R"({"m\u0065ssages":[]})"),
           std::string(R"({})"),
           std::string(R"([])"),
           std::string(R"({"messages":[)") + ok + "]",
           std::string(R"({"messages":[)") + ok + ",]}",
           std::string(R"({"messages":[)") + ok + "]}x",
           std::string(R"({"messages":[)") + ok + "]}{}",
           std::string(R"({"messages":[{"to":"\u0031","from":"1","text":"x"}]})"),
           std::string(R"({"messages":[{"to":"+1","to":"+2","from":"1","text":"x"}]})"),
           std::string(R"({"messages":[{"to":"+1","from":"1","text":"x","extra":"y"}]})"),
           std::string(R"({"messages":[{"to":"+1","from":"1","text":5}]})"),
           std::string(R"({"messages":[)") + ok + "," + ok,
           "\xef\xbb\xbf{\"messages\":[]}",
           std::string(""),
       }) {
    EXPECT_FALSE(gateway::parse_batch_items_flat(b).has_value()) << b;
  }
}

TEST(MessageRequestFastPath, GeneratedBatchBodiesAnswerAsTheDocumentPath) {
  const std::vector<std::string> keys = {"to", "from", "text", "category", "campaign", "send_at",
                                         "client_ref", "region", "txt", ""};
  const std::vector<std::string> values = {
      R"("+14155550123")", R"("12345")", R"("hello")", R"("")", "null", "1", R"(["x"])", R"("us")",
      R"("2026-12-01T15:00:00Z")", "\"caf\xc3\xa9\"", "\"\xff\"", R"("a\"b")", "\"x\ty\""};
  const std::vector<std::string> spaces = {"", " ", "\n", "\t ", "\r\n"};
  const std::vector<std::string> tops = {"messages", "messages", "messages", "Messages", "x"};
  std::uint64_t x = 7;
  auto next = [&](std::size_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<std::size_t>(x % n);
  };
  auto sp = [&] { return spaces[next(spaces.size())]; };
  std::size_t fast = 0;
  const int total = 20'000;
  for (int n = 0; n < total; ++n) {
    std::string body = sp() + "{" + sp() + "\"" + tops[next(tops.size())] + "\"" + sp() + ":" + sp();
    if (next(30) == 0) {
      body += next(2) ? "{}" : "null";
    } else {
      body += "[";
      const std::size_t items = next(6);
      for (std::size_t k = 0; k < items; ++k) {
        if (k > 0) body += sp() + "," + sp();
        if (next(40) == 0) {
          body += next(2) ? "1" : "[]";
          continue;
        }
        body += "{";
        const std::size_t members = next(5);
        for (std::size_t m = 0; m < members; ++m) {
          if (m > 0) body += "," + sp();
          const bool usual = next(4) != 0;
          const std::string key = usual ? keys[next(3)] : keys[next(keys.size())];
          const std::string value = usual ? values[next(3)] : values[next(values.size())];
          body += "\"" + key + "\"" + sp() + ":" + sp() + value;
        }
        body += sp() + "}";
      }
      body += sp() + "]";
    }
    if (next(20) == 0) body += R"(,"x":1)";
    body += sp() + "}" + sp();
    if (next(20) == 0) body += "x";
    if (next(20) == 0) body.resize(next(body.size() + 1));
    if (expect_same_batch(body)) ++fast;
  }
  // The generator mostly produces bodies the fast path reads: the comparison is not vacuous.
  EXPECT_GT(fast, static_cast<std::size_t>(total / 10));
}

}  // namespace
