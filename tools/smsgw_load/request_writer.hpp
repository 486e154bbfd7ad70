#pragma once

// Builds the bytes of the load's HTTP requests: POST /v1/messages (one message) and
// POST /v1/messages/batch (N messages), keep-alive, with a bearer key. Pure.

#include <cstdint>
#include <string>
#include <string_view>

namespace smsgw_load {

struct message_fields {
  std::string_view from;
  std::string_view category;  // empty: the gateway's default category
};

// Appends one message object ({"to":..., "from":..., "text":..., "category":...}) to `out`.
// `to` and `from` are written as given (digits and '+' only need no escaping); the text is a
// short GSM-7 text carrying `seq` so that messages differ.
void append_message_json(std::string& out, std::string_view to, const message_fields& f, std::uint64_t seq);

// Replaces `out` with a complete request: request line, Host, Authorization, Content-Type,
// Content-Length, then the body.
void write_post(std::string& out, std::string_view host, std::string_view path, std::string_view key,
                std::string_view body);

}  // namespace smsgw_load
