#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/bounded_file.hpp"
#include "config/duration.hpp"
#include "config/printable_text.hpp"

namespace config::detail {

namespace {

int one_based(int zero_based) { return zero_based < 0 ? 1 : zero_based + 1; }

// Keys and values from the file end up in messages: bytes that are not UTF-8 and control
// characters are escaped there (printable), once for every message.
diagnostic make(const std::string& file, const YAML::Mark& at, const std::string& message) {
  return {file, one_based(at.line), one_based(at.column), printable(message)};
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string where(const field& f) { return f.path.empty() ? std::string("the file") : f.path; }

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters ("prot" -> "port") each cost one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

template <typename T>
std::optional<T> parse_whole(std::string_view s) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

void context::error(const YAML::Mark& at, std::string message) {
  errors.push_back(make(file, at, std::move(message)));
}

void context::warn(const YAML::Mark& at, std::string message) {
  warnings.push_back(make(file, at, std::move(message)));
}

std::string context::resolve(const std::string& path) const {
  if (path == ":memory:") return path;
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (base_dir / p).lexically_normal().string();
}

field root_field(const YAML::Node& node, std::string path) {
  return {node, node.Mark(), node.Mark(), std::move(path)};
}

field item_field(const field& list, const YAML::Node& item, std::size_t index) {
  YAML::Mark mark = item.Mark();
  if (mark.is_null() || item.IsNull()) mark = list.mark;
  return {item, mark, mark, list.path + "[" + std::to_string(index) + "]"};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return quote(node.Scalar());
    default: return "nothing";
  }
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (!best || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  // A typo: one edit in short words, up to a third of the letters in longer ones.
  std::size_t allowed = std::max<std::size_t>(1, word.size() / 3);
  if (best && best_distance <= allowed) return best;
  return std::nullopt;
}

// ---------------------------------------------------------------- map_reader

map_reader::map_reader(context& ctx, const field& self) : ctx_(ctx), self_(self) {
  if (!self.node.IsMap()) {
    ctx_.error(self.mark, where(self) + ": must be a mapping (key: value), got " + describe(self.node));
    return;
  }
  is_map_ = true;
  std::vector<YAML::Node> merged;  // values of "<<" merge keys, applied after the own keys
  for (auto it = self.node.begin(); it != self.node.end(); ++it) {
    // The iterator hands out a temporary pair: copy the nodes (they are handles) out of it.
    const YAML::detail::iterator_value pair = *it;
    const YAML::Node key = pair.first;
    const YAML::Node value = pair.second;
    if (!key.IsScalar()) {
      ctx_.error(key.Mark(), where(self) + ": keys must be plain names, got " + describe(key));
      continue;
    }
    std::string name = key.Scalar();
    if (name == "<<" && key.Tag() == "?") {
      std::vector<YAML::Node> sources;
      if (value.IsSequence()) {
        for (auto m = value.begin(); m != value.end(); ++m) sources.push_back(*m);
      } else {
        sources.push_back(value);
      }
      for (const auto& source : sources) {
        if (source.IsMap()) {
          merged.push_back(source);
        } else {
          ctx_.error(key.Mark(), where(self) + ": a merge key (<<) takes a mapping or a list of mappings");
        }
      }
      continue;
    }
    add(name, key, value, true);
  }
  // YAML merge keys (<<: *anchor): the anchored mapping's keys, unless given here. Earlier
  // mappings of a merge list win over later ones. yaml-cpp 0.7 does not do this itself.
  for (const auto& source : merged) {
    if (!source.IsMap()) continue;
    for (auto it = source.begin(); it != source.end(); ++it) {
      const YAML::detail::iterator_value pair = *it;
      if (pair.first.IsScalar()) add(pair.first.Scalar(), pair.first, pair.second, false);
    }
  }
}

void map_reader::add(const std::string& name, const YAML::Node& key, const YAML::Node& value, bool own) {
  auto first = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.key == name; });
  if (first != entries_.end()) {
    if (own) {
      ctx_.error(key.Mark(), join_path(self_.path, name) + ": duplicate key (first at line " +
                                 std::to_string(one_based(first->value.key_mark.line)) + ")");
    }
    return;
  }
  YAML::Mark value_mark = value.Mark();
  if (value_mark.is_null() || value.IsNull()) value_mark = key.Mark();
  entries_.push_back({name, field{value, key.Mark(), value_mark, join_path(self_.path, name)}, false});
  if (ctx_.present != nullptr) ctx_.present->insert(entries_.back().value.path);
}

std::optional<field> map_reader::take(std::string_view key) {
  known_.emplace_back(key);
  if (ctx_.asked != nullptr && is_map_) ctx_.asked->insert(join_path(self_.path, key));
  for (auto& e : entries_) {
    if (e.key == key) {
      e.used = true;
      if (e.value.node.IsNull()) return std::nullopt;
      return e.value;
    }
  }
  return std::nullopt;
}

std::optional<field> map_reader::require(std::string_view key) {
  auto f = take(key);
  if (!f && is_map_) {
    ctx_.error(self_.mark, where(self_) + ": missing required key \"" + std::string(key) + "\"");
  }
  return f;
}

void map_reader::finish() {
  for (auto& e : entries_) {
    if (e.used) continue;
    std::string message = (self_.path.empty() ? std::string() : self_.path + ": ") + "unknown key " + quote(e.key);
    if (auto suggestion = closest(e.key, known_)) message += " (did you mean \"" + *suggestion + "\"?)";
    ctx_.error(e.value.key_mark, std::move(message));
  }
}

// ---------------------------------------------------------------- scalars

std::optional<std::string> read_string(context& ctx, const field& f, bool allow_empty) {
  if (!f.node.IsScalar()) {
    ctx.error(f.mark, f.path + ": must be a string, got " + describe(f.node));
    return std::nullopt;
  }
  if (!allow_empty && f.node.Scalar().empty()) {
    ctx.error(f.mark, f.path + ": must not be empty");
    return std::nullopt;
  }
  return f.node.Scalar();
}

std::optional<std::int64_t> read_integer(context& ctx, const field& f, std::int64_t min, std::int64_t max) {
  if (f.node.IsScalar()) {
    auto v = parse_whole<std::int64_t>(f.node.Scalar());
    if (v && *v >= min && *v <= max) return v;
  }
  ctx.error(f.mark, f.path + ": must be an integer from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got " + describe(f.node));
  return std::nullopt;
}

std::optional<double> read_number(context& ctx, const field& f, double min_exclusive, double max) {
  if (f.node.IsScalar()) {
    auto v = parse_whole<double>(f.node.Scalar());
    if (v && std::isfinite(*v) && *v > min_exclusive && *v <= max) return v;
  }
  std::ostringstream bounds;
  bounds.precision(15);
  bounds << "greater than " << min_exclusive << " and at most " << max;
  ctx.error(f.mark, f.path + ": must be a number " + bounds.str() + ", got " + describe(f.node));
  return std::nullopt;
}

std::optional<bool> read_bool(context& ctx, const field& f) {
  if (f.node.IsScalar()) {
    const std::string& s = f.node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  ctx.error(f.mark, f.path + ": must be true or false, got " + describe(f.node));
  return std::nullopt;
}

std::optional<std::chrono::seconds> read_duration(context& ctx, const field& f) {
  if (f.node.IsScalar()) {
    if (auto v = parse_duration(f.node.Scalar())) return v;
  }
  ctx.error(f.mark, f.path + ": must be a duration such as 90s, 15m, 24h or 7d, got " + describe(f.node));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> read_duration_ms(context& ctx, const field& f) {
  if (f.node.IsScalar()) {
    if (auto v = parse_duration_ms(f.node.Scalar())) return v;
  }
  ctx.error(f.mark, f.path + ": must be a duration such as 500ms, 30s or 5m, got " + describe(f.node));
  return std::nullopt;
}

std::optional<std::size_t> read_size(context& ctx, const field& f, std::size_t min, std::size_t max) {
  if (f.node.IsScalar()) {
    std::string_view s = f.node.Scalar();
    std::size_t unit = 1;
    for (auto [suffix, factor] : {std::pair<std::string_view, std::size_t>{"KiB", 1024},
                                  {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}}) {
      if (s.size() > suffix.size() && s.ends_with(suffix)) {
        s.remove_suffix(suffix.size());
        unit = factor;
        break;
      }
    }
    auto v = parse_whole<std::size_t>(s);
    if (v && *v <= max / unit && *v * unit >= min && *v * unit <= max) return *v * unit;
  }
  ctx.error(f.mark, f.path + ": must be a size from " + std::to_string(min) + " to " + std::to_string(max) +
                        " bytes (a number, or with KiB or MiB), got " + describe(f.node));
  return std::nullopt;
}

std::optional<int> read_time_of_day(context& ctx, const field& f) {
  if (f.node.IsScalar()) {
    const std::string& s = f.node.Scalar();
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (s.size() == 5 && digit(s[0]) && digit(s[1]) && s[2] == ':' && digit(s[3]) && digit(s[4])) {
      int hours = (s[0] - '0') * 10 + (s[1] - '0');
      int minutes = (s[3] - '0') * 10 + (s[4] - '0');
      if ((hours < 24 && minutes < 60) || (hours == 24 && minutes == 0)) return hours * 60 + minutes;
    }
  }
  ctx.error(f.mark, f.path + ": must be a time of day HH:MM from 00:00 to 24:00, got " + describe(f.node));
  return std::nullopt;
}

std::optional<endpoint> read_endpoint(context& ctx, const field& f, bool allow_port_zero) {
  if (f.node.IsScalar()) {
    std::string_view s = f.node.Scalar();
    std::string_view host;
    std::string_view port;
    if (s.starts_with('[')) {  // [v6]:port
      auto close = s.find("]:");
      if (close != std::string_view::npos) {
        host = s.substr(1, close - 1);
        port = s.substr(close + 2);
      }
    } else if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
      host = s.substr(0, colon);
      if (host.find(':') == std::string_view::npos) port = s.substr(colon + 1);
    }
    auto p = parse_whole<std::uint32_t>(port);
    if (!host.empty() && p && *p <= 65535 && (allow_port_zero || *p > 0)) {
      return endpoint{std::string(host), static_cast<std::uint16_t>(*p)};
    }
  }
  ctx.error(f.mark, f.path + ": must be HOST:PORT such as 127.0.0.1:8080 or [::1]:8080 (port " +
                        (allow_port_zero ? "0" : "1") + " to 65535), got " + describe(f.node));
  return std::nullopt;
}

std::optional<std::vector<field>> read_list(context& ctx, const field& f) {
  if (!f.node.IsSequence()) {
    ctx.error(f.mark, f.path + ": must be a list, got " + describe(f.node));
    return std::nullopt;
  }
  std::vector<field> items;
  std::size_t index = 0;
  for (auto it = f.node.begin(); it != f.node.end(); ++it, ++index) {
    items.push_back(item_field(f, *it, index));
  }
  return items;
}

std::optional<std::string> read_secret_file(context& ctx, const field& f) {
  auto name = read_string(ctx, f);
  if (!name) return std::nullopt;
  std::string path = ctx.resolve(*name);
  // A secret file holds one secret: reading stops after 64 KiB (a path such as /dev/zero or a
  // large file by mistake must not read forever).
  common::bounded_file file = common::read_bounded_file(path, 64 * 1024);
  if (file.error == EISDIR) {
    ctx.error(f.key_mark, f.path + ": cannot read \"" + path + "\": it is a directory");
    return std::nullopt;
  }
  if (file.error != 0) {
    ctx.error(f.key_mark, f.path + ": cannot read \"" + path + "\": " + std::strerror(file.error));
    return std::nullopt;
  }
  if (file.too_large) {
    ctx.error(f.key_mark, f.path + ": the file \"" + path + "\" is larger than 64 KiB; a secret file holds one secret");
    return std::nullopt;
  }
  std::string secret = std::move(file.content);
  // A trailing newline is how editors and `echo` write files; it is not part of the secret.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    ctx.error(f.key_mark, f.path + ": the file \"" + path + "\" is empty");
    return std::nullopt;
  }
  return secret;
}

}  // namespace config::detail
