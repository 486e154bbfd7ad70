// libFuzzer target over the configuration loader (config/load*.cpp): any text as a smsgw.yaml.
// Checks, besides crashes, sanitizer reports and exceptions escaping the loader:
// every diagnostic (error or warning) names the file, a position inside the text (1-based line
// and column, the line at most one past the last) and a message.
//
// Relative paths resolve against a directory that does not exist, so secret files named
// relatively are "cannot read" errors; run with stdin from /dev/null (tools/fuzz-smoke does) so
// that a generated "/dev/stdin" cannot wait for input. Built by the `fuzz` preset and run briefly
// by tools/fuzz-smoke with corpus/config/ (the shipped configurations).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/load.hpp"

namespace {

[[noreturn]] void fail(std::string_view what, const config::diagnostic& d) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(), config::to_string(d).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  const config::load_result r = config::load_config_from_string(text, "fuzz.yaml", "/nonexistent-smsgw-fuzz-dir");
  for (const auto* list : {&r.errors, &r.warnings}) {
    for (const config::diagnostic& d : *list) {
      if (d.file != "fuzz.yaml") fail("diagnostic names another file", d);
      if (d.line < 1 || d.column < 1 || d.line > lines + 1) fail("diagnostic outside the text", d);
      if (d.message.empty()) fail("diagnostic without a message", d);
    }
  }
  return 0;
}
