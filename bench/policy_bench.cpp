// Policy engine micro-benchmarks. Figures and the command line are in docs/performance.md,
// section "Policy engine".
#include <benchmark/benchmark.h>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <string>
#include <vector>

#include "policy/decision.hpp"
#include "policy/keywords.hpp"
#include "policy/phone_number.hpp"

namespace {

policy::sys_seconds utc(int y, int mo, int d, int h, int mi) {
  return cctz::convert(cctz::civil_second(y, mo, d, h, mi, 0), cctz::utc_time_zone());
}

const std::vector<std::pair<std::string, std::string>>& mixed_numbers() {
  static const std::vector<std::pair<std::string, std::string>> numbers{
      {"+1 (415) 555-0123", ""}, {"(212) 555-0123", "US"},  {"+44 7400 123456", ""},
      {"020 7946 0958", "GB"},   {"+33 6 12 34 56 78", ""}, {"+49 1512 3456789", ""},
      {"+61 412 345 678", ""},   {"+1 514 555 0123", ""},   {"+81 90-1234-5678", ""},
      {"+7 916 123-45-67", ""},
  };
  return numbers;
}

void BM_Evaluate(benchmark::State& state, const char* number, const char* category,
                 policy::sys_seconds now) {
  const policy::policy_config config;
  const policy::phone_number_info to = policy::normalize(number, "");
  const policy::message_request req{&to, "12345", category, "", std::nullopt};
  policy::facts f;
  f.consent_any_sender = true;
  f.cap_counts = {1};
  for (auto _ : state) {
    benchmark::DoNotOptimize(policy::evaluate(req, f, now, config));
  }
}
// Noon and 23:00 in Los Angeles (July).
BENCHMARK_CAPTURE(BM_Evaluate, transactional, "+1 415 555 0123", "transactional",
                  utc(2026, 7, 15, 19, 0));
BENCHMARK_CAPTURE(BM_Evaluate, marketing_allowed, "+1 415 555 0123", "marketing",
                  utc(2026, 7, 15, 19, 0));
BENCHMARK_CAPTURE(BM_Evaluate, marketing_deferred, "+1 415 555 0123", "marketing",
                  utc(2026, 7, 16, 6, 0));
BENCHMARK_CAPTURE(BM_Evaluate, marketing_florida_deferred, "+1 305 555 0123", "marketing",
                  utc(2026, 7, 16, 0, 30));
BENCHMARK_CAPTURE(BM_Evaluate, marketing_russia_16_zones_deferred, "+7 916 123 45 67", "marketing",
                  utc(2026, 7, 15, 12, 0));
BENCHMARK_CAPTURE(BM_Evaluate, marketing_tollfree_42_zones_deferred, "+1 800 555 0123", "marketing",
                  utc(2026, 7, 15, 12, 0));

void BM_Plan(benchmark::State& state) {
  const policy::policy_config config;
  const policy::phone_number_info to = policy::normalize("+1 415 555 0123", "");
  const policy::message_request req{&to, "12345", "marketing", "spring", std::nullopt};
  const auto now = utc(2026, 7, 15, 19, 0);
  for (auto _ : state) benchmark::DoNotOptimize(policy::plan(req, now, config));
}
BENCHMARK(BM_Plan);

void BM_NormalizeUncached(benchmark::State& state, const char* number, const char* hint) {
  for (auto _ : state) benchmark::DoNotOptimize(policy::normalize(number, hint));
}
BENCHMARK_CAPTURE(BM_NormalizeUncached, us_e164, "+14155550123", "");
BENCHMARK_CAPTURE(BM_NormalizeUncached, us_national, "(415) 555-0123", "US");
BENCHMARK_CAPTURE(BM_NormalizeUncached, gb_mobile, "+44 7400 123456", "");
BENCHMARK_CAPTURE(BM_NormalizeUncached, ca_quebec, "+1 514 555 0123", "");
BENCHMARK_CAPTURE(BM_NormalizeUncached, invalid, "+1 123 555 0123", "");

void BM_NormalizeMixedUncached(benchmark::State& state) {
  const auto& numbers = mixed_numbers();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [n, hint] = numbers[i++ % numbers.size()];
    benchmark::DoNotOptimize(policy::normalize(n, hint));
  }
}
BENCHMARK(BM_NormalizeMixedUncached);

void BM_NormalizeMixedCached(benchmark::State& state) {
  policy::number_cache cache(1024);
  const auto& numbers = mixed_numbers();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [n, hint] = numbers[i++ % numbers.size()];
    benchmark::DoNotOptimize(cache.normalize(n, hint));
  }
}
BENCHMARK(BM_NormalizeMixedCached);

void BM_CarrierAddressTon1(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(policy::normalize_address("14155550123", 1, "US"));
}
BENCHMARK(BM_CarrierAddressTon1);

void BM_Keyword(benchmark::State& state, const char* text) {
  const policy::keyword_matcher matcher{};
  for (auto _ : state) benchmark::DoNotOptimize(matcher.match(text, "12345"));
}
BENCHMARK_CAPTURE(BM_Keyword, stop, "STOP");
BENCHMARK_CAPTURE(BM_Keyword, accented_arret, "Arrêt.");
BENCHMARK_CAPTURE(BM_Keyword, revocation, "please stop texting me");
BENCHMARK_CAPTURE(BM_Keyword, ordinary_reply, "Sure, see you at 5pm tomorrow at the store!");
BENCHMARK_CAPTURE(BM_Keyword, ordinary_reply_utf8, "Très bien, à demain à 17h au magasin !");

}  // namespace

BENCHMARK_MAIN();
