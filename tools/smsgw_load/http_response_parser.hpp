#pragma once

// A minimal HTTP/1.1 response parser for the load generator: status line, headers, and a body
// framed by Content-Length. smsgw (Beast, prepare_payload) always sends Content-Length and never
// chunked encoding, so Transfer-Encoding is refused as an error rather than half supported.
// Stateless over a contiguous buffer: call it again with more bytes after `incomplete`.
// Pure: no I/O.

#include <cstddef>
#include <string>
#include <string_view>

namespace smsgw_load {

struct http_response_view {
  enum class state { incomplete, complete, bad };
  state st = state::incomplete;
  int status = 0;
  bool keep_alive = true;      // false: the server closes after this response
  std::size_t size = 0;        // whole message (head + body) when complete
  std::string_view body;       // points into the input when complete
  std::string error;           // when bad
};

// Parses the response at the start of `buf`. Responses to HEAD are not supported (not used).
http_response_view parse_http_response(std::string_view buf);

}  // namespace smsgw_load
