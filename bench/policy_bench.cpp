// Policy engine micro-benchmarks. Figures and the command line are in docs/performance.md,
// section "Policy engine".
#include <benchmark/benchmark.h>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <array>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "policy/decision.hpp"
#include "policy/fast_number.hpp"
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

// The fast path compiles libphonenumber's metadata at first use: not part of a benchmark.
const bool metadata_loaded = policy::normalize("+14155550123", "").valid;

void BM_NormalizeUncached(benchmark::State& state, const char* number, const char* hint) {
  for (auto _ : state) benchmark::DoNotOptimize(policy::normalize(number, hint));
}
BENCHMARK_CAPTURE(BM_NormalizeUncached, us_e164, "+14155550123", "");
BENCHMARK_CAPTURE(BM_NormalizeUncached, us_national, "(415) 555-0123", "US");
BENCHMARK_CAPTURE(BM_NormalizeUncached, gb_mobile, "+44 7400 123456", "");
BENCHMARK_CAPTURE(BM_NormalizeUncached, ca_quebec, "+1 514 555 0123", "");
BENCHMARK_CAPTURE(BM_NormalizeUncached, invalid, "+1 123 555 0123", "");
BENCHMARK_CAPTURE(BM_NormalizeUncached, letters_library, "1-800-FLOWERS", "US");

// Distinct numbers, so that no cache can help: 200,000 generated numbers of a form, each used
// once per pass (a benchmark run uses far fewer than a pass at the fast path's speed).
enum class number_form { us_e164, mixed_e164, national, carrier_ton1 };

std::vector<std::pair<std::string, std::string>> distinct_numbers(number_form form) {
  std::mt19937_64 rng(42);
  const auto digits = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  const auto exchange = [&] { return std::to_string(200 + rng() % 800); };  // NXX: 200-999
  static const std::array<const char*, 12> us_areas{"415", "212", "305", "713", "312", "206",
                                                   "617", "404", "702", "503", "907", "808"};
  // (calling code, national prefix of mobiles, remaining digits, region) of 10 countries.
  struct mobile { const char* cc; const char* prefix; std::size_t rest; const char* region; };
  static const std::array<mobile, 10> mobiles{{{"44", "74", 8, "GB"}, {"33", "6", 8, "FR"},
      {"49", "151", 8, "DE"}, {"61", "4", 8, "AU"}, {"81", "90", 8, "JP"}, {"7", "9", 9, "RU"},
      {"91", "9", 9, "IN"}, {"55", "119", 8, "BR"}, {"34", "6", 8, "ES"}, {"1", "514", 7, "CA"}}};
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(200'000);
  for (std::size_t i = 0; i < 200'000; ++i) {
    const std::string area = us_areas[rng() % us_areas.size()];
    const mobile& m = mobiles[rng() % mobiles.size()];
    std::string rest = digits(m.rest);
    if (std::string_view(m.cc) == "1") rest[0] = static_cast<char>('2' + rng() % 8);
    switch (form) {
      case number_form::us_e164:
        out.emplace_back("+1" + area + exchange() + digits(4), "");
        break;
      case number_form::mixed_e164:
        out.emplace_back(std::string("+") + m.cc + m.prefix + rest, "");
        break;
      case number_form::national:
        out.emplace_back("(" + area + ") " + exchange() + "-" + digits(4), "US");
        break;
      case number_form::carrier_ton1:
        out.emplace_back(std::string(m.cc) + m.prefix + rest, "US");
        break;
    }
  }
  return out;
}

void BM_NormalizeDistinct(benchmark::State& state, number_form form, bool library) {
  const auto numbers = distinct_numbers(form);
  std::size_t i = 0;
  std::size_t valid = 0;
  for (auto _ : state) {
    const auto& [n, hint] = numbers[i++ % numbers.size()];
    policy::phone_number_info info;
    if (form == number_form::carrier_ton1) {
      info = policy::normalize_address(n, 1, hint);
    } else if (library) {
      info = policy::detail::normalize_with_library(n, hint);
    } else {
      info = policy::normalize(n, hint);
    }
    valid += info.valid ? 1 : 0;
    benchmark::DoNotOptimize(info);
  }
  state.counters["valid"] = benchmark::Counter(static_cast<double>(valid) / static_cast<double>(i));
}
BENCHMARK_CAPTURE(BM_NormalizeDistinct, us_e164, number_form::us_e164, false);
BENCHMARK_CAPTURE(BM_NormalizeDistinct, mixed_e164_10_countries, number_form::mixed_e164, false);
BENCHMARK_CAPTURE(BM_NormalizeDistinct, us_national, number_form::national, false);
BENCHMARK_CAPTURE(BM_NormalizeDistinct, carrier_ton1_10_countries, number_form::carrier_ton1,
                  false);
BENCHMARK_CAPTURE(BM_NormalizeDistinct, mixed_e164_library, number_form::mixed_e164, true);

// The fast path's share alone (no geocoder, jurisdiction or time zones).
void BM_FastCoreDistinct(benchmark::State& state, number_form form) {
  const auto numbers = distinct_numbers(form);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [n, hint] = numbers[i++ % numbers.size()];
    benchmark::DoNotOptimize(policy::detail::fast_core(n, hint.empty() ? "ZZ" : hint));
  }
}
BENCHMARK_CAPTURE(BM_FastCoreDistinct, us_e164, number_form::us_e164);
BENCHMARK_CAPTURE(BM_FastCoreDistinct, mixed_e164_10_countries, number_form::mixed_e164);

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

// number_cache with distinct numbers: every call a miss (normalize + insert + eviction).
void BM_NumberCacheMissDistinct(benchmark::State& state) {
  policy::number_cache cache(10'000);
  const auto numbers = distinct_numbers(number_form::mixed_e164);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [n, hint] = numbers[i++ % numbers.size()];
    benchmark::DoNotOptimize(cache.normalize(n, hint));
  }
}
BENCHMARK(BM_NumberCacheMissDistinct);

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
