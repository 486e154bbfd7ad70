#pragma once

#include <string>

namespace gateway {

// Runs the gateway with the configuration file `config_path` until SIGTERM/SIGINT (drain, then
// exit 0). SIGHUP and POST /admin/reload reload the configuration. Returns the process exit
// code: 0 after a clean shutdown, 1 when start-up failed (the reason is logged), 2 for an
// invalid configuration (FILE:LINE:COL lines on stderr).
int run_service(const std::string& config_path);

}  // namespace gateway
