#pragma once

// Loading and validating a configuration file. Every problem is collected (not only the first)
// as a diagnostic with a 1-based position, printed as "FILE:LINE:COL: message".

#include <string>
#include <string_view>
#include <vector>

#include "config/gateway_config.hpp"

namespace config {

struct diagnostic {
  std::string file;
  int line = 1;    // 1-based
  int column = 1;  // 1-based
  std::string message;
  bool operator==(const diagnostic&) const = default;
};

// "FILE:LINE:COL: message"
std::string to_string(const diagnostic& d);

struct load_result {
  gateway_config config;               // complete with defaults; meaningful only when ok()
  std::vector<diagnostic> errors;      // in file order
  std::vector<diagnostic> warnings;    // allowed but worth a look (plain-text keys, ...)
  bool ok() const noexcept { return errors.empty(); }
};

// Reads and validates `path`. Relative paths inside resolve against the file's directory;
// secret files (key_file, password_file, secret_file) are read now.
load_result load_config(const std::string& path);

// Same from text: `display_name` is the file name used in diagnostics, `base_dir` the directory
// relative paths resolve against (made absolute against the current directory).
load_result load_config_from_string(std::string_view text, const std::string& display_name,
                                    const std::string& base_dir);

}  // namespace config
