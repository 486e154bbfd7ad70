// libFuzzer target over number normalisation: the fast path (policy/fast_number.cpp, digits and
// separators read against the library's own metadata) must answer exactly as libphonenumber for
// any input it takes, and normalize() exactly as normalize_with_library() (E.164, validity, error,
// region, type, jurisdiction, time zones) for any input at all. Any difference aborts.
//
// Input layout: byte 0 picks the region hint (table below), the rest is the written number.
// Built by the `fuzz` preset and run briefly by tools/fuzz-smoke with corpus/number/.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/fast_number.hpp"
#include "policy/phone_number.hpp"

namespace {

// Regions with national prefixes, trunk prefixes kept in the number, several lengths, shared
// country codes (NANP, +7, +44 dependencies), non-geographic codes; "" and "ZZ": no hint.
constexpr std::array<std::string_view, 24> regions = {
    "US", "CA", "GB", "FR", "DE", "IT", "ES", "NL", "AU", "BR", "MX", "IN",
    "RU", "KZ", "JP", "CN", "AR", "IR", "JE", "PR", "SG", "NG", "ZZ", ""};

std::string describe(const policy::detail::number_core& c) {
  return "status=" + std::to_string(static_cast<int>(c.status)) + " cc=" + std::to_string(c.country_code) +
         " nsn=" + c.national_number + " ext=" + std::to_string(c.has_extension) + " region=" + c.region +
         " type=" + std::string(policy::to_string(c.type)) + " length=" + std::to_string(static_cast<int>(c.length));
}

std::string describe(const policy::phone_number_info& n) {
  std::string s = "e164=" + n.e164 + " valid=" + std::to_string(n.valid) + " error=" +
                  std::string(policy::to_string(n.error)) + " (" + n.error_message + ") region=" + n.region +
                  " type=" + std::string(policy::to_string(n.type)) + " jurisdiction=" + n.jurisdiction + " zones=";
  for (const auto& z : n.timezones) s += z + ",";
  s += " subdivisions=";
  for (const auto& d : n.subdivisions) s += d + ",";
  return s;
}

[[noreturn]] void differ(std::string_view what, std::string_view text, std::string_view region,
                         const std::string& fast, const std::string& library) {
  std::fprintf(stderr, "%.*s differs for \"%.*s\" hint \"%.*s\"\n  fast path: %s\n  library:   %s\n",
               static_cast<int>(what.size()), what.data(), static_cast<int>(text.size()), text.data(),
               static_cast<int>(region.size()), region.data(), fast.c_str(), library.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view region = regions[data[0] % regions.size()];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  if (const auto fast = policy::detail::fast_core(text, region)) {
    const auto library = policy::detail::library_core(text, region);
    if (!(*fast == library)) differ("fast_core", text, region, describe(*fast), describe(library));
  }
  const auto answer = policy::normalize(text, region);
  const auto reference = policy::detail::normalize_with_library(text, region);
  if (!(answer == reference)) differ("normalize", text, region, describe(answer), describe(reference));
  return 0;
}
