// smsgwctl: operator CLI on the configured store (docs/operations.md).
// Exit codes: 0 success, 1 partial (some rows rejected), 2 usage, configuration or store error.

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "common/cli_usage.hpp"
#include "smsgw/version.hpp"
#include "tools/smsgwctl/commands.hpp"
#include "tools/smsgwctl/context.hpp"

namespace {

// The first word that is neither an option nor an option's value nor a command ("frobnicate"),
// for the message when CLI11 only says that a subcommand is required; empty when none.
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" || arg == "--now" || arg == "--actor") {
      ++i;  // its value
      continue;
    }
    if (arg.empty() || arg.front() == '-') continue;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      if (sub->check_name(arg)) return {};
    }
    return arg;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"smsgwctl: operator tool for smsgw (numbers, suppressions, consents, imports, retention)"};
  app.set_version_flag("--version", std::string("smsgwctl ") + smsgw::version);
  app.require_subcommand(1);
  smsgwctl::global_options g;
  app.add_option("--config", g.config_file, "configuration file of the gateway (YAML)")->required();
  app.add_option("--now", g.now, "the current time as RFC 3339 (tests, purge previews); default: the clock");
  app.add_option("--actor", g.actor, "who runs the command, recorded with suppressions and consents; default $USER");

  smsgwctl::command chosen;
  smsgwctl::add_number_commands(app, chosen);
  smsgwctl::add_import_command(app, chosen);
  smsgwctl::add_export_command(app, chosen);
  smsgwctl::add_clean_command(app, chosen);
  smsgwctl::add_maintenance_commands(app, chosen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version (exit code 0) are printed by usage_exit; a word that is no command is
    // answered with the list of commands.
    const std::string word = e.get_exit_code() == 0 ? std::string() : unknown_command(app, argc, argv);
    if (!word.empty()) {
      std::string names;
      for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      std::cerr << "smsgwctl: unknown command \"" << word << "\" (commands: " << names << ")\n";
      return smsgwctl::exit_usage;
    }
    return common::usage_exit(app, e, "smsgwctl");
  }
  if (!chosen.run) {
    std::cerr << "smsgwctl: choose a command (run smsgwctl --help)\n";
    return smsgwctl::exit_usage;
  }
  std::string error;
  auto ctx = smsgwctl::context::open(g, error, chosen.needs_store);
  if (!ctx) {
    std::cerr << error << "\n";
    return smsgwctl::exit_usage;
  }
  try {
    return chosen.run(*ctx);
  } catch (const std::exception& e) {
    std::cerr << "smsgwctl: " << e.what() << "\n";
    return smsgwctl::exit_usage;
  }
}
