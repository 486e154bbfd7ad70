#include "policy/number_metadata.hpp"

#include <phonenumbers/phonemetadata.pb.h>

#include <algorithm>

// Exported by libphonenumber (phonenumbers/metadata.h, not installed by Debian): the serialized
// PhoneMetadataCollection that PhoneNumberUtil itself parses at start-up.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace policy::detail {
namespace {

namespace pn = i18n::phonenumbers;

constexpr std::string_view non_geo_entity = "001";
constexpr int max_calling_code = 999;

RE2::Options re2_options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(32 << 20);  // the DFA cache of the largest type sets (NANP) stays well below
  return o;
}

std::unique_ptr<RE2> compile(const std::string& pattern, bool& usable) {
  auto re = std::make_unique<RE2>(pattern, re2_options());
  if (!re->ok()) usable = false;
  return re;
}

int region_index(std::string_view code) noexcept {
  if (code.size() != 2) return -1;
  const char a = code[0];
  const char b = code[1];
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return -1;
  return (a - 'A') * 26 + (b - 'A');
}

std::uint32_t length_bits(const google::protobuf::RepeatedField<std::int32_t>& lengths) {
  std::uint32_t bits = 0;
  for (const std::int32_t n : lengths) {
    if (n >= 0 && n < 32) bits |= 1u << n;
  }
  return bits;
}

void compile_territory(territory* t) {
  const pn::PhoneMetadata& m = *t->source;
  t->same_mobile_and_fixed_line = m.same_mobile_and_fixed_line_pattern();
  bool usable = true;
  if (m.has_leading_digits()) t->leading_digits = compile(m.leading_digits(), usable);
  t->international_prefix = compile(m.international_prefix(), usable);
  if (!m.national_prefix_for_parsing().empty()) {
    t->national_prefix_for_parsing = compile(m.national_prefix_for_parsing(), usable);
    t->national_prefix_groups = t->national_prefix_for_parsing->NumberOfCapturingGroups();
  }
  t->national_prefix_transform_rule = m.national_prefix_transform_rule();
  // The transform rules are "$1"-style; anything else (escapes, "$" without a digit) is left to
  // the library.
  const std::string& rule = t->national_prefix_transform_rule;
  for (std::size_t i = 0; i < rule.size(); ++i) {
    if (rule[i] == '\\') usable = false;
    if (rule[i] != '$') continue;
    // "$n" names a group that exists (fast_number.cpp reads at most two).
    if (i + 1 >= rule.size() || rule[i + 1] < '0' ||
        rule[i + 1] - '0' > std::min(t->national_prefix_groups, 2)) {
      usable = false;
    }
    // ICU would read "$12" as group 12 if it existed; keep such rules with the library.
    if (i + 2 < rule.size() && rule[i + 2] >= '0' && rule[i + 2] <= '9') usable = false;
  }
  const pn::PhoneNumberDesc& general = m.general_desc();
  if (!general.national_number_pattern().empty()) {
    t->general_pattern = compile(general.national_number_pattern(), usable);
  }
  t->possible_lengths.assign(general.possible_length().begin(), general.possible_length().end());
  if (t->possible_lengths.empty()) usable = false;  // the library would read past the end
  t->local_only_lengths = length_bits(general.possible_length_local_only());

  const std::array<const pn::PhoneNumberDesc*, desc_kind_count> descs{
      &m.general_desc(), &m.premium_rate(),    &m.toll_free(), &m.shared_cost(),
      &m.voip(),         &m.personal_number(), &m.pager(),     &m.uan(),
      &m.voicemail(),    &m.fixed_line(),      &m.mobile(),
  };
  t->types = std::make_unique<RE2::Set>(re2_options(), RE2::ANCHOR_BOTH);
  bool any_pattern = false;
  for (std::size_t k = 0; k < desc_kind_count; ++k) {
    const pn::PhoneNumberDesc& d = *descs[k];
    number_desc& out = t->descs[k];
    out.has_lengths = d.possible_length_size() > 0;
    out.lengths = length_bits(d.possible_length());
    if (d.national_number_pattern().empty()) continue;
    out.pattern = t->types->Add(d.national_number_pattern(), nullptr);
    if (out.pattern < 0) usable = false;
    any_pattern = true;
  }
  if (!any_pattern || !t->types->Compile()) usable = false;
  t->usable = usable;
}

}  // namespace

