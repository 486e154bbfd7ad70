#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tools/smsgw_load/http_response_parser.hpp"
#include "tools/smsgw_load/request_writer.hpp"

using namespace smsgw_load;

TEST(RequestWriter, ByteExactSingleRequest) {
  std::string body;
  append_message_json(body, "+14155550123", {"12345", ""}, 7);
  EXPECT_EQ(body, R"({"to":"+14155550123","from":"12345","text":"Your code is 7"})");
  std::string req;
  write_post(req, "127.0.0.1:8080", "/v1/messages", "dev-key", body);
  EXPECT_EQ(req,
            "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer dev-key\r\n"
            "Content-Type: application/json\r\nContent-Length: 60\r\n\r\n" + body);
}

TEST(RequestWriter, CategoryAndEscaping) {
  std::string body;
  append_message_json(body, "+447123456789", {"Ac\"me\\", "mark\neting"}, 12345678901234ull);
  const auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["from"], "Ac\"me\\");
  EXPECT_EQ(j["category"], "mark\neting");
  EXPECT_EQ(j["text"], "Your code is 12345678901234");
}

TEST(RequestWriter, ReplacesPreviousContent) {
  std::string req = "garbage";
  write_post(req, "h", "/p", "k", "{}");
  EXPECT_EQ(req.substr(0, 12), "POST /p HTTP");
  EXPECT_EQ(req.substr(req.size() - 6), "\r\n\r\n{}");
}
