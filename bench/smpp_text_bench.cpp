// Micro-benchmarks of the SMPP text layer (figures in docs/performance.md).
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "smpp/delivery_receipt.hpp"
#include "smpp/reassembly.hpp"
#include "smpp/segmentation.hpp"

namespace {

std::string two_part_gsm7() {
  std::string text;
  while (text.size() < 250) {
    text += "Your order #42 has shipped {tracking: ABC} ";
  }
  return text.substr(0, 250);
}

std::string two_part_ucs2() {
  std::string text;
  for (int i = 0; i < 12; ++i) {
    text += "Привет 😀 ";  // 10 UTF-16 units each
  }
  return text;
}

void BM_SegmentGsm7TwoParts(benchmark::State& state) {
  const std::string text = two_part_gsm7();
  smpp::segmentation_options options;
  options.text.data_coding_0 = static_cast<smpp::default_alphabet>(state.range(0));
  std::uint16_t ref = 0;
  for (auto _ : state) {
    auto result = smpp::segment_text(text, ref++, options);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_SegmentGsm7TwoParts)
    ->Arg(static_cast<int>(smpp::default_alphabet::gsm7_unpacked))
    ->Arg(static_cast<int>(smpp::default_alphabet::gsm7_packed));

void BM_SegmentUcs2TwoParts(benchmark::State& state) {
  const std::string text = two_part_ucs2();
  smpp::segmentation_options options;
  for (auto _ : state) {
    auto result = smpp::segment_text(text, 1, options);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_SegmentUcs2TwoParts);

void BM_CountSegmentsGsm7TwoParts(benchmark::State& state) {
  const std::string text = two_part_gsm7();
  smpp::segmentation_options options;
  for (auto _ : state) {
    auto result = smpp::count_segments(text, options);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CountSegmentsGsm7TwoParts);

void BM_ParseDeliveryReceipt(benchmark::State& state) {
  const std::string text =
      "id:0123456789 sub:001 dlvrd:001 submit date:2301011230 done date:2301011231 stat:DELIVRD err:000 "
      "text:Your order #42 has";
  for (auto _ : state) {
    auto result = smpp::parse_delivery_receipt(text);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ParseDeliveryReceipt);

void BM_ReassembleTwoParts(benchmark::State& state) {
  const std::string text = two_part_gsm7();
  auto parts = smpp::segment_text(text, 7, {});
  smpp::reassembler r;
  const auto now = smpp::reassembly_clock::time_point{};
  std::uint16_t ref = 0;
  for (auto _ : state) {
    ++ref;
    for (const auto& p : parts.parts) {
      smpp::received_short_message message;
      message.source = "+14155550123";
      message.destination = "12345";
      message.udhi = p.udhi;
      message.user_data = p.short_message;
      auto prepared = smpp::prepare_inbound(message);
      prepared.part->key.reference = ref;
      auto added = r.add(std::move(*prepared.part), now);
      benchmark::DoNotOptimize(added);
    }
  }
}
BENCHMARK(BM_ReassembleTwoParts);

}  // namespace

BENCHMARK_MAIN();
