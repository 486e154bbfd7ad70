#include "config/load.hpp"
#include "config/yaml_documents.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/loader.hpp"
#include "config/printable_text.hpp"

#include <yaml-cpp/depthguard.h>

namespace config {

std::string to_string(const diagnostic& d) {
  return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message;
}

namespace detail {

void loader::load(const field& root, gateway_config& cfg) {
  map_reader m(ctx_, root);
  if (!m.is_map()) return;
  // Top-level "x-..." keys hold anchors for reuse (x-carrier-defaults: &defaults {...}).
  for (auto& e : m.entries()) {
    if (e.key.starts_with("x-")) e.used = true;
  }
  if (auto f = m.take("http")) read_http(*f, cfg.http);
  if (auto f = m.take("admin")) read_admin(*f, cfg.admin);
  read_store(m.take("store"), cfg.store);
  read_secrets(m.take("secrets"), cfg.secrets);
  if (auto f = m.take("webhooks")) read_webhooks(*f, cfg.webhooks);
  if (auto f = m.take("api_keys")) read_api_keys(*f, cfg);
  if (auto f = m.take("carriers")) read_carriers(*f, cfg.carriers);
  routes_at_ = m.take("routes");
  if (routes_at_) read_routes(*routes_at_, cfg.routes);
  if (auto f = m.take("senders")) read_senders(*f, cfg.senders);
  if (auto f = m.take("sender_classes")) read_sender_classes(*f, cfg.sender_classes);
  read_policy(m.take("policy"), cfg.policy);
  if (auto f = m.take("retention")) read_retention(*f, cfg.retention);
  if (auto f = m.take("logging")) read_logging(*f, cfg.logging);
  if (auto f = m.take("queue")) read_queue(*f, cfg.queue);
  if (auto f = m.take("runtime")) read_runtime(*f, cfg.runtime);
  m.finish();
  cross_check(root, cfg);
}

void loader::cross_check(const field& root, gateway_config& cfg) {
  for (const auto& ref : carrier_refs_) {
    if (cfg.find_carrier(ref.name) != nullptr) continue;
    std::vector<std::string> names;
    for (const auto& c : cfg.carriers) names.push_back(c.name);
    std::string message = ref.at.path + ": unknown carrier \"" + ref.name + "\"";
    if (auto s = detail::closest(ref.name, names)) message += " (did you mean \"" + *s + "\"?)";
    ctx_.error(ref.at.mark, message);
  }
  for (const auto& ref : profile_refs_) {
    const auto& profiles = cfg.policy.quiet_hours.profiles;
    if (std::any_of(profiles.begin(), profiles.end(), [&](const auto& p) { return p.name == ref.name; })) continue;
    ctx_.error(ref.at.mark, ref.at.path + ": must be none, default or a profile of policy.quiet_hours.profiles, "
                                          "got \"" + ref.name + "\"");
  }
  if (cfg.policy.find_category(cfg.policy.default_category) == nullptr) {
    std::string names;
    for (const auto& c : cfg.policy.categories) names += (names.empty() ? "" : ", ") + c.name;
    const YAML::Mark at = default_category_ ? default_category_->mark
                          : categories_at_  ? categories_at_->key_mark
                                            : root.mark;
    ctx_.error(at, "policy.default_category: \"" + cfg.policy.default_category +
                       "\" is not a category (categories: " + names + ")");
  }
  for (std::size_t index : carriers_without_region_) cfg.carriers[index].default_region = cfg.policy.default_region;
  for (auto& s : cfg.senders) {
    if (s.tps >= 0) continue;
    switch (s.cls) {
      case sender_class::long_code: s.tps = cfg.sender_classes.long_code_tps; break;
      case sender_class::toll_free: s.tps = cfg.sender_classes.toll_free_tps; break;
      case sender_class::short_code: s.tps = cfg.sender_classes.short_code_tps; break;
      case sender_class::alphanumeric: s.tps = cfg.sender_classes.alphanumeric_tps; break;
    }
  }
  // Keys without their own secret sign with the global one; a URL needs some secret.
  for (auto& key : cfg.api_keys) {
    if (key.webhooks && key.webhooks->secret.empty()) key.webhooks->secret = cfg.webhooks.targets.secret;
  }
  if (cfg.webhooks.targets.secret.empty()) {
    for (const auto& [scope, url] : webhook_urls_without_secret_) {
      ctx_.error(url.mark, url.path + ": a webhook URL needs a signing secret (secret or secret_file" +
                               std::string(scope == "key" ? " here or in webhooks" : "") + ")");
    }
  }
  if (http_listen_ && admin_listen_ && cfg.http.listen == cfg.admin.listen && cfg.http.listen.port != 0) {
    ctx_.error(admin_listen_->mark, "admin.listen: the same address as http.listen");
  }
  if (cfg.carriers.empty()) {
    ctx_.warn(root.mark, "no carriers are configured: nothing can be sent");
  } else if (std::none_of(cfg.routes.begin(), cfg.routes.end(), [](const route& r) { return r.prefix == "+"; })) {
    ctx_.warn(routes_at_ ? routes_at_->key_mark : root.mark,
              "routes: no default route (prefix \"+\"): numbers matching no prefix get no_route");
  }
}

}  // namespace detail

namespace {

using detail::context;
using detail::loader;

void sort_by_position(std::vector<diagnostic>& list) {
  std::stable_sort(list.begin(), list.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

}  // namespace

namespace detail {

YAML::Mark deep_nesting_mark(std::string_view text, const YAML::Mark& reported) {
  // Flow nesting ([[[...): yaml-cpp's mark is where its scanner was (the end of the brackets, or
  // 1:1), so the first bracket of the deepest level is found here, outside quotes and comments.
  // Block nesting: its mark is the line where it got too deep.
  YAML::Mark at = reported;
  YAML::Mark here;
  here.line = 0;
  here.column = 0;
  int depth = 0;
  int deepest = 0;
  char quote = 0;
  bool escaped = false;
  bool comment = false;
  char previous = '\n';
  for (const char c : text) {
    if (c == '\n') {
      comment = false;
    } else if (comment) {
      // up to the end of the line
    } else if (quote != 0) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\' && quote == '"') {
        escaped = true;
      } else if (c == quote) {
        quote = 0;
      }
    } else if ((c == '"' || c == '\'') && std::string_view(" \t\n,[{:").find(previous) != std::string_view::npos) {
      quote = c;
    } else if (c == '#' && (previous == ' ' || previous == '\t' || previous == '\n')) {
      comment = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) {
        deepest = depth;
        at = here;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    previous = c;
    if (c == '\n') {
      ++here.line;
      here.column = 0;
    } else {
      ++here.column;
    }
  }
  // A configuration nests a handful of levels: far deeper flow nesting is what yaml-cpp refused.
  constexpr int deep_flow = 64;
  return deepest >= deep_flow ? at : reported;
}

load_result load_traced(std::string_view text, const std::string& display_name, const std::string& base_dir,
                        std::set<std::string>* asked, std::set<std::string>* present) {
  load_result result;
  context ctx;
  ctx.asked = asked;
  ctx.present = present;
  ctx.file = display_name;
  ctx.base_dir = std::filesystem::absolute(base_dir.empty() ? std::string(".") : base_dir).lexically_normal();
  result.config.source_file = display_name;
  result.config.base_dir = ctx.base_dir.string();

  yaml_documents documents;
  try {
    documents = read_yaml_documents(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp says only "bad file", and for flow collections ([[[...) at line 1, column 1.
    ctx.error(deep_nesting_mark(text, e.mark),
              "the YAML nesting is too deep: lists and mappings nested " + std::to_string(e.depth()) +
                  " levels deep (a configuration needs a handful)");
  } catch (const YAML::ParserException& e) {
    ctx.error(e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    ctx.error(e.mark, std::string("YAML error: ") + e.what());
  }
  if (ctx.errors.empty()) {
    if (documents.stuck) {
      const auto at = static_cast<std::size_t>(documents.stuck->pos);
      const std::string what = at < text.size() ? "'" + printable(text.substr(at, 1)) + "'" : "text";
      ctx.error(*documents.stuck, "YAML syntax error: unexpected " + what +
                                      " where a key, a value or a list item was expected");
    } else if (!documents.first || documents.first->IsNull()) {
      ctx.error(YAML::Mark(), "the configuration is empty");
    } else {
      if (documents.second) ctx.error(*documents.second, "only one YAML document is allowed per file");
      try {
        loader(ctx).load(root_field(*documents.first, ""), result.config);
      } catch (const YAML::Exception& e) {
        // yaml-cpp throws on conversions we do not use; keep a bug here from crashing the caller.
        ctx.error(e.mark, std::string("YAML error: ") + e.what());
      }
    }
  }
  sort_by_position(ctx.errors);
  sort_by_position(ctx.warnings);
  result.errors = std::move(ctx.errors);
  result.warnings = std::move(ctx.warnings);
  return result;
}

}  // namespace detail

load_result load_config_from_string(std::string_view text, const std::string& display_name,
                                    const std::string& base_dir) {
  return detail::load_traced(text, display_name, base_dir, nullptr, nullptr);
}

load_result load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    load_result result;
    int err = in ? EISDIR : errno;
    result.errors.push_back({path, 1, 1, std::string("cannot read the configuration: ") + std::strerror(err)});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return load_config_from_string(text.str(), path, dir.empty() ? "." : dir.string());
}

}  // namespace config