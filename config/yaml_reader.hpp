#pragma once

// Internal: typed, position-aware reading of a yaml-cpp tree. Every reader records its problems
// in the context (with the 1-based position of the offending key or value) and carries on, so
// that one pass reports every error of a file. Only load.cpp and the tests include this.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/enum_names.hpp"
#include "config/load.hpp"

namespace config::detail {

struct context {
  std::string file;
  std::filesystem::path base_dir;
  std::vector<diagnostic> errors;
  std::vector<diagnostic> warnings;
  // For tests: the key paths the schema asked for and those the file has (list indexes kept).
  std::set<std::string>* asked = nullptr;
  std::set<std::string>* present = nullptr;

  void error(const YAML::Mark& at, std::string message);
  void warn(const YAML::Mark& at, std::string message);
  // Relative to the directory of the config file; ":memory:" and absolute paths unchanged.
  std::string resolve(const std::string& path) const;
};

// One value of a mapping (or item of a list) and where it was written.
struct field {
  YAML::Node node;
  YAML::Mark key_mark;  // the key (or the item itself in a list)
  YAML::Mark mark;      // the value; the key when the value has no position (empty value)
  std::string path;     // "carriers[0].port", for messages
};

field root_field(const YAML::Node& node, std::string path);
field item_field(const field& list, const YAML::Node& item, std::size_t index);
std::string describe(const YAML::Node& node);  // "a mapping", "a list", "nothing", "\"abc\""

// Smallest edit distance from `word` among `candidates`, when it is close enough to be a typo.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

// Reads a mapping. take() hands out the value of a known key; finish() reports every key that
// was not taken as unknown (with a suggestion) and duplicate keys were reported on construction.
class map_reader {
 public:
  map_reader(context& ctx, const field& self);
  bool is_map() const noexcept { return is_map_; }
  const field& self() const noexcept { return self_; }
  context& ctx() noexcept { return ctx_; }

  std::optional<field> take(std::string_view key);  // nullopt when absent or null (~)
  std::optional<field> require(std::string_view key);  // reports a missing key
  void finish();

  // The entries in file order, for mappings keyed by user names (categories, jurisdictions).
  struct entry {
    std::string key;
    field value;
    bool used = false;
  };
  std::vector<entry>& entries() noexcept { return entries_; }

 private:
  void add(const std::string& name, const YAML::Node& key, const YAML::Node& value, bool own);

  context& ctx_;
  field self_;
  bool is_map_ = false;
  std::vector<entry> entries_;
  std::vector<std::string> known_;
};

// Scalar readers: report "<path>: must be ..., got ..." and return nullopt on a bad value.
std::optional<std::string> read_string(context&, const field&, bool allow_empty = false);
std::optional<std::int64_t> read_integer(context&, const field&, std::int64_t min, std::int64_t max);
std::optional<double> read_number(context&, const field&, double min_exclusive, double max);
std::optional<bool> read_bool(context&, const field&);
std::optional<std::chrono::seconds> read_duration(context&, const field&);
std::optional<std::chrono::milliseconds> read_duration_ms(context&, const field&);
std::optional<std::size_t> read_size(context&, const field&, std::size_t min, std::size_t max);
std::optional<int> read_time_of_day(context&, const field&);  // minutes after midnight, 24:00 ok
std::optional<endpoint> read_endpoint(context&, const field&, bool allow_port_zero);
std::optional<std::vector<field>> read_list(context&, const field&);
std::optional<std::string> read_secret_file(context&, const field&);  // the file named by `field`

template <typename E, std::size_t N>
std::optional<E> read_enum(context& ctx, const field& f, const name_table<E, N>& table) {
  if (f.node.IsScalar()) {
    if (auto v = value_of(table, f.node.Scalar())) return v;
  }
  ctx.error(f.mark, f.path + ": must be " + list_names(table) + ", got " + describe(f.node));
  return std::nullopt;
}

// Convenience: read an optional key straight into `out` (left unchanged when absent or bad).
template <typename T, typename Reader>
void optional_key(map_reader& m, std::string_view key, T& out, Reader&& reader) {
  if (auto f = m.take(key)) {
    if (auto v = reader(m.ctx(), *f)) out = std::move(*v);
  }
}

// Where to report yaml-cpp's "nesting too deep" (DeepRecursion): for flow nesting, which it
// reports at 1:1 or at the end of the brackets, the first bracket of the deepest level of
// `text`; otherwise (block nesting) its own mark.
YAML::Mark deep_nesting_mark(std::string_view text, const YAML::Mark& reported);

// load_config_from_string, recording the key paths asked for and present (see context).
load_result load_traced(std::string_view text, const std::string& display_name, const std::string& base_dir,
                        std::set<std::string>* asked, std::set<std::string>* present);

}  // namespace config::detail
