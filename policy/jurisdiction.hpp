#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace policy {

// Subdivision codes ("FL", "QC") named by an offline-geocoder description of a number of
// `region` ("US" or "CA"): "Florida" -> {"FL"}, "Miami, FL" -> {"FL"},
// "Nova Scotia/Prince Edward Island" -> {"NS", "PE"}, "Washington D.C." -> {"DC"}.
// Empty when the description names no known state/province or the region is neither US nor CA.
std::vector<std::string> subdivisions_from_description(std::string_view region,
                                                       std::string_view description);

// "US" + {"FL"} -> "US-FL"; "US" + {} -> "US"; "CA" + {"NS", "PE"} -> "CA" (ambiguous: the
// country only; the candidates stay available as a list).
std::string jurisdiction_code(std::string_view region, const std::vector<std::string>& subdivisions);

}  // namespace policy
