// The fast number path against libphonenumber: generated numbers of every region and
// non-geographic calling code, valid and invalid, in international, national, IDD and carrier
// forms; every answer of the fast path (E.164, validity, type, region, parse and length errors)
// must equal the library's. docs/policy.md, "Cost: the fast path".
//
// SMSGW_NUMBER_DIFF_COUNT sets the number of generated inputs (default 100,000; the ctest
// `policy_number_differential_1m`, label `differential`, runs 1,000,000), SMSGW_NUMBER_DIFF_SEED
// the seed, SMSGW_NUMBER_DIFF_THREADS the threads (default 2).
#include <gtest/gtest.h>
#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <list>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "policy/fast_number.hpp"
#include "policy/fast_number_geocoder.hpp"
#include "policy/fast_number_zones.hpp"
#include "policy/number_metadata.hpp"
#include "policy/phone_number.hpp"
#include "policy/timezone_table.hpp"

namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace {

namespace pn = i18n::phonenumbers;
using policy::detail::fast_core;
using policy::detail::library_core;
using policy::detail::number_core;
using policy::detail::parse_status;

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

std::string describe(const number_core& c) {
  std::ostringstream o;
  o << "status=" << static_cast<int>(c.status) << " cc=" << c.country_code
    << " nsn=" << c.national_number << " ext=" << c.has_extension << " region=" << c.region
    << " type=" << policy::to_string(c.type) << " length=" << static_cast<int>(c.length);
  return o.str();
}

// One territory of the library's metadata, as the generator needs it.
struct territory_sample {
  std::string id;  // "US", "001"
  int country_code = 0;
  std::string national_prefix;
  std::vector<int> lengths;
  std::vector<std::string> examples;  // national significant numbers
};

std::vector<territory_sample> load_samples() {
  pn::PhoneMetadataCollection collection;
  EXPECT_TRUE(collection.ParseFromArray(pn::metadata_get(), pn::metadata_size()));
  std::vector<territory_sample> out;
  for (const pn::PhoneMetadata& m : collection.metadata()) {
    if (m.id() == "ZZ") continue;
    territory_sample t;
    t.id = m.id();
    t.country_code = m.country_code();
    t.national_prefix = m.national_prefix();
    for (const int n : m.general_desc().possible_length()) {
      if (n > 0) t.lengths.push_back(n);
    }
    for (const int n : m.general_desc().possible_length_local_only()) {
      if (n > 0) t.lengths.push_back(n);
    }
    const std::array<const pn::PhoneNumberDesc*, 10> descs{
        &m.fixed_line(), &m.mobile(), &m.toll_free(),       &m.premium_rate(), &m.shared_cost(),
        &m.voip(),       &m.pager(),  &m.personal_number(), &m.uan(),          &m.voicemail()};
    for (const pn::PhoneNumberDesc* d : descs) {
      if (!d->example_number().empty()) t.examples.push_back(d->example_number());
    }
    if (t.lengths.empty()) t.lengths.push_back(8);
    if (t.examples.empty())
      t.examples.push_back(std::string(static_cast<std::size_t>(t.lengths.front()), '5'));
    out.push_back(std::move(t));
  }
  return out;
}

// Generates inputs around the example numbers: the example itself, the example with its tail
// replaced by random digits (same length, another possible length, one digit more or less),
// written internationally, nationally with or without the national prefix, after an IDD, with
// the calling code but no '+', with separators, with right, wrong or no region hints; and
// random digit strings.
class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed), samples_(load_samples()) {
    const pn::PhoneNumberUtil& util = *pn::PhoneNumberUtil::GetInstance();
    std::set<std::string> regions;
    util.GetSupportedRegions(&regions);
    hints_.assign(regions.begin(), regions.end());
  }

  struct input {
    std::string text;
    std::string hint;
  };

  input next() {
    input in = plain();
    // Now and then: separators around the number, a '+' apart from its digits, odd hints.
    switch (pick(16)) {
      case 0: in.text = "(" + in.text + ")"; break;
      case 1: in.text = "-" + in.text + "."; break;
      case 2:
        if (!in.text.empty() && in.text[0] == '+') in.text.insert(1, " ");
        break;
      case 3: in.hint = pick(2) == 0 ? "001" : "us"; break;
      default: break;
    }
    return in;
  }

 private:
  input plain() {
    const territory_sample& t = samples_[pick(samples_.size())];
    const std::string nsn = national_number(t);
    const std::string cc = std::to_string(t.country_code);
    const bool geographic = t.id != "001";
    const std::string own_hint = geographic ? t.id : "";
    switch (pick(16)) {
      case 0:
      case 1: return {"+" + cc + nsn, pick(4) == 0 ? random_hint() : ""};
      case 2: return {"+" + cc + " " + separate(nsn), pick(2) == 0 ? own_hint : random_hint()};
      case 3:
      case 4: return {t.national_prefix + separate(nsn), geographic ? own_hint : random_hint()};
      case 5: return {nsn, geographic ? own_hint : random_hint()};
      case 6: return {separate(t.national_prefix + nsn), random_hint()};
      case 7: {
        static const std::array<std::pair<const char*, const char*>, 8> idd{{
            {"GB", "00"},
            {"US", "011"},
            {"AU", "0011"},
            {"JP", "010"},
            {"FR", "00"},
            {"BR", "0021"},
            {"RU", "810"},
            {"DE", "00"},
        }};
        const auto& [hint, prefix] = idd[pick(idd.size())];
        return {std::string(prefix) + " " + cc + " " + separate(nsn), hint};
      }
      case 8: return {cc + nsn, pick(2) == 0 ? own_hint : random_hint()};
      case 9: return {"+" + cc + t.national_prefix + nsn, ""};
      case 10:
        return {"(" + nsn.substr(0, 3) + ") " + nsn.substr(std::min<std::size_t>(3, nsn.size())),
                own_hint};
      // Local dialling: the number without its first digits (the NANP islands, GG/JE/IM, SM, NF
      // and others turn these into national numbers with a transform rule).
      case 11:
        return {separate(nsn.substr(std::min<std::size_t>(1 + pick(4), nsn.size()))), own_hint};
      // A carrier selection code after the national prefix (BR: 0 + 21 + number).
      case 12: return {t.national_prefix + random_digits(2) + " " + separate(nsn), own_hint};
      // A mobile token inside the national number (AR: 0 11 15 2345-6789).
      case 13: {
        const std::size_t k = std::min<std::size_t>(2 + pick(3), nsn.size());
        return {t.national_prefix + nsn.substr(0, k) + " 15 " + nsn.substr(k), own_hint};
      }
      // Any string over the characters the fast path reads ("(+", ".-.", "+1)(2").
      case 14: {
        static constexpr std::string_view alphabet = "0123456789 +-.()";
        std::string text;
        for (std::size_t n = 1 + pick(20); n > 0; --n)
          text.push_back(alphabet[pick(alphabet.size())]);
        return {text, pick(3) == 0 ? "" : random_hint()};
      }
      default: {
        std::string digits = random_digits(3 + pick(17));
        return {pick(2) == 0 ? "+" + digits : digits, pick(3) == 0 ? "" : random_hint()};
      }
    }
  }

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string random_digits(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + pick(10)));
    return s;
  }

  std::string random_hint() {
    switch (pick(8)) {
      case 0: return "";
      case 1: return "ZZ";
      default: return hints_[pick(hints_.size())];
    }
  }

  std::string national_number(const territory_sample& t) {
    const std::string& example = t.examples[pick(t.examples.size())];
    if (pick(8) == 0) return example;
    std::size_t length = example.size();
    switch (pick(6)) {
      case 0: length = static_cast<std::size_t>(t.lengths[pick(t.lengths.size())]); break;
      case 1: length += 1; break;
      case 2: length = length > 1 ? length - 1 : length; break;
      default: break;
    }
    // Keep a prefix of the example (the ranges are decided by the leading digits), often long.
    const std::size_t keep = std::min(
        length, pick(2) == 0 ? pick(example.size() + 1)
                             : example.size() - pick(std::min<std::size_t>(example.size(), 4) + 1));
    return example.substr(0, std::min(keep, example.size())) +
           random_digits(length - std::min(keep, example.size()));
  }

  std::string separate(const std::string& digits) {
    static const std::array<const char*, 4> seps{" ", "-", ".", " "};
    std::string out;
    const char* sep = seps[pick(seps.size())];
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && pick(4) == 0) out += sep;
      out.push_back(digits[i]);
    }
    return out;
  }

  std::mt19937_64 rng_;
  std::vector<territory_sample> samples_;
  std::vector<std::string> hints_;
};

