#pragma once

// ASCII-only case mapping: region codes, jurisdictions and keywords are ASCII by definition, and
// std::toupper depends on the locale (and is undefined for negative chars).

#include <string>

namespace common {

inline std::string upper_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

}  // namespace common
