// smpp-decode: reads hex on stdin (whitespace, "0x" prefixes and '#' comments tolerated, several
// PDUs in a row), prints each PDU as JSON on stdout using the codec's field tables. Errors go to
// stderr naming the field; exit status 1 if anything failed to decode.

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/framer.hpp"
#include "smpp/pdu_print.hpp"

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex(const std::string& text, std::vector<std::uint8_t>& out, std::string& problem) {
  int high = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#') {  // comment to end of line
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':' || c == ',') continue;
    if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X') && high < 0) {
      ++i;
      continue;
    }
    const int v = hex_value(c);
    if (v < 0) {
      problem = std::string("not a hex digit: '") + c + "' at offset " + std::to_string(i);
      return false;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) {
    problem = "odd number of hex digits";
    return false;
  }
  return true;
}

void print_usage() {
  std::cout << "usage: smpp-decode [--compact] < hex\n"
               "Decodes SMPP 3.4 PDUs given as hex on stdin (several in a row allowed) and prints\n"
               "each as JSON. Errors go to stderr naming the field; exit 1 on any error.\n";
}

}  // namespace

int main(int argc, char** argv) {
  bool pretty = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--compact") {
      pretty = false;
    } else if (arg == "-h" || arg == "--help") {
      print_usage();
      return 0;
    } else {
      std::cerr << "smpp-decode: unknown argument " << arg << "\n";
      print_usage();
      return 2;
    }
  }

  const std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::vector<std::uint8_t> bytes;
  std::string problem;
  if (!parse_hex(text, bytes, problem)) {
    std::cerr << "smpp-decode: " << problem << "\n";
    return 1;
  }

  // Accept any length the 32-bit field can express: this is an inspection tool.
  const smpp::framer_options options{.max_command_length = 0xFFFFFFFFU};
  std::span<const std::uint8_t> rest(bytes);
  std::size_t offset = 0;
  int status = 0;
  int index = 0;
  while (!rest.empty()) {
    auto framed = smpp::next_frame(rest, options);
    if (framed.status == smpp::frame_status::need_more) {
      std::cerr << "smpp-decode: PDU " << index << " at offset " << offset << ": truncated, "
                << rest.size() << " bytes left, " << framed.needed << " needed\n";
      return 1;
    }
    if (framed.status == smpp::frame_status::error && framed.error.fatal) {
      std::cerr << "smpp-decode: PDU " << index << " at offset " << offset << ": "
                << make_error_code(framed.error.code).message() << " (field "
                << framed.error.field << ", command_length " << framed.header.command_length << ")\n";
      return 1;
    }
    auto result = smpp::decode(rest.first(framed.length));
    if (result.ok()) {
      std::cout << smpp::to_json(result.value, pretty) << "\n";
    } else {
      char id[16];
      std::snprintf(id, sizeof id, "0x%08x", result.header.command_id);
      std::cerr << "smpp-decode: PDU " << index << " at offset " << offset << " (command_id " << id
                << " " << smpp::to_string(static_cast<smpp::command_id>(result.header.command_id))
                << ", sequence_number " << result.header.sequence_number
                << "): " << make_error_code(result.error.code).message() << " in field "
                << result.error.field << "; would answer "
                << smpp::to_string(result.error.status_to_answer) << "\n";
      status = 1;
    }
    rest = rest.subspan(framed.length);
    offset += framed.length;
    ++index;
  }
  return status;
}
