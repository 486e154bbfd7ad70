#pragma once

// How every smsgw program ends on a command-line parse error (CLI11): --help and --version are
// printed and exit 0; a usage mistake prints "PROGRAM: what" and "(run PROGRAM --help)" on stderr
// and exits 2, like an invalid configuration. CLI11's own codes (105 to 114) would look like a
// crash to a supervisor or a script.

#include <CLI/CLI.hpp>

#include <iostream>
#include <string_view>

namespace common {

inline constexpr int exit_usage = 2;

inline int usage_exit(const CLI::App& app, const CLI::ParseError& e, std::string_view program) {
  if (e.get_exit_code() == 0) return app.exit(e);
  std::cerr << program << ": " << e.what() << "\n(run " << program << " --help)\n";
  return exit_usage;
}

}  // namespace common
