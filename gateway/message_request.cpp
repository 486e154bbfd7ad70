#include "gateway/message_request.hpp"

#include <cctz/time_zone.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/ascii.hpp"
#include "gateway/json_syntax_error.hpp"

namespace gateway {
namespace {

using namespace std::string_view_literals;
constexpr std::array known_fields = {"to"sv,      "from"sv,       "text"sv,   "category"sv, "campaign"sv,
                                     "send_at"sv, "client_ref"sv, "region"sv};

bool is_known_field(std::string_view name) {
  for (std::string_view known : known_fields) {
    if (known == name) return true;
  }
  return false;
}

// One member of the request object as the validation sees it: absent (or null), a string, or
// another JSON type.
struct member {
  enum class kind { absent, string, other };
  kind k = kind::absent;
  std::string_view value;  // kind::string
};

// Reads an optional or required string member; returns an error when present but ill-typed,
// missing while required, empty while required, or longer than `max_bytes`.
std::optional<api_error> read_string(const member& m, const char* name, bool required, std::size_t max_bytes,
                                     std::string& out) {
  if (m.k == member::kind::absent) {
    if (required) return bad_request(std::string("missing required field '") + name + "'", name);
    return std::nullopt;
  }
  if (m.k != member::kind::string) return bad_request(std::string("'") + name + "' must be a string", name);
  out.assign(m.value);
  if (required && out.empty()) return bad_request(std::string("'") + name + "' must not be empty", name);
  if (out.size() > max_bytes) {
    return bad_request(std::string("'") + name + "' is longer than " + std::to_string(max_bytes) +
                           " bytes",
                       name);
  }
  return std::nullopt;
}

// The checks of every known field, in order; `get(name)` gives the member. Shared by the JSON
// document path and the flat-object fast path below, so both answer alike.
template <class Get>
message_request_result validate(const Get& get) {
  message_request request;
  constexpr std::size_t short_max = max_short_field_bytes;
  if (auto e = read_string(get("to"sv), "to", true, short_max, request.to)) return *e;
  if (auto e = read_string(get("from"sv), "from", true, short_max, request.from)) return *e;
  if (auto e = read_string(get("text"sv), "text", true, SIZE_MAX, request.text)) return *e;
  if (request.text.size() > max_text_bytes) {
    // Too long is not malformed: the same answer as a text that needs more parts than allowed.
    return api_error{422, "message_too_long",
                     "'text' is longer than " + std::to_string(max_text_bytes) + " bytes", "text"};
  }
  const member category = get("category"sv);
  if (auto e = read_string(category, "category", false, short_max, request.category)) return *e;
  if (category.k == member::kind::string && request.category.empty()) {
    // An empty variable in a client must not send a marketing text as the default category
    // (transactional: no consent, no quiet hours).
    return bad_request("'category' must not be empty; leave it out (or null) for the default category", "category");
  }
  const member campaign = get("campaign"sv);
  if (auto e = read_string(campaign, "campaign", false, short_max, request.campaign)) return *e;
  if (campaign.k == member::kind::string && request.campaign.empty()) {
    // An empty campaign is no campaign: the per-campaign caps would silently not count it.
    return bad_request("'campaign' must not be empty; omit the field (or null) for no campaign", "campaign");
  }
  if (auto e = read_string(get("client_ref"sv), "client_ref", false, short_max, request.client_ref)) return *e;
  const member region = get("region"sv);
  if (auto e = read_string(region, "region", false, short_max, request.region)) return *e;
  if (region.k == member::kind::string && request.region.empty()) {
    return bad_request("'region' must not be empty; omit the field (or null) for the default region", "region");
  }
  if (!request.region.empty()) {
    request.region = common::upper_ascii(std::move(request.region));
    if (request.region.size() != 2 ||
        !std::all_of(request.region.begin(), request.region.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return bad_request("'region' must be a two-letter country code", "region");
    }
  }
  std::string send_at;
  const member send_at_member = get("send_at"sv);
  if (auto e = read_string(send_at_member, "send_at", false, short_max, send_at)) return *e;
  if (send_at_member.k == member::kind::string && send_at.empty()) {
    return bad_request("'send_at' must not be empty; leave it out (or null) to send now", "send_at");
  }
  if (!send_at.empty()) {
    request.send_at = parse_rfc3339(send_at);
    if (!request.send_at) {
      return bad_request("'send_at' must be an RFC 3339 timestamp such as 2026-12-01T15:00:00Z",
                         "send_at");
    }
  }
  return request;
}

// ---- Fast path: a flat object of known fields with plain string or null values ----------------
//
// Most bodies are `{"to":"...","from":"...","text":"..."}`: building a JSON document for them
// (a map node and strings per member) costs more than the rest of the request's validation.
// scan_flat_object() reads such a body directly and returns nullopt for anything else: escapes,
// control characters or invalid UTF-8 in a string, other value types, unknown or repeated keys,
// a byte order mark, anything after the object. Those go through nlohmann::json as before, so
// every error (and every unusual input) is answered by the same code as before.

struct flat_object {
  std::array<member, known_fields.size()> members{};
  std::array<bool, known_fields.size()> seen{};
};

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Length of the well-formed UTF-8 sequence at s[i] (a lead byte >= 0x80), 0 if ill-formed
// (overlong forms, surrogates and code points above U+10FFFF are ill-formed, as for the parser).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0, 0xBF) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90, 0xBF) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

// A string without escapes starting after its opening quote at `i`: its contents, `i` past the
// closing quote; nullopt when it is not plain.
std::optional<std::string_view> plain_string(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      const auto out = s.substr(start, i - start);
      ++i;
      return out;
    }
    if (c == '\\' || c < 0x20) return std::nullopt;
    if (c < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return std::nullopt;
    i += n;
  }
  return std::nullopt;
}

void skip_space(std::string_view s, std::size_t& i) {
  while (i < s.size() && json_space(s[i])) ++i;
}

// Whitespace, then `c`: true with `i` past `c` and the whitespace after it; false otherwise.
bool take(std::string_view s, std::size_t& i, char c) {
  skip_space(s, i);
  if (i >= s.size() || s[i] != c) return false;
  ++i;
  skip_space(s, i);
  return true;
}

// The elements of an object or array after its opening bracket, separated by commas, up to
// `close` (`i` past it): `element` reads one at s[i], false when it is not one we read.
template <class Element>
bool scan_elements(std::string_view s, std::size_t& i, char close, Element element) {
  if (take(s, i, close)) return true;
  do {
    if (!element()) return false;
  } while (take(s, i, ','));
  return take(s, i, close);
}

// `"key":` at s[i] (a key without escapes): the key, `i` past the colon and the whitespace after it.
std::optional<std::string_view> scan_key(std::string_view s, std::size_t& i) {
  if (i >= s.size() || s[i] != '"') return std::nullopt;
  ++i;
  const auto key = plain_string(s, i);
  if (!key || !take(s, i, ':')) return std::nullopt;
  return key;
}

// The flat object at s[i] (after whitespace), `i` past its closing brace and the whitespace after
// it; nullopt when it is not one.
std::optional<flat_object> scan_flat_object_at(std::string_view s, std::size_t& i) {
  flat_object out;
  if (!take(s, i, '{')) return std::nullopt;
  const bool flat = scan_elements(s, i, '}', [&] {
    const auto key = scan_key(s, i);
    if (!key) return false;
    std::size_t index = known_fields.size();
    for (std::size_t k = 0; k < known_fields.size(); ++k) {
      if (*key == known_fields[k]) index = k;
    }
    if (index == known_fields.size() || out.seen[index]) return false;
    out.seen[index] = true;
    if (i < s.size() && s[i] == '"') {
      ++i;
      const auto value = plain_string(s, i);
      if (!value) return false;
      out.members[index] = member{member::kind::string, *value};
    } else if (s.substr(i, 4) == "null") {
      i += 4;  // null: as if absent
    } else {
      return false;
    }
    return true;
  });
  if (!flat) return std::nullopt;
  return out;
}

std::optional<flat_object> scan_flat_object(std::string_view s) {
  std::size_t i = 0;
  auto out = scan_flat_object_at(s, i);
  if (!out || i != s.size()) return std::nullopt;
  return out;
}

message_request_result validate_flat(const flat_object& flat) {
  return validate([&](std::string_view name) {
    for (std::size_t k = 0; k < known_fields.size(); ++k) {
      if (name == known_fields[k]) return flat.members[k];
    }
    return member{};
  });
}

}  // namespace

message_request_result parse_message_request(const nlohmann::json& object) {
  if (!object.is_object()) return bad_request("the message must be a JSON object");
  for (const auto& item : object.items()) {
    if (!is_known_field(item.key())) {
      return bad_request("unknown field '" + item.key() + "'", item.key());
    }
  }
  return validate([&](std::string_view name) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return member{};
    if (!it->is_string()) return member{member::kind::other, {}};
    return member{member::kind::string, it->get_ref<const std::string&>()};
  });
}

