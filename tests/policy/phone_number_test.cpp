// Number normalisation: written forms across regions, carrier TON forms, invalid input.
#include "policy/phone_number.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "policy/jurisdiction.hpp"
#include "policy/timezone_table.hpp"

namespace {

using policy::number_error;
using policy::number_type;

struct valid_case {
  const char* input;
  const char* region_hint;
  const char* e164;
  const char* region;
  number_type type;
  const char* jurisdiction;
};

class NumberValid : public testing::TestWithParam<valid_case> {};

TEST_P(NumberValid, NormalisesToE164) {
  const valid_case& c = GetParam();
  const policy::phone_number_info n = policy::normalize(c.input, c.region_hint);
  EXPECT_TRUE(n.valid) << c.input << ": " << n.error_message;
  EXPECT_EQ(n.error, number_error::none);
  EXPECT_EQ(n.e164, c.e164);
  EXPECT_EQ(n.region, c.region);
  EXPECT_EQ(n.type, c.type) << policy::to_string(n.type);
  EXPECT_EQ(n.jurisdiction, c.jurisdiction);
  EXPECT_FALSE(n.timezones.empty());
}

const valid_case valid_cases[] = {
    // The API's written forms of one US number.
    {"+1 (415) 555-0123", "", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    {"+14155550123", "", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    {"(415) 555-0123", "US", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    {"415.555.0123", "US", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    {"1-415-555-0123", "US", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    {"  +1 415 555 0123\t", "", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    {"tel:+1-415-555-0123", "", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    {"+1 415 555 0123", "GB", "+14155550123", "US", number_type::fixed_line_or_mobile, "US-CA"},
    // US states that matter for quiet hours, and others.
    {"+1 305 555 0123", "", "+13055550123", "US", number_type::fixed_line_or_mobile, "US-FL"},
    {"+1 405 555 0123", "", "+14055550123", "US", number_type::fixed_line_or_mobile, "US-OK"},
    {"(212) 555-0123", "US", "+12125550123", "US", number_type::fixed_line_or_mobile, "US-NY"},
    {"+1 206 555 0123", "", "+12065550123", "US", number_type::fixed_line_or_mobile, "US-WA"},
    {"+1 907 555 0123", "", "+19075550123", "US", number_type::fixed_line_or_mobile, "US-AK"},
    {"+1 808 555 0123", "", "+18085550123", "US", number_type::fixed_line_or_mobile, "US-HI"},
    {"+1 800 555 0123", "", "+18005550123", "US", number_type::toll_free, "US"},
    {"1-800-FLOWERS", "US", "+18003569377", "US", number_type::toll_free, "US"},
    {"+1 900 555 0123", "", "+19005550123", "US", number_type::premium_rate, "US"},
    // NANP territories are US jurisdictions.
    {"+1 787 555 0123", "", "+17875550123", "PR", number_type::fixed_line_or_mobile, "US-PR"},
    {"+1 671 555 0123", "", "+16715550123", "GU", number_type::fixed_line_or_mobile, "US-GU"},
    // Canada: provinces, and an area code shared by two provinces.
    {"+1 514 555 0123", "", "+15145550123", "CA", number_type::fixed_line_or_mobile, "CA-QC"},
    {"(418) 555-1234", "CA", "+14185551234", "CA", number_type::fixed_line_or_mobile, "CA-QC"},
    {"+1 604 555 0123", "", "+16045550123", "CA", number_type::fixed_line_or_mobile, "CA-BC"},
    {"+1 902 555 0123", "", "+19025550123", "CA", number_type::fixed_line_or_mobile, "CA"},
    // Europe.
    {"020 7946 0958", "GB", "+442079460958", "GB", number_type::fixed_line, "GB"},
    {"0044 20 7946 0958", "GB", "+442079460958", "GB", number_type::fixed_line, "GB"},
    {"011 44 20 7946 0958", "US", "+442079460958", "GB", number_type::fixed_line, "GB"},
    {"07400 123456", "GB", "+447400123456", "GB", number_type::mobile, "GB"},
    {"06 12 34 56 78", "FR", "+33612345678", "FR", number_type::mobile, "FR"},
    {"+33 6 12 34 56 78", "", "+33612345678", "FR", number_type::mobile, "FR"},
    {"+49 1512 3456789", "", "+4915123456789", "DE", number_type::mobile, "DE"},
    {"+49 30 123456", "", "+4930123456", "DE", number_type::fixed_line, "DE"},
    {"+34 612 34 56 78", "", "+34612345678", "ES", number_type::mobile, "ES"},
    {"+353 85 123 4567", "", "+353851234567", "IE", number_type::mobile, "IE"},
    {"+7 916 123-45-67", "", "+79161234567", "RU", number_type::mobile, "RU"},
    // Elsewhere.
    {"+61 412 345 678", "", "+61412345678", "AU", number_type::mobile, "AU"},
    {"0412 345 678", "AU", "+61412345678", "AU", number_type::mobile, "AU"},
    {"+64 21 123 4567", "", "+64211234567", "NZ", number_type::mobile, "NZ"},
    {"+81 90-1234-5678", "", "+819012345678", "JP", number_type::mobile, "JP"},
    {"+91 98765 43210", "", "+919876543210", "IN", number_type::mobile, "IN"},
    {"+86 138 0013 8000", "", "+8613800138000", "CN", number_type::mobile, "CN"},
    {"+55 11 91234-5678", "", "+5511912345678", "BR", number_type::mobile, "BR"},
    {"+52 1 55 1234 5678", "", "+525512345678", "MX", number_type::fixed_line_or_mobile, "MX"},
};
INSTANTIATE_TEST_SUITE_P(Forms, NumberValid, testing::ValuesIn(valid_cases));

struct invalid_case {
  const char* input;
  const char* region_hint;
  number_error error;
};

class NumberInvalid : public testing::TestWithParam<invalid_case> {};

TEST_P(NumberInvalid, RefusesWithItsError) {
  const invalid_case& c = GetParam();
  const policy::phone_number_info n = policy::normalize(c.input, c.region_hint);
  EXPECT_FALSE(n.valid) << c.input;
  EXPECT_EQ(n.error, c.error) << c.input << " gave " << policy::to_string(n.error);
  EXPECT_FALSE(n.error_message.empty());
  EXPECT_TRUE(n.timezones.empty());
  EXPECT_EQ(policy::check_number(n, policy::number_type_set::all()), policy::reason::invalid_number);
}

const invalid_case invalid_cases[] = {
    {"", "US", number_error::empty},
    {"   \t ", "US", number_error::empty},
    {"abc", "US", number_error::not_a_number},
    {"+999 123 4567", "", number_error::invalid_country_code},
    {"4155550123", "", number_error::invalid_country_code},  // national form, no hint
    {"+1 415 555", "", number_error::too_short},
    {"+1 415 555 0123 4567 89", "", number_error::too_long},
    {"+1 415 555 0123 ext. 12", "", number_error::has_extension},
    {"+1 123 555 0123", "", number_error::not_valid},  // area codes never start with 1
    {"+41 55 550 12 3", "", number_error::too_short},
    {"+1 415 555 0123 0000000000000000000000000000000000000000000000000000", "",
     number_error::input_too_long},
};
INSTANTIATE_TEST_SUITE_P(Errors, NumberInvalid, testing::ValuesIn(invalid_cases));

struct address_case {
  const char* address;
  std::uint8_t ton;
  const char* default_region;
  const char* e164;  // "" = invalid
};

class CarrierAddress : public testing::TestWithParam<address_case> {};

TEST_P(CarrierAddress, NormalisesLikeTheApi) {
  const address_case& c = GetParam();
  const policy::phone_number_info n = policy::normalize_address(c.address, c.ton, c.default_region);
  if (std::string(c.e164).empty()) {
    EXPECT_FALSE(n.valid);
  } else {
    EXPECT_TRUE(n.valid) << c.address << ": " << n.error_message;
    EXPECT_EQ(n.e164, c.e164);
  }
}

const address_case address_cases[] = {
    {"14155550123", 1, "US", "+14155550123"},     // TON 1: international without '+'
    {"14155550123", 1, "GB", "+14155550123"},     // default region irrelevant for TON 1
    {"4155550123", 2, "US", "+14155550123"},      // TON 2: national, carrier default region
    {"14155550123", 0, "US", "+14155550123"},     // TON 0: national reading with trunk prefix
    {"4155550123", 0, "US", "+14155550123"},      // TON 0: national reading
    {"+14155550123", 0, "GB", "+14155550123"},    // TON 0 with '+': international
    {"447400123456", 0, "US", "+447400123456"},   // TON 0: national invalid, international valid
    {"07400123456", 2, "GB", "+447400123456"},    // TON 2 in GB
    {"447400123456", 1, "GB", "+447400123456"},   // TON 1 in GB
    {"07400123456", 0, "GB", "+447400123456"},    // TON 0 national in GB
    {"33612345678", 1, "FR", "+33612345678"},
    {"0612345678", 2, "FR", "+33612345678"},
    {"4155550123", 1, "US", ""},                  // TON 1 but no country code: +41 55 550 123
    {"SHOP", 5, "US", ""},                        // TON 5: alphanumeric
};
INSTANTIATE_TEST_SUITE_P(TonNpi, CarrierAddress, testing::ValuesIn(address_cases));

TEST(CarrierAddress, AlphanumericHasItsOwnError) {
  EXPECT_EQ(policy::normalize_address("SHOP", 5, "US").error, number_error::alphanumeric);
}

TEST(CarrierAddress, SameRecordAsTheApiForm) {
  policy::phone_number_info api = policy::normalize("+1 (415) 555-0123", "US");
  policy::phone_number_info carrier = policy::normalize_address("14155550123", 1, "US");
  api.input.clear();
  carrier.input.clear();
  EXPECT_EQ(api, carrier);
}

TEST(NumberType, DefaultSmsTypesRefuseFixedLinePremiumAndPager) {
  const auto types = policy::number_type_set::sms_default();
  EXPECT_TRUE(types.contains(number_type::mobile));
  EXPECT_TRUE(types.contains(number_type::fixed_line_or_mobile));
  EXPECT_TRUE(types.contains(number_type::toll_free));
  EXPECT_FALSE(types.contains(number_type::fixed_line));
  EXPECT_FALSE(types.contains(number_type::premium_rate));
  EXPECT_FALSE(types.contains(number_type::pager));

  EXPECT_EQ(policy::check_number(policy::normalize("020 7946 0958", "GB"), types),
            policy::reason::not_mobile);
  EXPECT_EQ(policy::check_number(policy::normalize("+1 900 555 0123", ""), types),
            policy::reason::not_mobile);
  EXPECT_EQ(policy::check_number(policy::normalize("07400 123456", "GB"), types),
            policy::reason::none);
  auto with_landlines = types;
  with_landlines.insert(number_type::fixed_line);
  EXPECT_EQ(policy::check_number(policy::normalize("020 7946 0958", "GB"), with_landlines),
            policy::reason::none);
}

TEST(NumberType, NamesRoundTrip) {
  for (std::size_t i = 0; i < policy::number_type_count; ++i) {
    const auto t = static_cast<number_type>(i);
    EXPECT_EQ(policy::number_type_from_string(policy::to_string(t)), t);
  }
  EXPECT_EQ(policy::number_type_from_string("landline"), std::nullopt);
}

TEST(TimeZones, GeographicNumbersUseTheirPrefix) {
  EXPECT_EQ(policy::normalize("+1 415 555 0123", "").timezones,
            std::vector<std::string>{"America/Los_Angeles"});
  EXPECT_EQ(policy::normalize("+1 305 555 0123", "").timezones,
            std::vector<std::string>{"America/New_York"});
  EXPECT_EQ(policy::normalize("+1 907 555 0123", "").timezones,
            (std::vector<std::string>{"America/Adak", "America/Anchorage"}));
}

TEST(TimeZones, NonGeographicNumbersGetTheirCountrysZones) {
  // Toll free: every NANP zone, from Guam to Newfoundland.
  const auto toll_free = policy::normalize("+1 800 555 0123", "").timezones;
  EXPECT_GT(toll_free.size(), 30u);
  EXPECT_NE(std::find(toll_free.begin(), toll_free.end(), "Pacific/Guam"), toll_free.end());
  EXPECT_NE(std::find(toll_free.begin(), toll_free.end(), "America/St_Johns"), toll_free.end());
  // Russian and Australian mobiles are not tied to a place.
  const auto ru = policy::normalize("+7 916 123 45 67", "").timezones;
  EXPECT_NE(std::find(ru.begin(), ru.end(), "Europe/Moscow"), ru.end());
  EXPECT_NE(std::find(ru.begin(), ru.end(), "Asia/Kamchatka"), ru.end());
  const auto au = policy::normalize("+61 412 345 678", "").timezones;
  EXPECT_NE(std::find(au.begin(), au.end(), "Australia/Perth"), au.end());
  EXPECT_NE(std::find(au.begin(), au.end(), "Australia/Sydney"), au.end());
}

TEST(TimeZones, LongestPrefixWins) {
  // "1" is the whole NANP; "1415" only California.
  EXPECT_GT(policy::time_zones_for_digits("1").size(), 30u);
  EXPECT_EQ(policy::time_zones_for_digits("14155550123"),
            std::vector<std::string_view>{"America/Los_Angeles"});
  EXPECT_TRUE(policy::time_zones_for_digits("").empty());
  EXPECT_TRUE(policy::time_zones_for_digits("x1").empty());
}

TEST(Jurisdiction, GeocoderDescriptions) {
  using v = std::vector<std::string>;
  EXPECT_EQ(policy::subdivisions_from_description("US", "California"), v{"CA"});
  EXPECT_EQ(policy::subdivisions_from_description("US", "Miami, FL"), v{"FL"});
  EXPECT_EQ(policy::subdivisions_from_description("US", "Washington D.C."), v{"DC"});
  EXPECT_EQ(policy::subdivisions_from_description("US", "Washington State"), v{"WA"});
  EXPECT_EQ(policy::subdivisions_from_description("CA", "Nova Scotia/Prince Edward Island"),
            (v{"NS", "PE"}));
  EXPECT_EQ(policy::subdivisions_from_description("CA", "Montreal, QC"), v{"QC"});
  EXPECT_EQ(policy::subdivisions_from_description("US", "United States"), v{});
  EXPECT_EQ(policy::subdivisions_from_description("BS", "Long Island"), v{});
  EXPECT_EQ(policy::jurisdiction_code("US", v{"FL"}), "US-FL");
  EXPECT_EQ(policy::jurisdiction_code("CA", v{"NS", "PE"}), "CA");
  EXPECT_EQ(policy::normalize("+1 902 555 0123", "").subdivisions, (v{"NS", "PE"}));
}

TEST(NumberCache, HitsReturnTheSameRecordAndStayBounded) {
  policy::number_cache cache(3);
  const auto a = cache.normalize("+1 415 555 0123", "");
  const auto b = cache.normalize("+1 415 555 0123", "");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(*a, policy::normalize("+1 415 555 0123", ""));
  EXPECT_EQ(cache.statistics().hits, 1u);
  EXPECT_EQ(cache.statistics().misses, 1u);
  // The hint is part of the key.
  EXPECT_FALSE(cache.normalize("4155550123", "")->valid);
  EXPECT_TRUE(cache.normalize("4155550123", "US")->valid);
  cache.normalize("+44 20 7946 0958", "");
  cache.normalize("+33 6 12 34 56 78", "");
  EXPECT_EQ(cache.statistics().size, 3u);
  // The least recently used entry (+1 415 555 0123) was evicted: a new lookup is a miss.
  const auto misses = cache.statistics().misses;
  cache.normalize("+1 415 555 0123", "");
  EXPECT_EQ(cache.statistics().misses, misses + 1);
  // Carrier forms are cached under their TON.
  EXPECT_EQ(cache.normalize_address("14155550123", 1, "US")->e164, "+14155550123");
  EXPECT_FALSE(cache.normalize_address("14155550123", 5, "US")->valid);
}

TEST(NumberCache, ConcurrentUseGivesConsistentAnswers) {
  policy::number_cache cache(8);
  const std::vector<std::string> inputs{"+1 415 555 0123", "+44 20 7946 0958", "+33 6 12 34 56 78",
                                        "+61 412 345 678", "+49 30 123456", "+1 305 555 0123",
                                        "+81 90 1234 5678", "+7 916 123 45 67", "+34 612 34 56 78",
                                        "+1 800 555 0123"};
  std::vector<std::string> expected;
  for (const auto& in : inputs) expected.push_back(policy::normalize(in, "").e164);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::size_t k = static_cast<std::size_t>((i * 7 + t) % 10);
        if (cache.normalize(inputs[k], "")->e164 != expected[k]) ++wrong[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
  EXPECT_LE(cache.statistics().size, 8u);
}

}  // namespace
