#pragma once

// The configuration loader (internal to config/): one class that reads every section of the YAML
// file, with the typed value readers it uses. Its section readers live in
//   load.cpp           the entry points, the top level and the checks across sections
//   load_service.cpp   http, admin, store, secrets, webhooks, api keys, retention, logging, queue,
//                      runtime
//   load_carriers.cpp  carriers, routes, senders, sender classes
//   load_policy.cpp    policy: number types, quiet hours, categories, keywords

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/gateway_config.hpp"
#include "config/value_shapes.hpp"
#include "config/yaml_reader.hpp"

namespace config::detail {

inline std::string line_of(const field& f) { return std::to_string(f.key_mark.line + 1); }

// Remembers names already seen in a list and reports the second one.
class unique_names {
 public:
  explicit unique_names(std::string what) : what_(std::move(what)) {}
  bool add(context& ctx, const field& f, const std::string& name) {
    for (const auto& [seen, at] : seen_) {
      if (seen == name) {
        ctx.error(f.mark, f.path + ": duplicate " + what_ + " \"" + name + "\" (first at line " + line_of(at) + ")");
        return false;
      }
    }
    seen_.emplace_back(name, f);
    return true;
  }

 private:
  std::string what_;
  std::vector<std::pair<std::string, field>> seen_;
};

// Typed readers bound to a value shape, for optional_key.
inline auto string_reader(bool allow_empty = false) {
  return [allow_empty](context& ctx, const field& f) { return read_string(ctx, f, allow_empty); };
}
template <typename T>
auto unsigned_reader(T min, T max) {
  return [min, max](context& ctx, const field& f) -> std::optional<T> {
    auto v = read_integer(ctx, f, static_cast<std::int64_t>(min), static_cast<std::int64_t>(max));
    if (!v) return std::nullopt;
    return static_cast<T>(*v);
  };
}
inline auto number_reader(double max) {
  return [max](context& ctx, const field& f) { return read_number(ctx, f, 0.0, max); };
}
inline constexpr auto bool_reader = [](context& ctx, const field& f) { return read_bool(ctx, f); };
inline constexpr auto duration_reader = [](context& ctx, const field& f) { return read_duration(ctx, f); };
inline constexpr auto duration_ms_reader = [](context& ctx, const field& f) { return read_duration_ms(ctx, f); };
inline constexpr auto path_reader = [](context& ctx, const field& f) -> std::optional<std::string> {
  auto s = read_string(ctx, f);
  if (!s) return std::nullopt;
  return ctx.resolve(*s);
};
template <typename E, std::size_t N>
auto enum_reader(const name_table<E, N>& table) {
  return [&table](context& ctx, const field& f) { return read_enum(ctx, f, table); };
}

// A reference to a name defined elsewhere in the file, checked once everything is read.
struct reference {
  std::string name;
  field at;
};

class loader {
 public:
  explicit loader(context& ctx) : ctx_(ctx) {}

  // Reads the whole file into cfg; errors and warnings go to the context.
  void load(const field& root, gateway_config& cfg);

 private:
  context& ctx_;
  std::vector<reference> carrier_refs_;   // routes -> carriers
  std::vector<reference> profile_refs_;   // categories -> quiet hours profiles
  std::optional<field> default_category_;
  std::optional<field> categories_at_;
  std::vector<std::pair<std::string, field>> webhook_urls_without_secret_;
  std::vector<std::size_t> carriers_without_region_;
  std::optional<field> routes_at_;
  std::optional<field> http_listen_;
  std::optional<field> admin_listen_;

  // ------------------------------------------------------------ http, admin (load_service.cpp)

  void read_http(const field& f, http_settings& out);
  void read_admin(const field& f, admin_settings& out);

  // ------------------------------------------------------------ store, secrets (load_service.cpp)

  void read_store(const std::optional<field>& f, store_settings& out);
  // redis://[[user]:password@]host[:port][/db]
  void read_redis_url(const field& f, const std::string& url, store_settings& out);
  void read_secrets(const std::optional<field>& f, secrets_settings& out);
  void check_number_key_file(const field& f, const secrets_settings& s);

  // ------------------------------------------------------------ webhooks, api keys (load_service.cpp)

  void read_webhook_targets(map_reader& m, webhook_targets& out, bool inherit_secret);
  void read_webhooks(const field& f, webhook_settings& out);
  void read_api_keys(const field& f, gateway_config& cfg);
  void read_sender_list(const field& f, std::vector<std::string>& out);
  void read_rate_limit(const field& f, rate_limit& out);

  // ------------------------------------------------------------ carriers, routes, senders (load_carriers.cpp)

  void read_carriers(const field& f, std::vector<carrier>& out);
  void read_bounded_string(const field& f, std::string& out, std::size_t max, bool allow_empty = false);
  void read_region(const field& f, std::string& out);
  void read_tls(const field& f, tls_settings& out);
  void read_routes(const field& f, std::vector<route>& out);
  void read_senders(const field& f, std::vector<sender>& out);
  void read_sender_classes(const field& f, sender_class_settings& out);

  // ------------------------------------------------------------ policy (load_policy.cpp)

  void read_policy(const std::optional<field>& f, policy_settings& out);
  void read_number_types(const field& f, std::vector<number_type>& out);
  std::optional<time_window> read_window(const field& f);
  void read_quiet_hours(const field& f, quiet_hours_settings& out);
  void read_categories(const field& f, std::vector<category>& out);
  // Reads a keyword block over `base` (each key given replaces that part of the base).
  // `positions` receives where each word given in this block was written.
  void read_keyword_set(map_reader& m, keyword_settings& out, std::vector<std::pair<std::string, field>>& positions);
  void check_keyword_overlap(const field& at, const keyword_settings& k,
                             const std::vector<std::pair<std::string, field>>& positions);
  void read_keywords(const field& f, policy_settings& out);

  // ------------------------------------------------------------ retention, logging, queue (load_service.cpp)

  void read_retention(const field& f, retention_settings& out);
  void read_logging(const field& f, logging_settings& out);
  void read_queue(const field& f, queue_settings& out);
  void read_runtime(const field& f, runtime_settings& out);

  // ------------------------------------------------------------ checks across sections (load.cpp)

  void cross_check(const field& root, gateway_config& cfg);
};

}  // namespace config::detail
