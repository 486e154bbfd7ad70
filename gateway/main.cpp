#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "common/cli_usage.hpp"
#include "config/load.hpp"
#include "gateway/service.hpp"
#include "smsgw/version.hpp"

namespace {

// `smsgw --check-config FILE`: nothing on stdout and exit 0 when the file is valid (warnings go
// to stderr), else one "FILE:LINE:COL: message" line per error on stderr and exit 2.
int check_config(const std::string& file) {
  config::load_result result = config::load_config(file);
  if (!result.ok()) {
    for (const auto& e : result.errors) std::cerr << config::to_string(e) << '\n';
    return 2;
  }
  for (const auto& w : result.warnings) {
    std::cerr << w.file << ':' << w.line << ':' << w.column << ": warning: " << w.message << '\n';
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"smsgw: SMS gateway with built-in compliance"};
  app.set_version_flag("--version", std::string("smsgw ") + smsgw::version);
  std::string config_file;
  app.add_option("--config", config_file, "configuration file (YAML)");
  std::string check_file;
  app.add_option("--check-config", check_file,
                 "validate a configuration file and exit: 0 if valid, 2 with FILE:LINE:COL errors");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return common::usage_exit(app, e, "smsgw");
  }

  if (!check_file.empty()) return check_config(check_file);

  if (config_file.empty()) {
    std::cerr << "smsgw: --config FILE is required (see config/smsgw.yaml)\n";
    return 2;
  }
  return gateway::run_service(config_file);
}
