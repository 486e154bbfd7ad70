#pragma once

// The load loop of one I/O thread (no Asio in this header). Closed loop: every connection sends
// its next request as soon as the previous answer arrived. Open loop: request r is due at its
// intended time (load_plan::intended_offset_ns); a free connection waits for it, or sends at once
// when it is already late, and the latency is measured from the intended time, so a stall of the
// server (or of the client) shows in the percentiles instead of silently lowering the rate
// (coordinated omission corrected, as wrk2 does). With every connection busy, due requests wait:
// --concurrency bounds what is in flight, not what is due.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/smsgw_load/histogram.hpp"
#include "tools/smsgw_load/load_plan.hpp"
#include "tools/smsgw_load/number_generator.hpp"
#include "tools/smsgw_load/response_classifier.hpp"

namespace smsgw_load {

struct driver_settings {
  std::string address;  // numeric address of the gateway
  std::uint16_t port = 0;
  std::string host_header;  // "127.0.0.1:8080"
  std::string path;         // "/v1/messages" or "/v1/messages/batch"
  std::string key;
  std::string from;
  std::string category;
  load_plan plan;
  std::uint64_t first_index = 0;  // number index of message 0
  unsigned connections = 1;       // of this thread
  unsigned thread_index = 0;
  unsigned thread_count = 1;
  std::chrono::steady_clock::time_point start;     // common to every thread
  std::chrono::steady_clock::time_point deadline;  // everything still in flight then is an error
  bool keep_samples = false;                       // fill driver_result::samples (--latency-log)
};

// One answered request: when it was (meant to be) sent, from the start of the run, and its latency.
struct latency_sample {
  std::uint64_t sent_ns = 0;
  std::uint64_t latency_ns = 0;
};

struct driver_result {
  histogram latency;  // per request, ns
  outcome_counts outcomes;
  std::uint64_t requests_sent = 0;
  std::uint64_t responses = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t http_errors = 0;  // requests without a usable answer (I/O, protocol, deadline)
  std::uint64_t connects = 0;
  std::string first_error;
  std::chrono::steady_clock::time_point last_response;
  std::vector<latency_sample> samples;  // only with driver_settings::keep_samples

  void merge(const driver_result& o);
};

// Runs this thread's share of the plan to completion (or the deadline) and returns its counts.
driver_result run_driver(const driver_settings& s, const number_generator& numbers);

}  // namespace smsgw_load
