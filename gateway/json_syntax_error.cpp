#include "gateway/json_syntax_error.hpp"

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace gateway {
namespace {

// A SAX consumer that builds nothing and keeps the first syntax error (nlohmann hands it over
// as a value here: nothing is thrown).
struct error_collector : nlohmann::json_sax<nlohmann::json> {
  bool failed = false;
  std::size_t byte = 0;
  std::string what;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    failed = true;
    byte = position;
    what = ex.what();
    return false;
  }
};

// The part of nlohmann's message that says what is wrong: without the "[json.exception...] "
// prefix and "parse error at line 1, column N: syntax error while parsing value - " (the byte is
// given separately), and without the "; last read: '...'" quote of the input (raw body bytes,
// maybe not UTF-8).
std::string reason_of(const std::string& what) {
  std::string reason = what;
  if (reason.starts_with('[')) {
    if (const auto bracket = reason.find("] "); bracket != std::string::npos)
      reason.erase(0, bracket + 2);
  }
  if (const auto dash = reason.find(" - "); dash != std::string::npos) reason.erase(0, dash + 3);
  if (const auto quote = reason.find("; last read: "); quote != std::string::npos)
    reason.erase(quote);
  for (char& c : reason) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return reason;
}

}  // namespace

std::string describe_json_syntax_error(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return "the body is empty; send a JSON object";
  error_collector collector;
  nlohmann::json::sax_parse(body, &collector);
  if (!collector.failed) return "the body is not valid JSON";
  return "the body is not valid JSON at byte " + std::to_string(collector.byte) + ": " +
         reason_of(collector.what);
}

}  // namespace gateway
