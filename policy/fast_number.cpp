#include "policy/fast_number.hpp"

#include <array>
#include <vector>

#include "policy/number_metadata.hpp"

// Each function below mirrors one of libphonenumber 8.12's PhoneNumberUtil (named in its comment)
// for the inputs fast_core() accepts: ASCII digits with separators that Parse drops, so that
// ExtractPossibleNumber, MaybeStripExtension (no label character) and Normalize (no letters)
// reduce the input to its digits. Patterns come from the library's own metadata
// (number_metadata) and are evaluated with RE2, whose leftmost-first submatch semantics are those
// of ICU's backtracking matcher for the library's patterns (no back-references, no look-around).

namespace policy::detail {
namespace {

constexpr std::size_t min_length_for_nsn = 2;   // PhoneNumberUtil::kMinLengthForNsn
constexpr std::size_t max_length_for_nsn = 17;  // kMaxLengthForNsn
constexpr std::size_t max_length_country_code = 3;

re2::StringPiece piece(std::string_view s) { return {s.data(), s.size()}; }

bool full_match(const RE2& re, std::string_view s) {
  return re.Match(piece(s), 0, s.size(), RE2::ANCHOR_BOTH, nullptr, 0);
}

// RegExp::Consume: a match at the start (ICU lookingAt); returns its length or -1.
long consume(const RE2& re, std::string_view s) {
  re2::StringPiece whole;
  if (!re.Match(piece(s), 0, s.size(), RE2::ANCHOR_START, &whole, 1)) return -1;
  return static_cast<long>(whole.size());
}

// RegexBasedMatcher::MatchNationalNumber(number, general_desc, false).
bool matches_general(const territory& t, std::string_view number) {
  return t.general_pattern && full_match(*t.general_pattern, number);
}

// TestNumberLength(number, metadata, UNKNOWN).
length_result test_number_length(std::string_view number, const territory& t) {
  const std::vector<int>& lengths = t.possible_lengths;  // never empty (else !usable)
  if (lengths.front() == -1) return length_result::invalid_length;
  const auto actual = static_cast<int>(number.size());
  if (actual < 32 && ((t.local_only_lengths >> actual) & 1u) != 0) {
    return length_result::is_possible_local_only;
  }
  if (lengths.front() == actual) return length_result::is_possible;
  if (lengths.front() > actual) return length_result::too_short;
  if (lengths.back() < actual) return length_result::too_long;
  for (std::size_t i = 1; i < lengths.size(); ++i) {
    if (lengths[i] == actual) return length_result::is_possible;
  }
  return length_result::invalid_length;
}

// Set when an RE2::Set ran out of DFA memory or an unusable territory was reached: the caller
// then hands the input to the library.
struct context {
  const number_metadata& md;
  bool declined = false;

