#include "gateway/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "policy/number_mask.hpp"

namespace gateway::log {
namespace {

std::atomic<level> min_level_{level::info};
std::atomic<format> format_{format::json};

std::string_view name(level lvl) {
  switch (lvl) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = std::make_shared<spdlog::logger>("smsgw", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

std::string now_utc() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

field number(std::string_view key, std::string_view e164) { return {key, policy::mask_number(e164)}; }

void init(level min_level, format fmt) {
  min_level_ = min_level;
  format_ = fmt;
  logger();
}

std::string render(level lvl, std::string_view event, std::initializer_list<field> fields, format fmt,
                   std::string_view timestamp) {
  if (fmt == format::json) {
    nlohmann::ordered_json line;
    line["ts"] = timestamp;
    line["level"] = name(lvl);
    line["event"] = event;
    for (const auto& f : fields) {
      std::visit([&](const auto& v) { line[std::string(f.key)] = v; }, f.value);
    }
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = std::string(timestamp) + " " + std::string(name(lvl)) + " " + std::string(event);
  for (const auto& f : fields) {
    out += " ";
    out += f.key;
    out += "=";
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            out += v;
          } else if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
          } else {
            out += std::to_string(v);
          }
        },
        f.value);
  }
  return out;
}

void write(level lvl, std::string_view event, std::initializer_list<field> fields) {
  if (lvl < min_level_.load(std::memory_order_relaxed)) return;
  logger().log(spdlog::level::info, "{}", render(lvl, event, fields, format_, now_utc()));
}

}  // namespace gateway::log
