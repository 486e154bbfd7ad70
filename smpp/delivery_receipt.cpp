#include "smpp/delivery_receipt.hpp"

#include <algorithm>
#include <vector>

#include "smpp/text_encoding.hpp"

namespace smpp {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

std::optional<std::uint32_t> parse_u32(std::string_view s) noexcept {
  if (s.empty() || s.size() > 9) {
    return std::nullopt;
  }
  std::uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

enum class field : std::uint8_t { id, sub, dlvrd, submit_date, done_date, stat, err, text, count };

struct key_alias {
  std::string_view name;
  field f;
};

// Longest spellings first where one is a prefix of another.
constexpr std::array<key_alias, 21> aliases = {{
    {"id", field::id},
    {"msgid", field::id},
    {"message_id", field::id},
    {"sub", field::sub},
    {"dlvrd", field::dlvrd},
    {"dlvd", field::dlvrd},
    {"submit date", field::submit_date},
    {"submit_date", field::submit_date},
    {"submit-date", field::submit_date},
    {"submitdate", field::submit_date},
    {"done date", field::done_date},
    {"done_date", field::done_date},
    {"done-date", field::done_date},
    {"donedate", field::done_date},
    {"stat", field::stat},
    {"status", field::stat},
    {"state", field::stat},
    {"err", field::err},
    {"error", field::err},
    {"text", field::text},
    {"txt", field::text},
}};

// If a known key starts at `pos` (followed by optional spaces and ':'), returns its field
// and sets `value_start` to just after the colon.
std::optional<field> key_at(std::string_view s, std::size_t pos, std::size_t& value_start) noexcept {
  switch (lower(s[pos])) {  // every alias starts with one of these
    case 'i': case 'm': case 's': case 'd': case 'e': case 't': break;
    default: return std::nullopt;
  }
  for (const auto& alias : aliases) {
    if (pos + alias.name.size() > s.size() || !iequals(s.substr(pos, alias.name.size()), alias.name)) {
      continue;
    }
    std::size_t i = pos + alias.name.size();
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
      ++i;
    }
    if (i < s.size() && s[i] == ':') {
      value_start = i + 1;
      return alias.f;
    }
  }
  return std::nullopt;
}

// The first token (ends at whitespace, ',' or ';').
std::string_view first_token(std::string_view s) noexcept {
  s = trim(s);
  std::size_t end = 0;
  while (end < s.size() && !is_space(s[end]) && s[end] != ',' && s[end] != ';') {
    ++end;
  }
  return s.substr(0, end);
}

}  // namespace

std::string_view to_string(receipt_state s) noexcept {
  switch (s) {
    case receipt_state::enroute: return "enroute";
    case receipt_state::delivered: return "delivered";
    case receipt_state::expired: return "expired";
    case receipt_state::deleted: return "deleted";
    case receipt_state::undeliverable: return "undeliverable";
    case receipt_state::accepted: return "accepted";
    case receipt_state::unknown: return "unknown";
    case receipt_state::rejected: return "rejected";
  }
  return "unknown";
}

receipt_state receipt_state_from_message_state(std::uint8_t value) noexcept {
  switch (value) {
    case 0: return receipt_state::enroute;  // SMPP 5.0 SCHEDULED
    case 1: return receipt_state::enroute;
    case 2: return receipt_state::delivered;
    case 3: return receipt_state::expired;
    case 4: return receipt_state::deleted;
    case 5: return receipt_state::undeliverable;
    case 6: return receipt_state::accepted;
    case 7: return receipt_state::unknown;
    case 8: return receipt_state::rejected;
    case 9: return receipt_state::undeliverable;  // SMPP 5.0 SKIPPED
    default: return receipt_state::unknown;
  }
}

std::optional<receipt_state> receipt_state_from_stat(std::string_view stat) noexcept {
  stat = trim(stat);
  if (stat.empty()) {
    return std::nullopt;
  }
  if (stat.size() == 1 && is_digit(stat[0])) {
    return receipt_state_from_message_state(static_cast<std::uint8_t>(stat[0] - '0'));
  }
  struct word {
    std::string_view text;
    receipt_state state;
  };
  static constexpr std::array<word, 24> words = {{
      {"DELIVRD", receipt_state::delivered},     {"DELIVERED", receipt_state::delivered},
      {"DELIVER", receipt_state::delivered},     {"EXPIRED", receipt_state::expired},
      {"DELETED", receipt_state::deleted},       {"UNDELIV", receipt_state::undeliverable},
      {"UNDELIVERABLE", receipt_state::undeliverable}, {"UNDELIVERED", receipt_state::undeliverable},
      {"UNDELIVRD", receipt_state::undeliverable}, {"FAILED", receipt_state::undeliverable},
      {"FAIL", receipt_state::undeliverable},    {"ACCEPTD", receipt_state::accepted},
      {"ACCEPTED", receipt_state::accepted},     {"UNKNOWN", receipt_state::unknown},
      {"REJECTD", receipt_state::rejected},      {"REJECTED", receipt_state::rejected},
      {"REJECT", receipt_state::rejected},       {"ENROUTE", receipt_state::enroute},
      {"EN_ROUTE", receipt_state::enroute},      {"BUFFERED", receipt_state::enroute},
      {"SCHEDULED", receipt_state::enroute},     {"EXPIRD", receipt_state::expired},
      {"DELETD", receipt_state::deleted},        {"UNDELIVERD", receipt_state::undeliverable},
  }};
  for (const auto& w : words) {
    if (iequals(stat, w.text)) {
      return w.state;
    }
  }
  return receipt_state::unknown;
}

