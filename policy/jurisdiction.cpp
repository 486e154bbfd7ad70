#include "policy/jurisdiction.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace policy {
namespace {

using name_code = std::pair<std::string_view, std::string_view>;

// Names as the libgeocoding English data spells them, plus a few city-level descriptions that
// stand without a ", XX" suffix.
constexpr std::array us_names{
    name_code{"Alabama", "AL"}, name_code{"Alaska", "AK"}, name_code{"Arizona", "AZ"},
    name_code{"Arkansas", "AR"}, name_code{"California", "CA"}, name_code{"Colorado", "CO"},
    name_code{"Connecticut", "CT"}, name_code{"Delaware", "DE"}, name_code{"Florida", "FL"},
    name_code{"Georgia", "GA"}, name_code{"Hawaii", "HI"}, name_code{"Idaho", "ID"},
    name_code{"Illinois", "IL"}, name_code{"Indiana", "IN"}, name_code{"Iowa", "IA"},
    name_code{"Kansas", "KS"}, name_code{"Kentucky", "KY"}, name_code{"Louisiana", "LA"},
    name_code{"Maine", "ME"}, name_code{"Maryland", "MD"}, name_code{"Massachusetts", "MA"},
    name_code{"Michigan", "MI"}, name_code{"Minnesota", "MN"}, name_code{"Mississippi", "MS"},
    name_code{"Missouri", "MO"}, name_code{"Montana", "MT"}, name_code{"Nebraska", "NE"},
    name_code{"Nevada", "NV"}, name_code{"New Hampshire", "NH"}, name_code{"New Jersey", "NJ"},
    name_code{"New Mexico", "NM"}, name_code{"New York", "NY"}, name_code{"North Carolina", "NC"},
    name_code{"North Dakota", "ND"}, name_code{"Ohio", "OH"}, name_code{"Oklahoma", "OK"},
    name_code{"Oregon", "OR"}, name_code{"Pennsylvania", "PA"}, name_code{"Rhode Island", "RI"},
    name_code{"South Carolina", "SC"}, name_code{"South Dakota", "SD"},
    name_code{"Tennessee", "TN"}, name_code{"Texas", "TX"}, name_code{"Utah", "UT"},
    name_code{"Vermont", "VT"}, name_code{"Virginia", "VA"}, name_code{"Washington", "WA"},
    name_code{"Washington State", "WA"}, name_code{"Washington D.C.", "DC"},
    name_code{"District of Columbia", "DC"}, name_code{"West Virginia", "WV"},
    name_code{"Wisconsin", "WI"}, name_code{"Wyoming", "WY"}, name_code{"Philadelphia", "PA"},
    name_code{"Long Island", "NY"},
};
constexpr std::array us_codes{
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
};
constexpr std::array ca_names{
    name_code{"Alberta", "AB"}, name_code{"British Columbia", "BC"}, name_code{"Manitoba", "MB"},
    name_code{"New Brunswick", "NB"}, name_code{"Newfoundland and Labrador", "NL"},
    name_code{"Newfoundland", "NL"}, name_code{"Nova Scotia", "NS"},
    name_code{"Prince Edward Island", "PE"}, name_code{"Ontario", "ON"}, name_code{"Quebec", "QC"},
    name_code{"Québec", "QC"}, name_code{"Saskatchewan", "SK"},
    name_code{"Northwest Territories", "NT"}, name_code{"Nunavut", "NU"}, name_code{"Yukon", "YT"},
    name_code{"Watson Lake", "YT"},
};
constexpr std::array ca_codes{"AB", "BC", "MB", "NB", "NL", "NS", "PE", "ON", "QC", "SK", "NT", "NU", "YT"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

template <class Names, class Codes>
std::string_view lookup_one(std::string_view part, const Names& names, const Codes& codes) {
  part = trim(part);
  for (const auto& [name, code] : names) {
    if (name == part) return code;
  }
  // "Miami, FL": a city followed by the 2-letter code.
  if (const auto comma = part.rfind(", "); comma != std::string_view::npos) {
    const std::string_view suffix = trim(part.substr(comma + 2));
    for (std::string_view code : codes) {
      if (code == suffix) return code;
    }
  }
  return {};
}

}  // namespace

std::vector<std::string> subdivisions_from_description(std::string_view region,
                                                       std::string_view description) {
  std::vector<std::string> out;
  const bool us = region == "US";
  const bool ca = region == "CA";
  if (!us && !ca) return out;
  // "Nova Scotia/Prince Edward Island" lists several candidates.
  while (!description.empty()) {
    const auto slash = description.find('/');
    const std::string_view part = description.substr(0, slash);
    const std::string_view code =
        us ? lookup_one(part, us_names, us_codes) : lookup_one(part, ca_names, ca_codes);
    if (!code.empty() && std::find(out.begin(), out.end(), code) == out.end()) out.emplace_back(code);
    if (slash == std::string_view::npos) break;
    description.remove_prefix(slash + 1);
  }
  return out;
}

std::string jurisdiction_code(std::string_view region, const std::vector<std::string>& subdivisions) {
  std::string out(region);
  if (subdivisions.size() == 1) {
    out += '-';
    out += subdivisions.front();
  }
  return out;
}

}  // namespace policy
