#include "tools/smsgw_load/response_classifier.hpp"

namespace smsgw_load {

std::uint64_t outcome_counts::rejected_total() const {
  std::uint64_t n = 0;
  for (const auto& [code, c] : rejected) n += c;
  return n;
}

void outcome_counts::merge(const outcome_counts& o) {
  accepted += o.accepted;
  for (const auto& [code, c] : o.rejected) rejected[code] += c;
}

std::string_view find_error_code(std::string_view body) {
  constexpr std::string_view key = "\"code\":";
  auto p = body.find(key);
  if (p == std::string_view::npos) return {};
  p += key.size();
  while (p < body.size() && body[p] == ' ') ++p;
  if (p >= body.size() || body[p] != '"') return {};
  const auto end = body.find('"', p + 1);
  if (end == std::string_view::npos) return {};
  return body.substr(p + 1, end - p - 1);
}

namespace {

void count_refusal(int status, std::string_view body, std::uint64_t n, outcome_counts& out) {
  std::string_view code = find_error_code(body);
  std::string key = code.empty() ? "http_" + std::to_string(status) : std::string(code);
  auto it = out.rejected.find(key);
  if (it == out.rejected.end()) out.rejected.emplace(std::move(key), n);
  else it->second += n;
}

// Calls fn(item) for each top-level element of the JSON array starting at body[pos] == '['.
// Strings (with escapes) are skipped so that braces inside them do not count.
template <class Fn>
std::size_t for_each_item(std::string_view body, std::size_t pos, Fn fn) {
  int depth = 0;
  bool in_string = false;
  std::size_t item_start = 0;
  std::size_t items = 0;
  for (std::size_t i = pos; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[': case '{':
        if (++depth == 2) item_start = i;
        break;
      case ']': case '}':
        if (depth-- == 2) {
          fn(body.substr(item_start, i + 1 - item_start));
          ++items;
        }
        if (depth == 0) return items;
        break;
      default: break;
    }
  }
  return items;
}

}  // namespace

void classify_single(int status, std::string_view body, outcome_counts& out) {
  if (status == 202) {
    ++out.accepted;
    return;
  }
  count_refusal(status, body, 1, out);
}

std::uint64_t classify_batch(int status, std::string_view body, std::uint64_t expected, outcome_counts& out) {
  if (status != 200) {
    count_refusal(status, body, expected, out);
    return 0;
  }
  const auto results = body.find("\"results\":");
  if (results == std::string_view::npos) return 0;
  const auto open = body.find('[', results);
  if (open == std::string_view::npos) return 0;
  return for_each_item(body, open, [&](std::string_view item) {
    if (item.find("\"error\":") != std::string_view::npos) count_refusal(200, item, 1, out);
    else ++out.accepted;
  });
}

}  // namespace smsgw_load