  // Compiles the territory's patterns at its first use.
  bool usable(const territory* t) {
    if (t == nullptr || !md.prepare(t)) declined = true;
    return !declined;
  }
};

// GetNumberTypeHelper: the first of general (must match), premium rate, toll free, shared cost,
// VoIP, personal, pager, UAN, voicemail, fixed line (+ mobile), mobile whose lengths and pattern
// match. One DFA pass of the territory's set answers every pattern.
number_type type_of(std::string_view nsn, const territory& t, context& ctx) {
  const std::size_t len = nsn.size();
  const auto length_ok = [&](const number_desc& d) {
    return !d.has_lengths || (len < 32 && ((d.lengths >> len) & 1u) != 0);
  };
  const number_desc& general = t.descs[static_cast<std::size_t>(desc_kind::general)];
  if (!length_ok(general) || general.pattern < 0) return number_type::unknown;

  thread_local std::vector<int> hits;
  RE2::Set::ErrorInfo error{};
  std::uint32_t matched = 0;
  if (t.types->Match(piece(nsn), &hits, &error)) {
    for (const int i : hits) matched |= 1u << i;
  } else if (error.kind != RE2::Set::kNoError) {
    ctx.declined = true;
    return number_type::unknown;
  }
  const auto is = [&](desc_kind k) {
    const number_desc& d = t.descs[static_cast<std::size_t>(k)];
    return d.pattern >= 0 && length_ok(d) && ((matched >> d.pattern) & 1u) != 0;
  };
  if (!is(desc_kind::general)) return number_type::unknown;
  if (is(desc_kind::premium_rate)) return number_type::premium_rate;
  if (is(desc_kind::toll_free)) return number_type::toll_free;
  if (is(desc_kind::shared_cost)) return number_type::shared_cost;
  if (is(desc_kind::voip)) return number_type::voip;
  if (is(desc_kind::personal_number)) return number_type::personal_number;
  if (is(desc_kind::pager)) return number_type::pager;
  if (is(desc_kind::uan)) return number_type::uan;
  if (is(desc_kind::voicemail)) return number_type::voicemail;
  if (is(desc_kind::fixed_line)) {
    if (t.same_mobile_and_fixed_line || is(desc_kind::mobile)) {
      return number_type::fixed_line_or_mobile;
    }
    return number_type::fixed_line;
  }
  if (!t.same_mobile_and_fixed_line && is(desc_kind::mobile)) return number_type::mobile;
  return number_type::unknown;
}

// MaybeStripNationalPrefixAndCarrierCode (the carrier code is not kept).
void strip_national_prefix(const territory& t, std::string& number) {
  if (number.empty() || !t.national_prefix_for_parsing) return;
  const RE2& prefix = *t.national_prefix_for_parsing;
  std::array<re2::StringPiece, 3> groups{};
  const int wanted = std::min(t.national_prefix_groups, 2);
  if (!prefix.Match(piece(number), 0, number.size(), RE2::ANCHOR_START, groups.data(),
                    1 + wanted)) {
    return;
  }
  const std::size_t end = groups[0].size();
  // Consume(&carrier, &captured) needs two groups, Consume(&captured) one; with a transform rule
  // and a non-empty captured part, the prefix is replaced by the rule ("$1" = group 1).
  const std::string& rule = t.national_prefix_transform_rule;
  if (!rule.empty() && wanted >= 1) {
    const re2::StringPiece captured = wanted >= 2 ? groups[2] : groups[1];
    if (!captured.empty()) {
      std::string transformed;
      for (std::size_t i = 0; i < rule.size(); ++i) {
        if (rule[i] == '$') {  // checked at load: a digit naming an existing group follows
          const auto g = static_cast<std::size_t>(rule[++i] - '0');
          transformed.append(groups[g].data(), groups[g].size());
        } else {
          transformed.push_back(rule[i]);
        }
      }
      transformed.append(number, end);
      if (matches_general(t, number) && !matches_general(t, transformed)) return;
      number = std::move(transformed);
      return;
    }
  }
  std::string rest = number.substr(end);
  if (matches_general(t, number) && !matches_general(t, rest)) return;
  number = std::move(rest);
}

// ExtractCountryCode: the first 1-3 digits that are a known calling code.
int extract_country_code(std::string& number, const number_metadata& md) {
  if (number.empty() || number[0] == '0') return 0;
  int cc = 0;
  for (std::size_t i = 1; i <= max_length_country_code && i <= number.size(); ++i) {
    cc = cc * 10 + (number[i - 1] - '0');
    if (!md.regions_for_calling_code(cc).empty()) {
      number.erase(0, i);
      return cc;
    }
  }
  return 0;
}

// MaybeExtractCountryCode for digits (after MaybeStripInternationalPrefixAndNormalize). `cc`
// stays 0 when the number has none.
parse_status maybe_extract_country_code(const territory* def, bool plus, std::string& number,
                                        int& cc, context& ctx) {
  cc = 0;
  bool international = plus;
  if (!plus && def != nullptr) {
    // ParsePrefixAsIdd: the IDD prefix counts unless the next digit is 0.
    const long idd = consume(*def->international_prefix, number);
    if (idd >= 0) {
      const auto n = static_cast<std::size_t>(idd);
      if (n >= number.size() || number[n] != '0') {
        number.erase(0, n);
        international = true;
      }
    }
  }
  if (international) {
    if (number.size() <= min_length_for_nsn) return parse_status::too_short_after_idd;
    cc = extract_country_code(number, ctx.md);
    return cc != 0 ? parse_status::ok : parse_status::invalid_country_code;
  }
  if (def == nullptr) return parse_status::ok;
  // The default region's calling code written without '+' ("1 415 555 0123" in the US).
  const std::string own = std::to_string(def->country_code);
  if (number.compare(0, own.size(), own) == 0) {
    std::string potential = number.substr(own.size());
    strip_national_prefix(*def, potential);
    if ((!matches_general(*def, number) && matches_general(*def, potential)) ||
        test_number_length(number, *def) == length_result::too_long) {
      number = std::move(potential);
      cc = def->country_code;
    }
  }
  return parse_status::ok;
}

// GetRegionCodeForNumber, GetNumberType and (for invalid numbers) IsPossibleNumberWithReason.
void classify(number_core& core, context& ctx) {
  const std::string& nsn = core.national_number;
  const auto& regions = ctx.md.regions_for_calling_code(core.country_code);
  const territory* region = nullptr;
  bool type_known = false;
  if (regions.size() == 1) {
    region = regions.front();
  } else {
    std::uint64_t leading = 0;  // bit i: region i's leading digits match (one DFA pass)
    bool leading_known = false;
    for (std::size_t i = 0; i < regions.size(); ++i) {
      const territory* t = regions[i];
      if (!ctx.usable(t)) return;
      if (t->leading_digits) {
        if (!leading_known) {
          if (!ctx.md.leading_digits_matches(core.country_code, nsn, leading)) {
            ctx.declined = true;
            return;
          }
          leading_known = true;
        }
        if (((leading >> i) & 1u) != 0) {
          region = t;
          break;
        }
        continue;
      }
      const number_type type = type_of(nsn, *t, ctx);
      if (ctx.declined) return;
      if (type != number_type::unknown) {
        region = t;
        core.type = type;
        type_known = true;
        break;
      }
    }
  }
  core.region = region != nullptr ? region->id : "ZZ";
  if (region != nullptr && !type_known) {
    if (!ctx.usable(region)) return;
    core.type = type_of(nsn, *region, ctx);
    if (ctx.declined) return;
  }
  if (core.type == number_type::unknown) {
    const territory* main = ctx.md.main_territory(core.country_code);
    if (!ctx.usable(main)) return;
    core.length = test_number_length(nsn, *main);
  }
}

bool is_separator(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

}  // namespace

std::optional<number_core> fast_core(std::string_view text, std::string_view region) {
  const number_metadata& md = number_metadata::instance();
  if (!md.loaded()) return std::nullopt;

  std::string digits;
  digits.reserve(text.size());
  bool plus = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      // ExtractPossibleNumber starts at the first digit or '+': separators before it go.
      plus = true;
    } else if (!is_separator(c)) {
      return std::nullopt;
    }
  }
  // Two digits alone are viable for the library, two with punctuation not: leave both to it.
  if (digits.size() < 3) return std::nullopt;

