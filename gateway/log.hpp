#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace gateway::log {

enum class level { debug, info, warn, error };
enum class format { json, text };

// One structured field. Phone numbers must go through `number()` so that they are masked;
// message bodies are never logged unless the operator turned `logging.log_bodies` on.
struct field {
  std::string_view key;
  std::variant<std::string, std::int64_t, double, bool> value;
};

// A phone number field, masked ("+1415*****23").
field number(std::string_view key, std::string_view e164);

// Configures the process-wide logger (stderr). Thread-safe after the first call.
void init(level min_level, format fmt);

// Renders one log line without writing it (used by write and by tests):
// json: {"ts":"...","level":"info","event":"...","key":value,...}; text: ts level event key=value ...
std::string render(level lvl, std::string_view event, std::initializer_list<field> fields, format fmt,
                   std::string_view timestamp);

void write(level lvl, std::string_view event, std::initializer_list<field> fields = {});

inline void info(std::string_view event, std::initializer_list<field> fields = {}) {
  write(level::info, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<field> fields = {}) {
  write(level::warn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<field> fields = {}) {
  write(level::error, event, fields);
}
inline void debug(std::string_view event, std::initializer_list<field> fields = {}) {
  write(level::debug, event, fields);
}

}  // namespace gateway::log
