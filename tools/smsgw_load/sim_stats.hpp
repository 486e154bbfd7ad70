#pragma once

// smsc-sim's GET /stats, read with a blocking HTTP/1.1 request (used before and after the load,
// never on the hot path).

#include <cstdint>
#include <optional>
#include <string>

#include "tools/smsgw_load/options.hpp"

namespace smsgw_load {

// submit_sm_ok of the simulator (submit_sm it acknowledged with ESME_ROK); nullopt with `error`
// set when the simulator could not be asked.
std::optional<std::uint64_t> read_sim_submitted(const http_url& sim, std::string* error);

}  // namespace smsgw_load
