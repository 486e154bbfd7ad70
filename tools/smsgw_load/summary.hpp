#pragma once

// The JSON summary smsgw-load prints on stdout (docs/performance.md describes the fields).

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "tools/smsgw_load/load_driver.hpp"
#include "tools/smsgw_load/options.hpp"

namespace smsgw_load {

struct end_to_end {
  bool complete = false;          // the simulator received every accepted message in time
  std::uint64_t submitted = 0;    // submit_sm_ok seen by the simulator during the run
  double seconds = 0;             // start of the load -> the simulator had them all (or timeout)
};

// Latencies in milliseconds; rates over `seconds` (start -> last answer).
nlohmann::json make_summary(const options& o, const driver_result& r, double seconds,
                            const std::optional<end_to_end>& e2e);

}  // namespace smsgw_load
