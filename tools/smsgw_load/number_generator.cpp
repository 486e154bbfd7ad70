#include "tools/smsgw_load/number_generator.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace smsgw_load {
namespace {

std::vector<std::string> expand(std::string_view head, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back(std::string(head) + std::to_string(i));
  return out;
}

// NANP: area code x exchange. Exchanges 200-999 without N11 and 555 (service codes and the
// fictional range) so that every number is an ordinary subscriber number.
std::vector<std::string> nanp(const std::vector<std::string>& area_codes) {
  std::vector<std::string> out;
  for (const auto& ac : area_codes)
    for (int ex = 200; ex <= 999; ++ex) {
      if (ex % 100 == 11 || ex == 555) continue;
      out.push_back(ac + std::to_string(ex));
    }
  return out;
}

std::vector<region_spec> make_builtin() {
  // Prefixes checked against libphonenumber 8.12.57's metadata (python3-phonenumbers and the
  // C++ library ship the same version); tests/smsgw_load/number_generator_test.cpp validates
  // every region through policy::normalize, the gateway's own rules.
  std::vector<region_spec> r;
  r.push_back({"US", "+1",
               nanp({"201", "206", "212", "213", "305", "312", "404", "415", "503", "512", "602",
                     "617", "646", "702", "713", "718", "720", "805", "917", "919"}),
               4});
  r.push_back({"CA", "+1", nanp({"403", "416", "514", "604", "613", "647", "778", "780", "902", "905"}), 4});
  r.push_back({"GB", "+44", {"71", "72", "73"}, 8});
  r.push_back({"FR", "+33", {"60", "61", "62"}, 7});
  r.push_back({"DE", "+49", expand("17", 0, 9), 8});
  r.push_back({"ES", "+34", {"6"}, 8});
  r.push_back({"IT", "+39", {"32", "33", "34"}, 8});
  r.push_back({"NL", "+31", {"61", "62", "63", "64", "65"}, 7});
  r.push_back({"AU", "+61", {"40", "41", "42", "43"}, 7});
  r.push_back({"BR", "+55", {"119"}, 8});
  r.push_back({"MX", "+52", {"55"}, 8});
  r.push_back({"IN", "+91", {"98", "99"}, 8});
  return r;
}

std::uint64_t pow10(int n) {
  std::uint64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

// splitmix64: a well-mixed 64-bit value from the seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Spaces stay below 2^32 (checked in the constructor), so the product fits in 64 bits.
std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b, std::uint64_t m) { return (a % m) * (b % m) % m; }

}  // namespace

const std::vector<region_spec>& builtin_regions() {
  static const std::vector<region_spec> regions = make_builtin();
  return regions;
}

std::optional<std::vector<region_spec>> select_regions(std::string_view list, std::string* unknown) {
  std::vector<region_spec> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (name.empty()) continue;
    auto it = std::find_if(builtin_regions().begin(), builtin_regions().end(),
                           [&](const region_spec& s) { return s.region == name; });
    if (it == builtin_regions().end()) {
      if (unknown) *unknown = std::string(name);
      return std::nullopt;
    }
    out.push_back(*it);
  }
  if (out.empty()) {
    if (unknown) unknown->clear();
    return std::nullopt;
  }
  return out;
}

number_generator::number_generator(std::vector<region_spec> regions, std::uint64_t seed) {
  if (regions.empty()) throw std::invalid_argument("number_generator: no region");
  std::uint64_t min_space = UINT64_MAX;
  std::uint64_t s = seed;
  for (auto& spec : regions) {
    region_state st;
    st.space = spec.prefixes.size() * pow10(spec.free_digits);
    if (st.space == 0 || st.space >= (1ULL << 32)) throw std::invalid_argument("number_generator: region space out of range");
    s = mix(s);
    st.add = s % st.space;
    s = mix(s);
    // A multiplier coprime with the space makes slot -> mul * slot + add (mod space) a bijection.
    std::uint64_t m = s % st.space;
    if (m < 2) m = 2;
    while (std::gcd(m, st.space) != 1) ++m;
    st.mul = m % st.space;
    st.spec = std::move(spec);
    min_space = std::min(min_space, st.space);
    regions_.push_back(std::move(st));
  }
  capacity_ = min_space * regions_.size();
}

std::string number_generator::at(std::uint64_t i) const {
  const region_state& r = regions_[i % regions_.size()];
  const std::uint64_t slot = i / regions_.size();
  const std::uint64_t v = (mul_mod(slot % r.space, r.mul, r.space) + r.add) % r.space;
  const std::uint64_t tail_space = pow10(r.spec.free_digits);
  const std::string& prefix = r.spec.prefixes[v / tail_space];
  std::string out;
  out.reserve(r.spec.country_code.size() + prefix.size() + static_cast<std::size_t>(r.spec.free_digits));
  out += r.spec.country_code;
  out += prefix;
  std::uint64_t tail = v % tail_space;
  const std::size_t start = out.size();
  out.append(static_cast<std::size_t>(r.spec.free_digits), '0');
  for (std::size_t k = out.size(); k > start; --k) {
    out[k - 1] = static_cast<char>('0' + tail % 10);
    tail /= 10;
  }
  return out;
}

}  // namespace smsgw_load