  context ctx{md};
  number_core core;
  const territory* def = md.region(region);
  if (def != nullptr && !ctx.usable(def)) return std::nullopt;
  // CheckRegionForParsing.
  if (!plus && def == nullptr) {
    core.status = parse_status::invalid_country_code;
    return core;
  }

  // ParseHelper.
  int cc = 0;
  std::string number = digits;
  const parse_status extracted = maybe_extract_country_code(def, plus, number, cc, ctx);
  if (extracted != parse_status::ok) {
    if (extracted != parse_status::invalid_country_code || !plus) {
      core.status = extracted;
      return core;
    }
    // An unknown calling code after '+': read the digits again without it.
    number = digits;
    maybe_extract_country_code(def, false, number, cc, ctx);
    if (cc == 0) {
      core.status = parse_status::invalid_country_code;
      return core;
    }
  }
  if (ctx.declined) return std::nullopt;
  const territory* country = def;
  if (cc != 0) {
    country = md.main_territory(cc);
  } else {
    cc = def->country_code;
  }
  if (!ctx.usable(country)) return std::nullopt;
  if (number.size() < min_length_for_nsn) {
    core.status = parse_status::too_short_nsn;
    return core;
  }
  std::string potential = number;
  strip_national_prefix(*country, potential);
  const length_result v = test_number_length(potential, *country);
  if (v != length_result::too_short && v != length_result::is_possible_local_only &&
      v != length_result::invalid_length) {
    number = std::move(potential);
  }
  if (number.size() < min_length_for_nsn) {
    core.status = parse_status::too_short_nsn;
    return core;
  }
  if (number.size() > max_length_for_nsn) {
    core.status = parse_status::too_long_nsn;
    return core;
  }
  core.country_code = cc;
  core.national_number = std::move(number);
  classify(core, ctx);
  if (ctx.declined) return std::nullopt;
  return core;
}

}  // namespace policy::detail