TEST(NumberMetadata, LoadsEveryTerritoryOfTheLibrary) {
  const auto& md = policy::detail::number_metadata::instance();
  ASSERT_TRUE(md.loaded());
  const pn::PhoneNumberUtil& util = *pn::PhoneNumberUtil::GetInstance();
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  std::set<int> non_geo;
  util.GetSupportedGlobalNetworkCallingCodes(&non_geo);
  EXPECT_EQ(md.territory_count(), regions.size() + non_geo.size());
  EXPECT_EQ(md.unusable_count(), 0u)
      << "patterns RE2 could not compile leave numbers to the library";
  for (const std::string& r : regions) {
    const auto* t = md.region(r);
    ASSERT_NE(t, nullptr) << r;
    EXPECT_EQ(t->country_code, util.GetCountryCodeForRegion(r)) << r;
  }
  EXPECT_EQ(md.region("ZZ"), nullptr);
  EXPECT_EQ(md.region("001"), nullptr);
  EXPECT_EQ(md.region("us"), nullptr);
}

TEST(NumberMetadata, RegionListsInTheLibrarysOrder) {
  const auto& md = policy::detail::number_metadata::instance();
  const pn::PhoneNumberUtil& util = *pn::PhoneNumberUtil::GetInstance();
  std::set<int> codes;
  util.GetSupportedCallingCodes(&codes);
  for (int cc = 1; cc < 1000; ++cc) {
    std::list<std::string> expected;
    util.GetRegionCodesForCountryCallingCode(cc, &expected);
    std::vector<std::string> actual;
    for (const auto* t : md.regions_for_calling_code(cc)) actual.push_back(t->id);
    EXPECT_EQ(actual, std::vector<std::string>(expected.begin(), expected.end())) << "+" << cc;
    EXPECT_EQ(codes.count(cc) == 1, !actual.empty()) << "+" << cc;
  }
  ASSERT_GE(md.regions_for_calling_code(1).size(), 20u);
  EXPECT_EQ(md.regions_for_calling_code(1).front()->id, "US");
  EXPECT_EQ(md.regions_for_calling_code(44).front()->id, "GB");
}

