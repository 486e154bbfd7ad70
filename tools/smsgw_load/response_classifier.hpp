#pragma once

// Turns the gateway's answers into counts: accepted messages and refusals by error code, for
// single requests (202 body or error body) and batches (200 {"results": [...]}). A light scanner
// rather than a JSON library: a batch answer of 100 items is parsed about 1,000 times a second at
// the target rate, on the same two cores as the gateway. It relies only on the documented shapes
// (docs/api.md): an accepted item carries "id", a refused one {"error": {"code": ...}}.
// Pure: no I/O.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace smsgw_load {

struct outcome_counts {
  std::uint64_t accepted = 0;
  std::map<std::string, std::uint64_t, std::less<>> rejected;  // error code -> messages
  std::uint64_t rejected_total() const;
  void merge(const outcome_counts& o);
};

// One message per request: 202 = accepted; otherwise the body's error code (or "http_<status>"
// when the body has none). Adds `messages` (the batch size for a refused batch) to the counts.
void classify_single(int status, std::string_view body, outcome_counts& out);

// A batch answer. Returns the number of items found; for a non-200 answer the whole batch of
// `expected` messages is counted under the body's code (or "http_<status>").
std::uint64_t classify_batch(int status, std::string_view body, std::uint64_t expected, outcome_counts& out);

// The first "code" value of an error body ("" if none).
std::string_view find_error_code(std::string_view body);

}  // namespace smsgw_load
