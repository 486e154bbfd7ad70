#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace config {

// Parses a duration as written in the config: a positive whole number followed by one unit,
// s, m, h, d or w ("90s", "15m", "24h", "7d"). std::nullopt for anything else, including 0,
// a missing unit, signs, spaces and values that overflow.
std::optional<std::chrono::seconds> parse_duration(std::string_view text) noexcept;

// The same for timers that may be shorter than a second: also accepts milliseconds ("500ms").
std::optional<std::chrono::milliseconds> parse_duration_ms(std::string_view text) noexcept;

}  // namespace config
