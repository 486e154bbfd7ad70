// Arbitrary bytes from a carrier must never crash or hang the text layer. A fixed-seed
// generator keeps the run reproducible; run it under the asan preset to catch memory
// errors (cmake --preset asan && cmake --build build/asan --target smpp_text_tests).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "smpp/delivery_receipt.hpp"
#include "smpp/gsm7.hpp"
#include "smpp/reassembly.hpp"
#include "smpp/segmentation.hpp"
#include "smpp/udh.hpp"
#include "smpp/ucs2.hpp"

namespace {

std::vector<std::uint8_t> random_bytes(std::mt19937& rng, std::size_t max_len) {
  std::uniform_int_distribution<std::size_t> len(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> out(len(rng));
  for (auto& b : out) {
    b = static_cast<std::uint8_t>(byte(rng));
  }
  return out;
}

TEST(TextRobustness, RandomInboundBytes) {
  std::mt19937 rng(20261129);
  smpp::reassembly_options options;
  options.max_pending_messages = 50;
  options.max_bytes = 4096;
  smpp::reassembler r(options);
  auto now = smpp::reassembly_clock::time_point{};
  for (int i = 0; i < 20000; ++i) {
    const auto data = random_bytes(rng, 200);
    const auto dc = static_cast<std::uint8_t>(rng() & 0xFF);
    smpp::text_options text;
    text.data_coding_0 = static_cast<smpp::default_alphabet>(rng() % 4);

    auto decoded = smpp::decode_text(dc, data, text, static_cast<unsigned>(rng() % 7));
    EXPECT_FALSE(smpp::utf8::find_invalid(decoded.text).has_value());  // always valid UTF-8 out

    smpp::received_short_message message;
    message.source = std::to_string(rng() % 4);
    message.destination = "1";
    message.data_coding = dc;
    message.udhi = (rng() & 1) != 0;
    message.user_data = data;
    if (rng() % 8 == 0) {
      message.sar = smpp::sar_values{static_cast<std::uint16_t>(rng() % 3), static_cast<std::uint8_t>(rng() % 4),
                                     static_cast<std::uint8_t>(rng() % 5)};
    }
    auto prepared = smpp::prepare_inbound(message, text);
    if (prepared.part) {
      for (const auto& event : r.add(std::move(*prepared.part), now).events) {
        EXPECT_FALSE(smpp::utf8::find_invalid(event.message.text).has_value());
      }
    }
    now += std::chrono::milliseconds(rng() % 2000);
    if (i % 100 == 0) {
      r.expire(now);
    }
    EXPECT_LE(r.pending_bytes(), options.max_bytes);
    EXPECT_LE(r.pending_messages(), options.max_pending_messages);

    const std::string as_text(data.begin(), data.end());
    auto receipt = smpp::parse_delivery_receipt(as_text);
    (void)receipt;
    auto normalized = smpp::normalize_message_id(as_text, static_cast<smpp::message_id_format>(rng() % 3));
    EXPECT_LE(normalized.size(), as_text.size() + 1);
  }
}

TEST(TextRobustness, RandomOutboundTextNeverBreaksTheLimits) {
  std::mt19937 rng(42);
  const std::vector<std::string> alphabet = {"a", "€", "{", "ж", "😀", "é", "\n", "Ω", " ", "\xFF"};
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const std::size_t n = rng() % 400;
    for (std::size_t k = 0; k < n; ++k) {
      text += alphabet[rng() % (i % 2 == 0 ? alphabet.size() - 1 : alphabet.size())];
    }
    smpp::segmentation_options options;
    options.mode = static_cast<smpp::concatenation>(rng() % 3);  // the splitting modes
    options.text.data_coding_0 = static_cast<smpp::default_alphabet>(rng() % 4);
    options.max_parts = 255;
    auto result = smpp::segment_text(text, static_cast<std::uint16_t>(rng()), options);
    if (result.error) {
      continue;
    }
    for (const auto& part : result.parts) {
      // What the handset receives: at most 140 octets of user data per SMS.
      std::size_t payload_octets = part.short_message.size();
      if (result.encoding == smpp::text_encoding::gsm7 &&
          options.text.data_coding_0 != smpp::default_alphabet::gsm7_packed) {
        const std::size_t udh = part.udhi ? part.short_message[0] + 1U : 0U;
        payload_octets = udh + smpp::gsm7::packed_size(part.units, smpp::gsm7::fill_bits_after_udh(udh));
      }
      if (options.mode == smpp::concatenation::sar && result.parts.size() > 1) {
        payload_octets += 6;  // the UDH the SMSC adds
      }
      EXPECT_LE(payload_octets, 140U) << text;
    }
  }
}

}  // namespace
