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

// A command word that CLI11 only reports as "a subcommand is required": the first word that is
// neither an option nor an option's value nor a command of the level it is at ("frobnicate",
// "consent frob"), or none at a level that needs a command ("queue"). Empty `group` is the top.
struct missing_command {
  bool found = false;
  std::string group;  // "", "consent", "queue", "dead-letters"
  std::string word;   // the unknown word; empty when the command is missing
  std::string names;  // the commands of that level, comma-separated
};

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

missing_command find_missing_command(CLI::App& app, int argc, char** argv) {
  CLI::App* level = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (level == &app && (arg == "--config" || arg == "--now" || arg == "--actor")) {
      ++i;  // its value
      continue;
    }
    if (arg.empty() || arg.front() == '-') continue;
    CLI::App* next = nullptr;
    for (CLI::App* sub : level->get_subcommands([](CLI::App*) { return true; })) {
      if (sub->check_name(arg)) next = sub;
    }
    if (next == nullptr) {
      return {true, level == &app ? std::string() : level->get_name(), arg, command_names(*level)};
    }
    level = next;
    if (level->get_subcommands([](CLI::App*) { return true; }).empty()) return {};  // a command with arguments
  }
  if (level != &app) return {true, level->get_name(), {}, command_names(*level)};
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
    const missing_command m = e.get_exit_code() == 0 ? missing_command{} : find_missing_command(app, argc, argv);
    if (m.found && !m.word.empty()) {
      std::cerr << "smsgwctl: unknown " << (m.group.empty() ? "" : m.group + " ") << "command \"" << m.word
                << "\" (" << (m.group.empty() ? "" : m.group + " ") << "commands: " << m.names << ")\n";
      return smsgwctl::exit_usage;
    }
    if (m.found) {
      std::cerr << "smsgwctl: " << m.group << " needs a command: " << m.names << "\n(run smsgwctl " << m.group
                << " --help)\n";
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
