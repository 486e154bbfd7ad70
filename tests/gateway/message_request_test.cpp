#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/message_request.hpp"

namespace {

using gateway::api_error;
using gateway::message_request;

api_error error_of(std::string_view body) {
  auto result = gateway::parse_message_request_body(body);
  EXPECT_TRUE(std::holds_alternative<api_error>(result)) << body;
  return std::holds_alternative<api_error>(result) ? std::get<api_error>(result) : api_error{};
}

TEST(MessageRequest, ParsesTheDocumentedExample) {
  auto result = gateway::parse_message_request_body(
      R"({"to": "+14155550123", "from": "12345", "text": "Your code is 123456",
          "category": "transactional", "campaign": "spring-sale", "send_at": "2026-12-01T15:00:00Z",
          "client_ref": "order-42", "region": "us"})");
  ASSERT_TRUE(std::holds_alternative<message_request>(result));
  const auto& r = std::get<message_request>(result);
  EXPECT_EQ(r.to, "+14155550123");
  EXPECT_EQ(r.from, "12345");
  EXPECT_EQ(r.text, "Your code is 123456");
  EXPECT_EQ(r.category, "transactional");
  EXPECT_EQ(r.campaign, "spring-sale");
  EXPECT_EQ(r.send_at, 1796137200);
  EXPECT_EQ(r.client_ref, "order-42");
  EXPECT_EQ(r.region, "US");
}

TEST(MessageRequest, MissingRequiredFieldsAreNamed) {
  EXPECT_EQ(error_of(R"({"from": "12345", "text": "hi"})").field, "to");
  EXPECT_EQ(error_of(R"({"to": "+14155550123", "text": "hi"})").field, "from");
  EXPECT_EQ(error_of(R"({"to": "+14155550123", "from": "12345"})").field, "text");
  EXPECT_EQ(error_of(R"({"to": "+14155550123", "from": "12345", "text": ""})").field, "text");
}

TEST(MessageRequest, IllTypedFieldsAreNamed) {
  auto e = error_of(R"({"to": 14155550123, "from": "12345", "text": "hi"})");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "bad_request");
  EXPECT_EQ(e.field, "to");
  EXPECT_EQ(error_of(R"({"to": "+1", "from": "1", "text": "hi", "category": 3})").field, "category");
  EXPECT_EQ(error_of(R"({"to": "+1", "from": "1", "text": "hi", "region": "USA"})").field, "region");
  EXPECT_EQ(error_of(R"({"to": "+1", "from": "1", "text": "hi", "region": "1A"})").field, "region");
}

// An empty region hint means nothing, and an empty campaign would silently skip per-campaign caps:
// both are refused (omitted or null is the way to say "none"). client_ref is free text.
TEST(MessageRequest, EmptyRegionAndCampaignAreRefusedEmptyClientRefIsNot) {
  for (const char* body : {R"({"to": "+14155550123", "from": "12345", "text": "hi", "region": ""})",
                           R"({"to": "+14155550123", "from": "12345", "text": "a\nb", "region": ""})"}) {
    const auto e = error_of(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.code, "bad_request") << body;
    EXPECT_EQ(e.field, "region") << body;
    EXPECT_NE(e.message.find("must not be empty"), std::string::npos) << e.message;
  }
  for (const char* body : {R"({"to": "+14155550123", "from": "12345", "text": "hi", "campaign": ""})",
                           R"({"to": "+14155550123", "from": "12345", "text": "a\nb", "campaign": ""})"}) {
    const auto e = error_of(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.field, "campaign") << body;
    EXPECT_EQ(e.message, "'campaign' must not be empty; omit the field (or null) for no campaign");
  }
  for (const char* body : {R"({"to": "+14155550123", "from": "12345", "text": "hi", "campaign": null, "region": null})",
                           R"({"to": "+14155550123", "from": "12345", "text": "hi", "client_ref": ""})"}) {
    EXPECT_TRUE(std::holds_alternative<message_request>(gateway::parse_message_request_body(body))) << body;
  }
  // The same in a batch item, on both the flat and the document path.
  for (const char* body : {R"({"messages": [{"to": "+1", "from": "1", "text": "x", "region": ""}]})",
                           R"({"messages": [{"to": "+1", "from": "1", "text": "x\n", "region": ""}]})"}) {
    auto items = gateway::parse_batch_items_flat(body);
    if (!items) {
      auto doc = gateway::parse_json_body(body);
      ASSERT_TRUE(std::holds_alternative<nlohmann::json>(doc));
      items.emplace();
      for (const auto& item : std::get<nlohmann::json>(doc)["messages"]) items->push_back(gateway::parse_message_request(item));
    }
    ASSERT_EQ(items->size(), 1U);
    ASSERT_TRUE(std::holds_alternative<api_error>(items->front())) << body;
    EXPECT_EQ(std::get<api_error>(items->front()).field, "region");
  }
}

