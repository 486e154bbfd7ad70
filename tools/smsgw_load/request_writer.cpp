#include "tools/smsgw_load/request_writer.hpp"

#include <charconv>

namespace smsgw_load {
namespace {

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, p);
}

// Escapes what JSON requires in a string (the from/category options come from the user).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

void append_message_json(std::string& out, std::string_view to, const message_fields& f, std::uint64_t seq) {
  out += "{\"to\":";
  append_json_string(out, to);
  out += ",\"from\":";
  append_json_string(out, f.from);
  out += ",\"text\":\"Your code is ";
  append_number(out, seq);
  out += '"';
  if (!f.category.empty()) {
    out += ",\"category\":";
    append_json_string(out, f.category);
  }
  out += '}';
}

void write_post(std::string& out, std::string_view host, std::string_view path, std::string_view key,
                std::string_view body) {
  out.clear();
  out += "POST ";
  out += path;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nAuthorization: Bearer ";
  out += key;
  out += "\r\nContent-Type: application/json\r\nContent-Length: ";
  append_number(out, body.size());
  out += "\r\n\r\n";
  out += body;
}

}  // namespace smsgw_load