namespace {

// The keys of one JSON object being parsed: a short list (the usual request has a handful), a
// hash set once it grows, so that a body of many thousands of keys is not quadratic.
class object_keys {
 public:
  // false when `key` was already there.
  bool insert(const std::string& key) {
    if (many_.empty()) {
      if (std::find(few_.begin(), few_.end(), key) != few_.end()) return false;
      if (few_.size() < 16) {
        few_.push_back(key);
        return true;
      }
      many_.insert(few_.begin(), few_.end());
      few_.clear();
    }
    return many_.insert(key).second;
  }

 private:
  std::vector<std::string> few_;
  std::unordered_set<std::string> many_;
};

}  // namespace

std::variant<nlohmann::json, api_error> parse_json_body(std::string_view body) {
  // The keys of each object being parsed (innermost last), to find a key given twice.
  std::vector<object_keys> open_objects;
  std::optional<std::string> repeated;
  auto json = nlohmann::json::parse(
      body,
      [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using ev = nlohmann::json::parse_event_t;
        if (event == ev::object_start) {
          open_objects.emplace_back();
        } else if (event == ev::object_end) {
          if (!open_objects.empty()) open_objects.pop_back();
        } else if (event == ev::key && !open_objects.empty() && !repeated) {
          const auto& key = parsed.get_ref<const std::string&>();
          if (!open_objects.back().insert(key)) repeated = key;
        }
        return true;
      },
      /*allow_exceptions=*/false);
  if (json.is_discarded()) return bad_request(describe_json_syntax_error(body));
  if (repeated) return bad_request("'" + *repeated + "' is given twice in one object", *repeated);
  return json;
}