TEST(MessageRequest, UnknownFieldsAreRefused) {
  auto e = error_of(R"({"to": "+14155550123", "from": "12345", "txt": "hi", "text": "x"})");
  EXPECT_EQ(e.field, "txt");
  EXPECT_NE(e.message.find("unknown field"), std::string::npos);
}

TEST(MessageRequest, MalformedJsonHasNoField) {
  for (auto body : {"", "{", "[]", "\"text\"", "{\"to\": \"+1\",}", "null"}) {
    auto e = error_of(body);
    EXPECT_EQ(e.code, "bad_request") << body;
    EXPECT_TRUE(e.field.empty()) << body;
  }
}

TEST(MessageRequest, SendAtMustBeRfc3339WithOffset) {
  EXPECT_EQ(error_of(R"({"to": "+1", "from": "1", "text": "hi", "send_at": "tomorrow"})").field, "send_at");
  EXPECT_EQ(error_of(R"({"to": "+1", "from": "1", "text": "hi", "send_at": "2026-12-01 15:00"})").field,
            "send_at");
  EXPECT_EQ(gateway::parse_rfc3339("2026-12-01T10:00:00-05:00"), 1796137200);
  EXPECT_EQ(gateway::parse_rfc3339("2026-12-01T15:00:00.250Z"), 1796137200);
  EXPECT_EQ(gateway::parse_rfc3339("2026-12-01T15:00:00"), std::nullopt);
  // RFC 3339 5.6: "T" and "Z" may be written in lower case.
  EXPECT_EQ(gateway::parse_rfc3339("2026-12-01t15:00:00z"), 1796137200);
  EXPECT_EQ(gateway::parse_rfc3339("2026-12-01t10:00:00-05:00"), 1796137200);
  EXPECT_EQ(gateway::format_rfc3339(1796137200), "2026-12-01T15:00:00Z");
  // After 2262 (where system_clock's nanoseconds end) a time stays in the future: it wrapped into
  // the past before, and such a send_at was sent at once.
  EXPECT_EQ(gateway::parse_rfc3339("2300-01-01T00:00:00Z"), 10413792000);
  EXPECT_EQ(gateway::parse_rfc3339("9999-12-31T23:59:59Z"), 253402300799);
  EXPECT_EQ(gateway::format_rfc3339(10413792000), "2300-01-01T00:00:00Z");
}

// Over 8 KiB is the same refusal as a text needing more parts than allowed (422
// message_too_long), not 400: the request is well formed.
TEST(MessageRequest, TextOverTheLimitIsMessageTooLong) {
  std::string body = R"({"to": "+14155550123", "from": "12345", "text": ")" +
                     std::string(gateway::max_text_bytes + 1, 'a') + "\"}";
  const auto e = error_of(body);
  EXPECT_EQ(e.status, 422);
  EXPECT_EQ(e.code, "message_too_long");
  EXPECT_EQ(e.field, "text");
  const std::string at_limit = R"({"to": "+14155550123", "from": "12345", "text": ")" +
                               std::string(gateway::max_text_bytes, 'a') + "\"}";
  EXPECT_TRUE(std::holds_alternative<message_request>(gateway::parse_message_request_body(at_limit)));
}

