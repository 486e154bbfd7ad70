// libFuzzer target over the SMPP byte path: framer -> decode -> (printer, error response) and,
// for every PDU that decodes, encode -> the same bytes -> decode -> the same struct.
// Any mismatch aborts, so libFuzzer reports it like a crash.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/framer.hpp"
#include "smpp/pdu_print.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void one_pdu(std::span<const std::uint8_t> bytes) {
  auto result = smpp::decode(bytes);
  if (!result.ok()) {
    check(!result.error.field.empty());
    check(result.error.status_to_answer != smpp::command_status::esme_rok);
    if (auto answer = smpp::error_response(result.header, result.error)) {
      std::vector<std::uint8_t> out;
      check(!smpp::encode(*answer, out));
      check(smpp::decode(out).ok());
    }
    return;
  }
  (void)smpp::to_json(result.value, true);

  std::vector<std::uint8_t> out;
  auto err = smpp::encode(result.value, out);
  check(!err);
  // Byte-exact re-encoding, except a header-only response: it decodes to the default body and
  // re-encodes with its (empty) mandatory fields.
  const bool header_only_response =
      bytes.size() == smpp::header_size && smpp::is_response(smpp::id_of(result.value.body));
  if (!header_only_response) {
    check(out.size() == bytes.size());
    check(std::equal(out.begin(), out.end(), bytes.begin()));
  }
  auto again = smpp::decode(out);
  check(again.ok());
  check(again.value == result.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks a small or the default maximum command_length so both paths get hit.
  smpp::framer_options options;
  if (size > 0 && (data[0] & 1) != 0) options.max_command_length = 64;
  std::span<const std::uint8_t> rest(data, size);
  // Also decode the raw input as one PDU: decode() must be safe on any span, framed or not.
  (void)smpp::decode(rest);
  while (!rest.empty()) {
    auto framed = smpp::next_frame(rest, options);
    if (framed.status == smpp::frame_status::need_more) {
      check(framed.needed > rest.size());
      break;
    }
    if (framed.status == smpp::frame_status::error) {
      check(framed.error.status_to_answer != smpp::command_status::esme_rok);
      (void)smpp::error_response(framed.header, framed.error);
      if (framed.error.fatal) break;
    } else {
      check(framed.length >= smpp::header_size && framed.length <= rest.size());
      one_pdu(rest.first(framed.length));
    }
    check(framed.length > 0);
    rest = rest.subspan(framed.length);
  }
  return 0;
}