// Every example number of every type of every territory, in E.164 and national form.
TEST(NumberDifferential, ExampleNumbersOfEveryTerritory) {
  std::size_t compared = 0;
  for (const territory_sample& t : load_samples()) {
    for (const std::string& nsn : t.examples) {
      std::vector<std::pair<std::string, std::string>> inputs{
          {"+" + std::to_string(t.country_code) + nsn, ""}};
      if (t.id != "001") inputs.emplace_back(t.national_prefix + nsn, t.id);
      for (const auto& [text, hint] : inputs) {
        const auto fast = fast_core(text, hint);
        ASSERT_TRUE(fast.has_value()) << text << " hint " << hint;
        const number_core lib = library_core(text, hint);
        EXPECT_EQ(*fast, lib) << text << " hint " << hint << "\n fast: " << describe(*fast)
                              << "\n lib:  " << describe(lib);
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 2000u);
}

// National forms with prefixes, carrier codes and transform rules, as people write them; the
// fast path must take each and answer as the library does.
TEST(NumberDifferential, HandWrittenFormsMatchLibphonenumber) {
  struct form {
    const char* text;
    const char* hint;
    const char* e164;  // what the library says (checked below too)
  };
  const form forms[] = {
      {"011 15 2345-6789", "AR", "+5491123456789"},  // AR: 0 + area + 15 -> 9 + area
      {"+54 9 11 2345 6789", "", "+5491123456789"},
      {"0 21 11 91234 5678", "BR", "+5511912345678"},  // BR: carrier selection code 21
      {"(11) 91234-5678", "BR", "+5511912345678"},
      {"06 1234 5678", "IT", "+390612345678"},  // IT: the leading zero stays
      {"+39 06 1234 5678", "", "+390612345678"},
      {"8 (916) 123-45-67", "RU", "+79161234567"},    // RU: national prefix 8
      {"+44 (0) 20 7946 0958", "", "+442079460958"},  // the (0) of UK numbers
      {"+44 020 7946 0958", "", "+442079460958"},
      {"460 1234", "AG", "+12684601234"},  // AG: 7-digit local number
      {"1 268 460 1234", "AG", "+12684601234"},
      {"256789", "GG", "+441481256789"},            // GG: 6-digit local number
      {"0549 886377", "SM", "+3780549886377"},      // SM: 0549 belongs to the number
      {"886377", "SM", "+3780549886377"},           // ... and is added to local numbers
      {"00 1 415 555 0123", "FR", "+14155550123"},  // IDD
      {"011 44 7400 123456", "US", "+447400123456"},
      {"0011 61 412 345 678", "AU", "+61412345678"},
      {"1 (415) 555-0123", "US", "+14155550123"},  // the default calling code, no '+'
      {"44 7400 123456", "GB", "+447400123456"},
      {"090-1234-5678", "JP", "+819012345678"},
      {"+86 138 0013 8000", "", "+8613800138000"},
      {"+800 1234 5678", "", "+80012345678"},  // non-geographic (001)
      {"+882 3421 2345 6", "", "+882342123456"},
  };
  for (const form& f : forms) {
    const auto fast = fast_core(f.text, f.hint);
    ASSERT_TRUE(fast.has_value()) << f.text;
    const number_core lib = library_core(f.text, f.hint);
    EXPECT_EQ(*fast, lib) << f.text << " " << f.hint << "\n fast: " << describe(*fast)
                          << "\n lib:  " << describe(lib);
    EXPECT_EQ(policy::normalize(f.text, f.hint).e164, f.e164) << f.text << " " << f.hint;
    EXPECT_EQ(policy::normalize(f.text, f.hint),
              policy::detail::normalize_with_library(f.text, f.hint))
        << f.text << " " << f.hint;
  }
}

// Inputs the fast path must leave to the library (it cannot prove them equivalent).
TEST(NumberDifferential, DeclinesWhatItDoesNotHandle) {
  for (const char* text : {"1-800-FLOWERS", "tel:+1-415-555-0123", "+1 415 555 0123 ext. 12",
                           "+1 415 555 0123#", "12", "+1", "++1 415 555 0123", "1+415 555 0123",
                           "+1/415/555/0123", "\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4"}) {
    EXPECT_FALSE(fast_core(text, "US").has_value()) << text;
  }
}

// The +1 area descriptions read from the geocoder's table equal the geocoder's answers: every
// area code 200-999 with random exchanges and lines, and numbers of every valid +1 form through
// the whole of normalize.
TEST(NumberDifferential, NanpAreaDescriptionsMatchTheGeocoder) {
  const pn::PhoneNumberOfflineGeocoder geocoder;
  std::mt19937_64 rng(1);
  std::uint64_t described = 0;
  std::uint64_t compared = 0;
  for (int area = 200; area <= 999; ++area) {
    for (int i = 0; i < 24; ++i) {
      const std::string nsn = std::to_string(area) + std::to_string(200 + rng() % 800) +
                              std::to_string(1000 + rng() % 9000).substr(0, 4);
      pn::PhoneNumber n;
      n.set_country_code(1);
      n.set_national_number(std::stoull(nsn));
      const auto ours = policy::detail::nanp_area_description(nsn);
      const std::string theirs =
          geocoder.GetDescriptionForValidNumber(n, icu::Locale::getEnglish());
      if (ours) {
        EXPECT_EQ(*ours, theirs) << "+1" << nsn;
        ++described;
      }
      if (i < 2) {
        const std::string e164 = "+1" + nsn;
        EXPECT_EQ(policy::normalize(e164, ""), policy::detail::normalize_with_library(e164, ""))
            << e164;
        ++compared;
      }
    }
  }
  // Most area codes in service have a description; the others go to the geocoder itself.
  EXPECT_GT(described, 800u * 24 / 3);
  EXPECT_EQ(compared, 800u * 2);
}

// The zone index of the fast path answers as time_zones_for_digits for every prefix of the
// generated table and for random digit strings.
TEST(NumberDifferential, TimeZoneIndexMatchesTheTable) {
  std::mt19937_64 rng(3);
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < policy::detail::tz_prefix_count; ++i) {
    const auto& e = policy::detail::tz_prefixes[i];
    std::string p = std::to_string(e.prefix);
    inputs.push_back(p);
    inputs.push_back(p + std::to_string(rng() % 1000000));
  }
  for (int i = 0; i < 20000; ++i) inputs.push_back(std::to_string(rng() % 100000000000000ull));
  inputs.push_back("");
  inputs.push_back("44x7");
  for (const std::string& digits : inputs) {
    const auto expected = policy::time_zones_for_digits(digits);
    std::vector<std::string> actual;
    policy::detail::append_time_zones(digits, actual);
    EXPECT_EQ(actual, std::vector<std::string>(expected.begin(), expected.end())) << digits;
  }
}

struct tally {
  std::uint64_t inputs = 0;
  std::uint64_t declined = 0;
  std::uint64_t valid = 0;
  std::uint64_t parse_errors = 0;
  std::uint64_t mismatches = 0;
  std::map<std::string, std::uint64_t> types;
};

void run_differential(std::uint64_t count, std::uint64_t seed, tally& t, std::mutex& report) {
  generator gen(seed);
  for (std::uint64_t i = 0; i < count; ++i) {
    const generator::input in = gen.next();
    ++t.inputs;
    const auto fast = fast_core(in.text, in.hint);
    if (!fast) {
      ++t.declined;
      continue;
    }
    const number_core lib = library_core(in.text, in.hint);
    if (!(*fast == lib)) {
      if (++t.mismatches <= 20) {
        const std::lock_guard lock(report);
        ADD_FAILURE() << "'" << in.text << "' hint '" << in.hint << "'\n fast: " << describe(*fast)
                      << "\n lib:  " << describe(lib);
      }
      continue;
    }
    if (lib.status != parse_status::ok) {
      ++t.parse_errors;
    } else if (lib.type != policy::number_type::unknown) {
      ++t.valid;
      ++t.types[std::string(policy::to_string(lib.type))];
    }
    // Every 64th input also through the whole of normalize (geocoder, jurisdiction, zones).
    if (i % 64 == 0) {
      const policy::phone_number_info ours = policy::normalize(in.text, in.hint);
      const policy::phone_number_info theirs =
          policy::detail::normalize_with_library(in.text, in.hint);
      if (!(ours == theirs)) {
        ++t.mismatches;
        const std::lock_guard lock(report);
        ADD_FAILURE() << "normalize('" << in.text << "', '" << in.hint
                      << "') differs: " << ours.e164 << " " << ours.jurisdiction << " vs "
                      << theirs.e164 << " " << theirs.jurisdiction;
      }
    }
  }
}

TEST(NumberDifferential, GeneratedNumbersMatchLibphonenumber) {
  const std::uint64_t count = env_or("SMSGW_NUMBER_DIFF_COUNT", 100'000);
  const std::uint64_t seed = env_or("SMSGW_NUMBER_DIFF_SEED", 20261129);
  const std::uint64_t threads = std::max<std::uint64_t>(1, env_or("SMSGW_NUMBER_DIFF_THREADS", 2));
  // Threads draw from generators of their own (seed + thread index).
  std::vector<tally> tallies(threads);
  std::vector<std::thread> workers;
  std::mutex report;
  for (std::uint64_t k = 0; k < threads; ++k) {
    const std::uint64_t share = count / threads + (k < count % threads ? 1 : 0);
    workers.emplace_back(run_differential, share, seed + k, std::ref(tallies[k]), std::ref(report));
  }
  for (std::thread& w : workers) w.join();
  tally t;
  for (const tally& part : tallies) {
    t.inputs += part.inputs;
    t.declined += part.declined;
    t.valid += part.valid;
    t.parse_errors += part.parse_errors;
    t.mismatches += part.mismatches;
    for (const auto& [name, n] : part.types) t.types[name] += n;
  }
  std::ostringstream types;
  for (const auto& [name, n] : t.types) types << " " << name << "=" << n;
  std::cout << "[differential] inputs=" << t.inputs << " seed=" << seed
            << " fast=" << (t.inputs - t.declined) << " declined=" << t.declined
            << " valid=" << t.valid << " parse_errors=" << t.parse_errors
            << " mismatches=" << t.mismatches << "\n[differential] valid types:" << types.str()
            << "\n";
  EXPECT_EQ(t.mismatches, 0u);
  // Every generated form is within the fast path's reach but some strings of random separators
  // ('+' after a digit, fewer than 3 digits): the library must not be answering more.
  EXPECT_GT(t.inputs - t.declined, t.inputs * 90 / 100);
  EXPECT_GT(t.valid, t.inputs / 5);
}

// normalize_address reads a carrier address as national digits in the carrier's region (TON 2,
// and TON 0 first) or as digits after '+' (TON 1, and TON 0 second): both readings, whole
// answers compared.
TEST(NumberDifferential, CarrierAddressReadingsMatchLibphonenumber) {
  generator gen(7);
  for (int i = 0; i < 3000; ++i) {
    const generator::input in = gen.next();
    std::string digits;
    for (const char c : in.text) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    const std::string region = in.hint.empty() || in.hint == "ZZ" ? "US" : in.hint;
    EXPECT_EQ(policy::normalize(digits, region),
              policy::detail::normalize_with_library(digits, region))
        << digits << " " << region;
    EXPECT_EQ(policy::normalize("+" + digits, "ZZ"),
              policy::detail::normalize_with_library("+" + digits, "ZZ"))
        << "+" << digits;
  }
}

}  // namespace