// A key twice in one object: parsers disagree on which one counts, so neither does.
TEST(MessageRequest, AKeyGivenTwiceIsRefusedNamingIt) {
  for (const char* body : {R"({"to": "+14155550123", "to": "+14155550199", "from": "12345", "text": "x"})",
                           R"({"to": "+14155550123", "from": "12345", "text": "a\nb", "text": "c"})"}) {
    const auto e = error_of(body);
    EXPECT_EQ(e.code, "bad_request") << body;
    EXPECT_NE(e.message.find("twice"), std::string::npos) << body;
  }
  EXPECT_EQ(error_of(R"({"to": "+14155550123", "to": "+14155550199", "from": "12345", "text": "x"})").field, "to");
  // The same key in two different objects is fine.
  auto ok = gateway::parse_json_body(R"({"messages": [{"to": "1"}, {"to": "2"}], "x": {"to": "3"}})");
  EXPECT_TRUE(std::holds_alternative<nlohmann::json>(ok));
  auto nested = gateway::parse_json_body(R"({"messages": [{"to": "1", "to": "2"}]})");
  ASSERT_TRUE(std::holds_alternative<api_error>(nested));
  EXPECT_EQ(std::get<api_error>(nested).field, "to");
}

// Objects past the short key list (16 keys) still find a repeated key, and every key is checked
// once: a 1 MiB body of 85,000 distinct keys took 33 s of CPU with a linear search per key.
TEST(MessageRequest, ARepeatedKeyIsFoundInLargeObjects) {
  std::string body = "{";
  for (int i = 0; i < 20'000; ++i) body += "\"k" + std::to_string(i) + "\":1,";
  const std::string distinct = body.substr(0, body.size() - 1) + "}";
  EXPECT_TRUE(std::holds_alternative<nlohmann::json>(gateway::parse_json_body(distinct)));
  for (const std::string& repeated : {std::string("k3"), std::string("k16"), std::string("k19999")}) {
    const auto parsed = gateway::parse_json_body(body + "\"" + repeated + "\":2}");
    ASSERT_TRUE(std::holds_alternative<api_error>(parsed)) << repeated;
    EXPECT_EQ(std::get<api_error>(parsed).field, repeated);
  }
}

// Given but empty is not "absent": "category": "" would send as the default category
// (transactional: no consent, no quiet hours), "send_at": "" at once.
TEST(MessageRequest, AnEmptyCategoryOrSendAtIsRefused) {
  auto e = error_of(R"({"to": "+14155550123", "from": "12345", "text": "x", "category": ""})");
  EXPECT_EQ(e.code, "bad_request");
  EXPECT_EQ(e.field, "category");
  e = error_of(R"({"to": "+14155550123", "from": "12345", "text": "x", "send_at": ""})");
  EXPECT_EQ(e.code, "bad_request");
  EXPECT_EQ(e.field, "send_at");
  auto absent = gateway::parse_message_request_body(
      R"({"to": "+14155550123", "from": "12345", "text": "x", "category": null, "send_at": null})");
  ASSERT_TRUE(std::holds_alternative<message_request>(absent));
  EXPECT_EQ(std::get<message_request>(absent).category, "");
}

TEST(MessageRequest, RegionMustBeTwoLetters) {
  for (const char* region : {"USA", "U", "1A", "U-"}) {
    const auto e = error_of(std::string(R"({"to": "4155550123", "from": "12345", "text": "x", "region": ")") +
                            region + "\"}");
    EXPECT_EQ(e.code, "bad_request") << region;
    EXPECT_EQ(e.field, "region") << region;
    EXPECT_EQ(e.message, "'region' must be a two-letter country code") << region;
  }
}

}  // namespace

#include "gateway/url.hpp"

namespace {

// RFC 9112 3.2.2: a server accepts the absolute form of a request target.
TEST(RequestTarget, AbsoluteFormIsReadAsItsPathAndQuery) {
  EXPECT_EQ(gateway::origin_form("http://127.0.0.1:8080/v1/numbers/%2B1?region=US"), "/v1/numbers/%2B1?region=US");
  EXPECT_EQ(gateway::origin_form("https://gw.example.com/livez"), "/livez");
  EXPECT_EQ(gateway::origin_form("http://gw.example.com"), "/");
  EXPECT_EQ(gateway::origin_form("/v1/messages"), "/v1/messages");
  EXPECT_EQ(gateway::origin_form("*"), "*");
  const auto t = gateway::split_request_target("http://h:1/v1/consents?number=%2B1&category=marketing");
  EXPECT_EQ(t.path, "/v1/consents");
  ASSERT_NE(t.find("number"), nullptr);
  EXPECT_EQ(*t.find("number"), "+1");
}

}  // namespace
