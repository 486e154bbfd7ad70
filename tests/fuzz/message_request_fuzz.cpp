// libFuzzer target over the HTTP API's request bodies (POST /v1/messages and /v1/messages/batch).
// The gateway reads flat bodies without building a JSON document (gateway/message_request.cpp);
// every body must get exactly the answer of the document path (nlohmann::json, then
// parse_message_request per object): the same fields or the same error code, field and message.
// Any difference aborts, as does any crash or sanitizer report.
//
// The input is the body itself. Built by the `fuzz` preset (tests/fuzz/CMakeLists.txt) and run
// briefly by tools/fuzz-smoke with the seeds in corpus/message_request/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/message_request.hpp"
#include "tests/gateway/message_request_reference.hpp"

namespace {

using gateway::testing::describe;
using gateway::testing::reference_batch;
using gateway::testing::reference_single;

[[noreturn]] void differ(std::string_view what, std::string_view body, const std::string& fast,
                         const std::string& reference) {
  std::fprintf(stderr, "%.*s differs for body (%zu bytes): %.*s\n  fast path: %s\n  document:  %s\n",
               static_cast<int>(what.size()), what.data(), body.size(), static_cast<int>(body.size()),
               body.data(), fast.c_str(), reference.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const std::string fast = describe(gateway::parse_message_request_body(body));
  const std::string reference = describe(reference_single(body));
  if (fast != reference) differ("single body", body, fast, reference);

  // A batch body the fast path reads must be one the document path accepts, item for item.
  if (const auto items = gateway::parse_batch_items_flat(body)) {
    const auto ref = reference_batch(body);
    if (!ref) differ("batch body", body, "read by the fast path", "refused as a whole");
    if (items->size() != ref->size()) {
      differ("batch item count", body, std::to_string(items->size()), std::to_string(ref->size()));
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
      const std::string a = describe((*items)[i]);
      const std::string b = describe((*ref)[i]);
      if (a != b) differ("batch item " + std::to_string(i), body, a, b);
    }
  }
  return 0;
}
