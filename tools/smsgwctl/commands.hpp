#pragma once

// smsgwctl command groups. Each add_* registers its CLI11 subcommands on `app`; when one of them
// is chosen on the command line, its callback stores the work to do in `run` (called by main
// once the context is open). docs/operations.md documents every command.

#include <functional>

namespace CLI {
class App;
}

namespace smsgwctl {

class context;

struct command {
  std::function<int(context&)> run;
  bool needs_store = true;  // false: configuration only (clean --offline)
};

void add_number_commands(CLI::App& app, command& chosen);       // lookup, suppress, unsuppress, consent
void add_import_command(CLI::App& app, command& chosen);        // import suppressions|dnc|consents
void add_export_command(CLI::App& app, command& chosen);        // export suppressions|consents
void add_clean_command(CLI::App& app, command& chosen);         // clean
void add_maintenance_commands(CLI::App& app, command& chosen);  // purge, erase, queue, dead-letters

}  // namespace smsgwctl
