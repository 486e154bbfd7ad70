// SMPP codec micro-benchmarks: decode and encode of a typical submit_sm (GSM-7 text of 70
// octets, registered delivery, international addresses) and of its submit_sm_resp.
// Figures: docs/performance.md, section "SMPP codec".

#include <benchmark/benchmark.h>

#include <vector>

#include "smpp/codec.hpp"
#include "smpp/framer.hpp"

namespace {

smpp::submit_sm typical_submit_sm() {
  smpp::submit_sm s;
  s.source_addr_ton = 1;
  s.source_addr_npi = 1;
  s.source_addr = "14155550100";
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = "14155550123";
  s.registered_delivery = 1;
  s.short_message = "Your verification code is 123456. It expires in 10 minutes. Do not sha";
  return s;
}

void BM_EncodeSubmitSm(benchmark::State& state) {
  const smpp::pdu body = typical_submit_sm();
  std::vector<std::uint8_t> out;
  out.reserve(512);
  std::uint32_t seq = 1;
  for (auto _ : state) {
    out.clear();
    auto err = smpp::encode(body, smpp::command_status::esme_rok, seq++, out);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeSubmitSm);

void BM_DecodeSubmitSm(benchmark::State& state) {
  std::vector<std::uint8_t> bytes;
  (void)smpp::encode(typical_submit_sm(), smpp::command_status::esme_rok, 1, bytes);
  for (auto _ : state) {
    auto result = smpp::decode(bytes);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_DecodeSubmitSm);

void BM_FrameAndDecodeSubmitSm(benchmark::State& state) {
  std::vector<std::uint8_t> bytes;
  (void)smpp::encode(typical_submit_sm(), smpp::command_status::esme_rok, 1, bytes);
  for (auto _ : state) {
    auto framed = smpp::next_frame(bytes);
    auto result = smpp::decode(std::span(bytes).first(framed.length));
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrameAndDecodeSubmitSm);

void BM_EncodeSubmitSmResp(benchmark::State& state) {
  const smpp::pdu body = smpp::submit_sm_resp{"5f2c9a1e-0001"};
  std::vector<std::uint8_t> out;
  out.reserve(128);
  for (auto _ : state) {
    out.clear();
    auto err = smpp::encode(body, smpp::command_status::esme_rok, 1, out);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeSubmitSmResp);

void BM_DecodeSubmitSmResp(benchmark::State& state) {
  std::vector<std::uint8_t> bytes;
  (void)smpp::encode(smpp::submit_sm_resp{"5f2c9a1e-0001"}, smpp::command_status::esme_rok, 1, bytes);
  for (auto _ : state) {
    auto result = smpp::decode(bytes);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeSubmitSmResp);

}  // namespace

BENCHMARK_MAIN();
