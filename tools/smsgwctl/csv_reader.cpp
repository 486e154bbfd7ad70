#include "tools/smsgwctl/csv_reader.hpp"

#include <algorithm>

namespace smsgwctl {

csv_reader::csv_reader(std::istream& in, char delimiter, std::size_t max_record_bytes)
    : in_(in), delim_(delimiter), max_bytes_(max_record_bytes), buf_(64 * 1024) {}

int csv_reader::peek() {
  if (pos_ == len_) {
    in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    len_ = static_cast<std::size_t>(in_.gcount());
    pos_ = 0;
    if (len_ == 0) return -1;
  }
  return static_cast<unsigned char>(buf_[pos_]);
}

int csv_reader::get() {
  int c = peek();
  if (c >= 0) {
    ++pos_;
    ++consumed_;
  }
  return c;
}

void csv_reader::skip_rest_of_line() {
  for (;;) {
    int c = get();
    if (c < 0) return;
    if (c == '\n') {
      ++line_;
      return;
    }
    if (c == '\r') {
      if (peek() == '\n') get();
      ++line_;
      return;
    }
  }
}

csv_reader::status csv_reader::next(csv_record& out, std::string& error_message) {
  if (!started_) {
    started_ = true;
    // UTF-8 byte order mark (Excel writes one).
    if (peek() == 0xEF) {
      get();
      if (peek() == 0xBB) get();
      if (peek() == 0xBF) get();
    }
  }
  for (;;) {
    out.fields.clear();
    out.line = line_;
    if (peek() < 0) return status::end;
    std::string field;
    std::size_t size = 0;
    bool quoted = false;      // inside a quoted field
    bool was_quoted = false;  // the current field started with a quote
    bool any = false;         // something other than the line end was read
    for (;;) {
      int c = get();
      if (c < 0) {
        if (quoted) {
          error_message = "unterminated quoted field (opened on line " + std::to_string(out.line) + ")";
          return status::error;
        }
        break;
      }
      if (++size > max_bytes_) {
        error_message = "record longer than " + std::to_string(max_bytes_) + " bytes";
        if (c != '\n' && c != '\r') skip_rest_of_line();
        return status::error;
      }
      if (quoted) {
        if (c == '"') {
          if (peek() == '"') {
            get();
            field += '"';
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n' || (c == '\r' && peek() != '\n')) ++line_;
          field += static_cast<char>(c);
        }
        continue;
      }
      if (c == '\n' || c == '\r') {
        if (c == '\r' && peek() == '\n') get();
        ++line_;
        break;
      }
      any = true;
      if (c == delim_) {
        out.fields.push_back(std::move(field));
        field.clear();
        was_quoted = false;
        continue;
      }
      if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
        continue;
      }
      if (was_quoted && (c == ' ' || c == '\t')) continue;  // spaces after a closing quote
      if (was_quoted) {
        error_message = "unexpected character after a closing quote";
        skip_rest_of_line();
        return status::error;
      }
      field += static_cast<char>(c);
    }
    if (!any && !was_quoted && out.fields.empty()) continue;  // empty line
    out.fields.push_back(std::move(field));
    const bool blank = std::all_of(out.fields.begin(), out.fields.end(), [](const std::string& f) {
      return std::all_of(f.begin(), f.end(), [](char ch) { return ch == ' ' || ch == '\t'; });
    });
    if (blank && out.fields.size() == 1) continue;  // whitespace-only line
    return status::record;
  }
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace smsgwctl