std::optional<receipt_date> parse_receipt_date(std::string_view digits) noexcept {
  if (digits.size() != 10 && digits.size() != 12 && digits.size() != 14) {
    return std::nullopt;
  }
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) {
    return std::nullopt;
  }
  std::size_t pos = 0;
  const auto take = [&](std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      v = v * 10 + (digits[pos++] - '0');
    }
    return v;
  };
  receipt_date d;
  d.year = digits.size() == 14 ? take(4) : 2000 + take(2);
  d.month = take(2);
  d.day = take(2);
  d.hour = take(2);
  d.minute = take(2);
  d.second = digits.size() >= 12 ? take(2) : 0;
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.hour > 23 || d.minute > 59 || d.second > 60) {
    return std::nullopt;
  }
  return d;
}

receipt_parse_result parse_delivery_receipt(std::string_view text, const receipt_tlvs& tlvs) {
  receipt_parse_result result;
  delivery_receipt& r = result.receipt;

  // Locate the keys. A field counts once (its first occurrence); after text: only a
  // field not seen yet ends the text, so "text:your id: 5" keeps its words.
  struct found {
    field f;
    std::size_t key_start;
    std::size_t value_start;
  };
  std::vector<found> keys;
  std::array<bool, static_cast<std::size_t>(field::count)> seen{};
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (pos > 0 && !is_space(text[pos - 1]) && text[pos - 1] != ',' && text[pos - 1] != ';') {
      continue;
    }
    std::size_t value_start = 0;
    auto f = key_at(text, pos, value_start);
    if (!f || seen[static_cast<std::size_t>(*f)]) {
      continue;
    }
    seen[static_cast<std::size_t>(*f)] = true;
    keys.push_back({*f, pos, value_start});
    pos = value_start - 1;
  }

  bool have_text_id = false;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const std::size_t end = k + 1 < keys.size() ? keys[k + 1].key_start : text.size();
    const std::string_view raw = text.substr(keys[k].value_start, end - keys[k].value_start);
    switch (keys[k].f) {
      case field::id: {
        auto token = first_token(raw);
        r.message_id.assign(token);
        have_text_id = !token.empty();
        break;
      }
      case field::sub: r.submitted = parse_u32(first_token(raw)); break;
      case field::dlvrd: r.delivered = parse_u32(first_token(raw)); break;
      case field::submit_date: r.submit_date = parse_receipt_date(first_token(raw)); break;
      case field::done_date: r.done_date = parse_receipt_date(first_token(raw)); break;
      case field::stat: {
        auto token = first_token(raw);
        r.stat.clear();
        for (char c : token) {
          r.stat.push_back(upper(c));
        }
        break;
      }
      case field::err: {
        auto token = first_token(raw);
        r.err.assign(token);
        r.err_code = parse_u32(token);
        break;
      }
      case field::text: {
        std::string_view value = raw;
        if (!value.empty() && value.front() == ' ') {
          value.remove_prefix(1);
        }
        while (!value.empty() && is_space(value.back())) {
          value.remove_suffix(1);
        }
        r.text.assign(value);
        break;
      }
      case field::count: break;
    }
  }

  // TLVs win over the text.
  if (tlvs.receipted_message_id && !trim(*tlvs.receipted_message_id).empty()) {
    r.message_id.assign(trim(*tlvs.receipted_message_id));
    r.id_from_tlv = true;
  } else if (!have_text_id) {
    result.error = make_error_code(text_errc::not_a_receipt);
    return result;
  }
  if (tlvs.message_state) {
    r.state = receipt_state_from_message_state(*tlvs.message_state);
    r.state_from_tlv = true;
  } else {
    r.state = receipt_state_from_stat(r.stat).value_or(receipt_state::unknown);
  }
  if (tlvs.network_error_code) {
    const auto& raw = *tlvs.network_error_code;
    r.net_error = receipt_network_error{raw[0], static_cast<std::uint16_t>((raw[1] << 8) | raw[2])};
  }
  return result;
}

std::string_view stat_word(receipt_state s) noexcept {
  switch (s) {
    case receipt_state::enroute: return "ENROUTE";
    case receipt_state::delivered: return "DELIVRD";
    case receipt_state::expired: return "EXPIRED";
    case receipt_state::deleted: return "DELETED";
    case receipt_state::undeliverable: return "UNDELIV";
    case receipt_state::accepted: return "ACCEPTD";
    case receipt_state::unknown: return "UNKNOWN";
    case receipt_state::rejected: return "REJECTD";
  }
  return "UNKNOWN";
}

