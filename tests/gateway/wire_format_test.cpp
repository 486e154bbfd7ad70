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
