// libFuzzer target over the inbound text layer: UDH parsing, decoding for every
// data_coding, reassembly (bounded memory, timeouts) and delivery-receipt parsing.
// Built by the `fuzz` preset (tests/fuzz/CMakeLists.txt) and run briefly by tools/fuzz-smoke.
//
// Input layout: byte 0 = data_coding, byte 1 = flags (bit 0 UDHI, bits 1-2 data_coding 0
// meaning, bits 3-4 source, bit 5 drop incomplete, bit 6 SAR), byte 2 = SAR ref/total/seq
// seed, rest = user data. The same reassembler lives across inputs so parts meet.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "smpp/delivery_receipt.hpp"
#include "smpp/reassembly.hpp"
#include "smpp/segmentation.hpp"
#include "smpp/ucs2.hpp"

namespace {

smpp::reassembler& shared_reassembler() {
  static smpp::reassembler r([] {
    smpp::reassembly_options o;
    o.max_pending_messages = 64;
    o.max_bytes = 8192;
    return o;
  }());
  return r;
}

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) {
    return 0;
  }
  static auto now = smpp::reassembly_clock::time_point{};
  const std::uint8_t dc = data[0];
  const std::uint8_t flags = data[1];
  const std::uint8_t sar_seed = data[2];
  std::span<const std::uint8_t> user_data(data + 3, size - 3);

  smpp::text_options text;
  text.data_coding_0 = static_cast<smpp::default_alphabet>((flags >> 1) & 0x3);

  smpp::received_short_message message;
  message.source = std::to_string((flags >> 3) & 0x3);
  message.destination = "12345";
  message.data_coding = dc;
  message.udhi = (flags & 0x01) != 0;
  message.user_data = user_data;
  if ((flags & 0x40) != 0) {
    message.sar = smpp::sar_values{static_cast<std::uint16_t>(sar_seed & 0x3),
                                   static_cast<std::uint8_t>((sar_seed >> 2) & 0x7),
                                   static_cast<std::uint8_t>((sar_seed >> 5) & 0x7)};
  }
  auto prepared = smpp::prepare_inbound(message, text);
  check(!smpp::utf8::find_invalid(prepared.text.text).has_value());

  auto& r = shared_reassembler();
  if (prepared.part) {
    for (const auto& event : r.add(std::move(*prepared.part), now).events) {
      check(!smpp::utf8::find_invalid(event.message.text).has_value());
    }
  }
  now += std::chrono::seconds(sar_seed % 8);
  for (const auto& event : r.expire(now)) {
    check(!smpp::utf8::find_invalid(event.message.text).has_value());
  }
  check(r.pending_bytes() <= r.options().max_bytes);
  check(r.pending_messages() <= r.options().max_pending_messages);

  // The same bytes as receipt text, and round-tripped as outbound text when valid.
  const std::string as_text(reinterpret_cast<const char*>(user_data.data()), user_data.size());
  auto receipt = smpp::parse_delivery_receipt(as_text);
  if (!receipt.error) {
    check(!receipt.receipt.message_id.empty());
  }
  smpp::normalize_message_id(as_text, static_cast<smpp::message_id_format>(flags % 3));
  smpp::segmentation_options seg;
  seg.text = text;
  seg.mode = static_cast<smpp::concatenation>(sar_seed & 0x3);
  seg.max_parts = 255;
  auto parts = smpp::segment_text(as_text, sar_seed, seg);
  auto count = smpp::count_segments(as_text, seg);
  check(parts.segments == count.segments && parts.error == count.error);
  return 0;
}
