#include "tools/smsgw_load/http_response_parser.hpp"

#include <charconv>
#include <limits>

namespace smsgw_load {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether a comma-separated header value holds `token` (Connection: keep-alive, close).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

http_response_view bad(std::string why) {
  http_response_view r;
  r.st = http_response_view::state::bad;
  r.error = std::move(why);
  return r;
}

constexpr std::size_t max_head = 64 * 1024;

}  // namespace

http_response_view parse_http_response(std::string_view buf) {
  http_response_view r;
  const auto head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buf.size() > max_head) return bad("response head larger than 64 KiB");
    return r;  // incomplete
  }
  std::string_view head = buf.substr(0, head_end + 2);  // every line ends with CRLF

  // Status line: HTTP/1.x SP 3DIGIT SP reason
  auto eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  bool http11;
  if (line.substr(0, 9) == "HTTP/1.1 ") {
    http11 = true;
  } else if (line.substr(0, 9) == "HTTP/1.0 ") {
    http11 = false;
  } else {
    return bad("not an HTTP/1.x status line");
  }
  if (line.size() < 12 || (line.size() > 12 && line[12] != ' ')) return bad("bad status code");
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return bad("bad status code");
    status = status * 10 + (line[i] - '0');
  }
  if (status < 200) return bad("unexpected informational (1xx) response");
  r.status = status;
  r.keep_alive = http11;

  bool have_length = false;
  std::size_t length = 0;
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad("malformed header line");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || p != value.data() + value.size() || value.empty())
        return bad("bad Content-Length");
      if (have_length && v != length) return bad("conflicting Content-Length headers");
      have_length = true;
      length = v;
    } else if (iequals(name, "transfer-encoding")) {
      return bad("Transfer-Encoding is not supported (smsgw sends Content-Length)");
    } else if (iequals(name, "connection")) {
      if (has_token(value, "close")) r.keep_alive = false;
      else if (has_token(value, "keep-alive")) r.keep_alive = true;
    }
  }
  const bool no_body = status == 204 || status == 304;
  if (no_body) length = 0;
  else if (!have_length) return bad("response without Content-Length");

  const std::size_t body_start = head_end + 4;
  if (buf.size() - body_start < length) return r;  // incomplete
  r.st = http_response_view::state::complete;
  r.body = buf.substr(body_start, length);
  r.size = body_start + length;
  return r;
}

}  // namespace smsgw_load
