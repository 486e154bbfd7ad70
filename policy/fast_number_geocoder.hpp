#pragma once

// The geocoder step of normalize() for +1 numbers without the geocoder's per-call overhead
// (a stringstream to build a file name, a map lookup, number/string round trips: about 1.5 µs of
// CPU a call). It reads the same table as libphonenumber's PhoneNumberOfflineGeocoder ("1_en",
// compiled into libgeocoding) and searches it the way AreaCodeMap::Lookup does, so the answer is
// the geocoder's. normalize() still asks the geocoder itself whenever this returns nullopt (no
// table, or no description for the number: the geocoder then answers with the country's name).

#include <optional>
#include <string_view>

namespace policy::detail {

// The English description ("San Francisco, CA", "Quebec") of a valid +1 number's national
// significant number, or nullopt.
std::optional<std::string_view> nanp_area_description(std::string_view national_number);

// The same lookup as the table entry's index (in [0, nanp_table_size())), or -1.
int nanp_area_index(std::string_view national_number);
int nanp_table_size();
// The description of an entry found by nanp_area_index.
std::string_view nanp_description(int index);

}  // namespace policy::detail
