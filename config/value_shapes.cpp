#include "config/value_shapes.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace config::detail {

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

bool valid_sender_id(std::string_view s) {
  if (s.starts_with('+')) return is_digits(s.substr(1)) && s.size() >= 8 && s.size() <= 16;
  if (is_digits(s)) return s.size() >= 3 && s.size() <= 8;
  if (s.empty() || s.size() > 11) return false;
  bool letter = false;
  for (char c : s) {
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    letter = letter || alpha;
    if (!alpha && !(c >= '0' && c <= '9') && c != ' ' && c != '-' && c != '.' && c != '&') return false;
  }
  return letter;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool valid_region(std::string_view s) { return s.size() == 2 && is_upper(s[0]) && is_upper(s[1]); }

namespace {

// `list`: two-letter codes separated by one space.
bool in_code_list(std::string_view list, std::string_view code) {
  if (code.size() != 2) return false;
  for (std::size_t at = list.find(code); at != std::string_view::npos; at = list.find(code, at + 1)) {
    if (at % 3 == 0) return true;
  }
  return false;
}

}  // namespace

bool known_region(std::string_view s) {
  // The regions of libphonenumber's metadata (Debian 12): a national number can be read with
  // any of these, and a number's region is always one of them.
  static constexpr std::string_view regions =
      "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW "
      "BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET "
      "FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN "
      "IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD "
      "ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA "
      "PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS "
      "ST SV SX SY SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF "
      "WS XK YE YT ZA ZM ZW";
  return valid_region(s) && in_code_list(regions, s);
}

bool valid_jurisdiction(std::string_view s) {
  if (s.size() == 2) return valid_region(s);
  if (s.size() < 4 || s.size() > 6 || s[2] != '-' || !valid_region(s.substr(0, 2))) return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) { return is_upper(c) || (c >= '0' && c <= '9'); });
}

std::string jurisdiction_problem(std::string_view s) {
  const std::string_view country = s.substr(0, 2);
  if (!known_region(country)) return "\"" + std::string(country) + "\" is not a region the number library knows";
  if (s.size() == 2) return {};
  // The states and provinces the gateway finds for a number (policy/jurisdiction.cpp): a
  // window for any other subdivision would never apply.
  static constexpr std::string_view us =
      "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
      "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY";
  static constexpr std::string_view ca = "AB BC MB NB NL NS PE ON QC SK NT NU YT";
  const std::string_view sub = s.substr(3);
  if (country != "US" && country != "CA") {
    return "subdivisions are known for US and CA only (US-FL, CA-QC); write the country \"" + std::string(country) +
           "\"";
  }
  const std::string_view known = country == "US" ? us : ca;
  if (!in_code_list(known, sub)) {
    return "\"" + std::string(sub) + "\" is not a " + (country == "US" ? "US state" : "Canadian province") +
           " code";
  }
  return {};
}

bool valid_prefix(std::string_view s) {
  return s.starts_with('+') && s.size() <= 16 && (s.size() == 1 || is_digits(s.substr(1)));
}

bool valid_http_url(std::string_view s) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (s.starts_with(scheme)) {
      std::string_view rest = s.substr(scheme.size());
      return !rest.empty() && rest.front() != '/' && rest.find(' ') == std::string_view::npos;
    }
  }
  return false;
}

sha256_digest sha256(std::string_view data) {
  sha256_digest out{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

std::optional<sha256_digest> parse_hex_digest(std::string_view s) {
  if (s.size() != 64) return std::nullopt;
  sha256_digest out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(s[2 * i]);
    int lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace config::detail
