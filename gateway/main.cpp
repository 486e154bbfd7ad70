#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "smsgw/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"smsgw: SMS gateway with built-in compliance"};
  app.set_version_flag("--version", std::string("smsgw ") + smsgw::version);
  std::string config_file;
  app.add_option("--config", config_file, "configuration file (YAML)");
  CLI11_PARSE(app, argc, argv);

  // The service itself (HTTP API, carrier links) is not built yet: say so instead of pretending.
  std::cerr << "smsgw " << smsgw::version
            << ": the gateway service is not implemented yet (see README.md, 'Status')\n";
  return 3;
}