std::uint8_t message_state_value(receipt_state s) noexcept {
  switch (s) {
    case receipt_state::enroute: return 1;
    case receipt_state::delivered: return 2;
    case receipt_state::expired: return 3;
    case receipt_state::deleted: return 4;
    case receipt_state::undeliverable: return 5;
    case receipt_state::accepted: return 6;
    case receipt_state::unknown: return 7;
    case receipt_state::rejected: return 8;
  }
  return 7;
}

namespace {

void append_padded(std::string& out, std::uint32_t value, std::size_t width) {
  const std::string digits = std::to_string(value);
  if (digits.size() < width) {
    out.append(width - digits.size(), '0');
  }
  out += digits;
}

void append_date(std::string& out, const receipt_date& d) {
  append_padded(out, static_cast<std::uint32_t>(d.year % 100), 2);
  append_padded(out, static_cast<std::uint32_t>(d.month), 2);
  append_padded(out, static_cast<std::uint32_t>(d.day), 2);
  append_padded(out, static_cast<std::uint32_t>(d.hour), 2);
  append_padded(out, static_cast<std::uint32_t>(d.minute), 2);
}

}  // namespace

std::string format_delivery_receipt(const receipt_fields& fields) {
  std::string out;
  out.reserve(128 + fields.id.size());
  out += "id:";
  out += fields.id;
  out += " sub:";
  append_padded(out, fields.submitted, 3);
  out += " dlvrd:";
  append_padded(out, fields.delivered, 3);
  out += " submit date:";
  append_date(out, fields.submit_date);
  out += " done date:";
  append_date(out, fields.done_date);
  out += " stat:";
  out += stat_word(fields.state);
  out += " err:";
  append_padded(out, fields.err, 3);
  out += " text:";
  // The first 20 characters (not bytes: never cut a UTF-8 sequence).
  std::size_t pos = 0;
  for (int chars = 0; chars < 20 && pos < fields.text.size(); ++chars) {
    ++pos;
    while (pos < fields.text.size() && (static_cast<unsigned char>(fields.text[pos]) & 0xC0) == 0x80) {
      ++pos;
    }
  }
  out.append(fields.text, 0, pos);
  return out;
}

std::string_view to_string(message_id_format f) noexcept {
  switch (f) {
    case message_id_format::as_is: return "as_is";
    case message_id_format::hex: return "hex";
    case message_id_format::decimal: return "decimal";
  }
  return "unknown";
}

std::optional<message_id_format> message_id_format_from_string(std::string_view name) noexcept {
  for (auto f : {message_id_format::as_is, message_id_format::hex, message_id_format::decimal}) {
    if (name == to_string(f)) {
      return f;
    }
  }
  return std::nullopt;
}

namespace {

std::optional<std::string> hex_canonical(std::string_view id) {
  if (id.size() > 2 && id[0] == '0' && (id[1] == 'x' || id[1] == 'X')) {
    id.remove_prefix(2);
  }
  if (id.empty()) {
    return std::nullopt;
  }
  std::string out;
  for (char c : id) {
    const char l = lower(c);
    if (!is_digit(l) && !(l >= 'a' && l <= 'f')) {
      return std::nullopt;
    }
    if (out.empty() && l == '0') {
      continue;
    }
    out.push_back(l);
  }
  return out.empty() ? std::string("0") : out;
}

std::optional<std::string> decimal_canonical(std::string_view id) {
  if (id.empty() || !std::all_of(id.begin(), id.end(), is_digit)) {
    return std::nullopt;
  }
  // Arbitrary precision: base 2^32 limbs, least significant first.
  std::vector<std::uint32_t> limbs{0};
  for (char c : id) {
    std::uint64_t carry = static_cast<std::uint64_t>(c - '0');
    for (auto& limb : limbs) {
      const std::uint64_t v = static_cast<std::uint64_t>(limb) * 10 + carry;
      limb = static_cast<std::uint32_t>(v & 0xFFFFFFFFU);
      carry = v >> 32;
    }
    if (carry != 0) {
      limbs.push_back(static_cast<std::uint32_t>(carry));
    }
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto it = limbs.rbegin(); it != limbs.rend(); ++it) {
    for (int shift = 28; shift >= 0; shift -= 4) {
      const char d = digits[(*it >> shift) & 0xF];
      if (out.empty() && d == '0') {
        continue;
      }
      out.push_back(d);
    }
  }
  return out.empty() ? std::string("0") : out;
}

}  // namespace

std::string normalize_message_id(std::string_view id, message_id_format format) {
  id = trim(id);
  std::optional<std::string> canonical;
  switch (format) {
    case message_id_format::hex: canonical = hex_canonical(id); break;
    case message_id_format::decimal: canonical = decimal_canonical(id); break;
    case message_id_format::as_is: break;
  }
  return canonical ? std::move(*canonical) : std::string(id);
}

}  // namespace smpp