message_request_result parse_message_request_body(std::string_view body) {
  if (auto flat = scan_flat_object(body)) return validate_flat(*flat);
  auto parsed = parse_json_body(body);
  if (auto* e = std::get_if<api_error>(&parsed)) return *e;
  return parse_message_request(std::get<nlohmann::json>(parsed));
}

// `{"messages":[flat object, ...]}` and nothing else (see scan_flat_object_at for the items):
// the document a batch is parsed into costs more than the rest of its items' validation.
std::optional<std::vector<message_request_result>> parse_batch_items_flat(std::string_view s) {
  std::size_t i = 0;
  if (!take(s, i, '{')) return std::nullopt;
  const auto key = scan_key(s, i);
  if (!key || *key != "messages"sv || !take(s, i, '[')) return std::nullopt;
  std::vector<message_request_result> items;
  const bool flat = scan_elements(s, i, ']', [&] {
    auto item = scan_flat_object_at(s, i);
    if (item) items.push_back(validate_flat(*item));
    return item.has_value();
  });
  // Nothing after the one member (a second member goes to the document path).
  if (!flat || !take(s, i, '}') || i != s.size()) return std::nullopt;
  return items;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  // Require the date-time form with a 'T' and an explicit offset: no locale-dependent forms.
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't')) return std::nullopt;
  std::string input(text);
  input[10] = 'T';  // RFC 3339 5.6 allows "t" and "z"; the format below wants them upper case
  if (input.back() == 'z') input.back() = 'Z';
  // In seconds: system_clock's nanoseconds end in 2262, and a later send_at wrapped into the past
  // (sent at once instead of scheduled).
  cctz::time_point<std::chrono::seconds> tp;
  static const cctz::time_zone utc = cctz::utc_time_zone();
  if (!cctz::parse("%Y-%m-%dT%H:%M:%E*S%Ez", input, utc, &tp)) return std::nullopt;
  return tp.time_since_epoch().count();
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  static const cctz::time_zone utc = cctz::utc_time_zone();
  const cctz::time_point<std::chrono::seconds> tp{std::chrono::seconds{unix_seconds}};
  return cctz::format("%Y-%m-%dT%H:%M:%SZ", tp, utc);
}

}  // namespace gateway
