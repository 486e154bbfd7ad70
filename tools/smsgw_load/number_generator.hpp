#pragma once

// Deterministic, unique recipient numbers for load tests (smsgw-load, bench/e2e's preloader).
//
// Each region is a set of number blocks that libphonenumber 8.12 accepts as valid mobile (or, in
// the NANP and Mexico, fixed-line-or-mobile) numbers: a national prefix chosen from a list, then
// free digits. Index i of the sequence picks region i mod R and, within it, slot i / R, which an
// affine bijection seeded by `seed` scrambles over the region's whole space. So:
//  - the same seed and index always give the same number (reproducible runs);
//  - distinct indices give distinct numbers as long as the slot stays inside the region's space
//    (capacity() tells how many indices are safe), so disjoint index ranges give disjoint sets:
//    bench/e2e pre-loads a suppression list from a far index range and the load uses [0, N).
// Pure: no I/O, no clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw_load {

struct region_spec {
  std::string region;                 // ISO code ("US")
  std::string country_code;           // "+1"
  std::vector<std::string> prefixes;  // national prefixes ("415200", "71")
  int free_digits = 0;                // digits after the prefix
};

// The built-in regions: US, CA, GB, FR, DE, ES, IT, NL, AU, BR, MX, IN.
const std::vector<region_spec>& builtin_regions();

// The built-in specs of the listed regions ("US,GB,FR"); nullopt and `unknown` set when a name
// is not built in.
std::optional<std::vector<region_spec>> select_regions(std::string_view comma_list, std::string* unknown);

class number_generator {
 public:
  number_generator(std::vector<region_spec> regions, std::uint64_t seed);

  // The E.164 number of index i ("+14152003456"). Precondition: i < capacity().
  std::string at(std::uint64_t i) const;
  // Region of index i.
  const std::string& region_of(std::uint64_t i) const { return regions_[i % regions_.size()].spec.region; }
  // Indices [0, capacity()) give distinct numbers.
  std::uint64_t capacity() const noexcept { return capacity_; }
  std::size_t region_count() const noexcept { return regions_.size(); }

 private:
  struct region_state {
    region_spec spec;
    std::uint64_t space = 0;  // prefixes.size() * 10^free_digits
    std::uint64_t mul = 1;    // coprime with space
    std::uint64_t add = 0;
  };
  std::vector<region_state> regions_;
  std::uint64_t capacity_ = 0;
};

}  // namespace smsgw_load
