#include <gtest/gtest.h>

#include <string>

#include "tools/smsgw_load/http_response_parser.hpp"

using smsgw_load::http_response_view;
using smsgw_load::parse_http_response;
using state = http_response_view::state;


TEST(HttpResponseParser, CompleteResponse) {
  const std::string r = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 32\r\n\r\n"
                        "{\"id\":\"msg_1\",\"status\":\"queued\"}";
  auto v = parse_http_response(r);
  ASSERT_EQ(v.st, state::complete) << v.error;
  EXPECT_EQ(v.status, 202);
  EXPECT_TRUE(v.keep_alive);
  EXPECT_EQ(v.body, "{\"id\":\"msg_1\",\"status\":\"queued\"}");
  EXPECT_EQ(v.size, r.size());
  // One byte short of the body: incomplete, not a truncated body.
  EXPECT_EQ(parse_http_response(std::string_view(r).substr(0, r.size() - 1)).st, state::incomplete);
}

// Every split point: incomplete until the last byte, then the same answer.
TEST(HttpResponseParser, IncompleteAtEveryByte) {
  const std::string r = "HTTP/1.1 422 Unprocessable Entity\r\ncontent-length: 11\r\nServer: x\r\n\r\n{\"error\":1}";
  for (std::size_t n = 0; n < r.size(); ++n) {
    auto v = parse_http_response(std::string_view(r).substr(0, n));
    EXPECT_EQ(v.st, state::incomplete) << n;
  }
  auto v = parse_http_response(r);
  ASSERT_EQ(v.st, state::complete);
  EXPECT_EQ(v.status, 422);
  EXPECT_EQ(v.body, "{\"error\":1}");
}

TEST(HttpResponseParser, ReportsSizeWhenMoreBytesFollow) {
  const std::string one = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  auto v = parse_http_response(one + "HTTP/1.1 200 OK\r\n");
  ASSERT_EQ(v.st, state::complete);
  EXPECT_EQ(v.size, one.size());
}

TEST(HttpResponseParser, ConnectionHeader) {
  auto close = parse_http_response("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(close.st, state::complete);
  EXPECT_FALSE(close.keep_alive);
  auto http10 = parse_http_response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(http10.keep_alive);
  auto http10_ka = parse_http_response("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(http10_ka.keep_alive);
  auto tokens = parse_http_response("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(tokens.keep_alive);
}

TEST(HttpResponseParser, NoBodyStatuses) {
  auto v = parse_http_response("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(v.st, state::complete);
  EXPECT_TRUE(v.body.empty());
}

TEST(HttpResponseParser, RefusesWhatItCannotFrame) {
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n").st,
            state::bad);
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\n\r\nbody").st, state::bad);  // no length
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok").st, state::bad);
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok").st,
            state::bad);
  EXPECT_EQ(parse_http_response("HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n").st, state::bad);
  EXPECT_EQ(parse_http_response("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n").st, state::bad);
  EXPECT_EQ(parse_http_response("HTTP/1.1 100 Continue\r\n\r\n").st, state::bad);
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n").st, state::bad);
  EXPECT_EQ(parse_http_response(std::string(70 * 1024, 'a')).st, state::bad);
}

TEST(HttpResponseParser, DuplicateEqualContentLengthIsAccepted) {
  auto v = parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(v.st, state::complete);
}

TEST(HttpResponseParser, StatusLineWithoutReason) {
  auto v = parse_http_response("HTTP/1.1 202\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(v.st, state::complete);
  EXPECT_EQ(v.status, 202);
}