const number_metadata& number_metadata::instance() {
  static const number_metadata* const metadata = new number_metadata();
  return *metadata;
}

number_metadata::number_metadata()
    : by_calling_code_(max_calling_code + 1), non_geographic_(max_calling_code + 1) {
  collection_ = std::make_unique<pn::PhoneMetadataCollection>();
  if (!collection_->ParseFromArray(pn::metadata_get(), pn::metadata_size())) return;
  const pn::PhoneMetadataCollection& collection = *collection_;
  // Same construction as PhoneNumberUtil's: "ZZ" skipped, "001" entries by calling code, the
  // calling code's list in metadata order with its main country moved to the front.
  for (const pn::PhoneMetadata& m : collection.metadata()) {
    if (m.id() == "ZZ") continue;
    const int cc = m.country_code();
    if (cc <= 0 || cc > max_calling_code) return;  // not a calling code: keep the library only
    auto owned = std::make_unique<territory>();
    owned->id = m.id();
    owned->country_code = cc;
    owned->source = &m;
    territories_.push_back(std::move(owned));
    const territory* t = territories_.back().get();
    if (t->id == non_geo_entity) {
      non_geographic_[cc] = t;
    } else {
      const int i = region_index(t->id);
      if (i < 0) return;
      by_region_[i] = t;
    }
    auto& list = by_calling_code_[cc];
    if (m.main_country_for_code()) {
      list.insert(list.begin(), t);
    } else {
      list.push_back(t);
    }
  }
  for (const auto& list : by_calling_code_) {
    if (list.size() > 64) return;  // more than a match mask holds: keep the library only
  }
  leading_by_calling_code_ = std::make_unique<leading_set[]>(max_calling_code + 1);
  loaded_ = !territories_.empty();
}

bool number_metadata::prepare(const territory* t) const {
  // The territory objects are owned (non-const) by territories_; prepare fills them once.
  auto* mutable_t = const_cast<territory*>(t);
  std::call_once(mutable_t->compiled, [mutable_t] { compile_territory(mutable_t); });
  return t->usable;
}

bool number_metadata::leading_digits_matches(int cc, std::string_view nsn,
                                             std::uint64_t& mask) const {
  mask = 0;
  if (cc <= 0 || cc > max_calling_code) return true;
  // One set of the leading-digits patterns of a calling code shared by several regions (+1: 23
  // of its 25 regions have them), built at the first use of the calling code.
  leading_set& ls = leading_by_calling_code_[cc];
  std::call_once(ls.built, [&] {
    const auto& list = by_calling_code_[cc];
    ls.set = std::make_unique<RE2::Set>(re2_options(), RE2::ANCHOR_START);
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i]->source->has_leading_digits()) continue;
      if (ls.set->Add(list[i]->source->leading_digits(), nullptr) < 0) return;
      ls.region.push_back(static_cast<int>(i));
    }
    ls.ok = ls.region.empty() || ls.set->Compile();
  });
  if (!ls.ok) return false;
  if (ls.region.empty()) return true;
  thread_local std::vector<int> hits;
  RE2::Set::ErrorInfo error{};
  if (!ls.set->Match(re2::StringPiece(nsn.data(), nsn.size()), &hits, &error)) {
    return error.kind == RE2::Set::kNoError;
  }
  for (const int i : hits) mask |= std::uint64_t{1} << ls.region[static_cast<std::size_t>(i)];
  return true;
}

const territory* number_metadata::region(std::string_view code) const noexcept {
  const int i = region_index(code);
  return i < 0 ? nullptr : by_region_[i];
}

const std::vector<const territory*>& number_metadata::regions_for_calling_code(
    int cc) const noexcept {
  static const std::vector<const territory*> none;
  if (cc <= 0 || cc > max_calling_code) return none;
  return by_calling_code_[cc];
}

const territory* number_metadata::main_territory(int cc) const noexcept {
  const auto& list = regions_for_calling_code(cc);
  if (list.empty()) return nullptr;
  if (list.front()->id == non_geo_entity) return non_geographic_[cc];
  return list.front();
}

const territory* number_metadata::non_geographic(int cc) const noexcept {
  if (cc <= 0 || cc > max_calling_code) return nullptr;
  return non_geographic_[cc];
}

std::size_t number_metadata::unusable_count() const {
  return static_cast<std::size_t>(
      std::count_if(territories_.begin(), territories_.end(),
                    [this](const auto& t) { return !prepare(t.get()); }));
}

}  // namespace policy::detail
