#include "config/duration.hpp"

#include <cstdint>
#include <limits>

namespace config {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) noexcept {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return std::nullopt;
  }
  std::int64_t value = 0;
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max() / (7 * 86400) / 10;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > max) return std::nullopt;
  }
  if (value == 0) return std::nullopt;
  return std::chrono::seconds{value * unit};
}

std::optional<std::chrono::milliseconds> parse_duration_ms(std::string_view text) noexcept {
  if (text.size() > 2 && text.ends_with("ms")) {
    // Reuse the seconds parser for the digits: "250ms" -> "250s" -> 250.
    std::string_view digits = text.substr(0, text.size() - 2);
    if (digits.size() > 15) return std::nullopt;
    char buffer[17];
    digits.copy(buffer, digits.size());
    buffer[digits.size()] = 's';
    auto value = parse_duration(std::string_view(buffer, digits.size() + 1));
    if (!value) return std::nullopt;
    return std::chrono::milliseconds{value->count()};
  }
  auto value = parse_duration(text);
  if (!value || value->count() > std::numeric_limits<std::int64_t>::max() / 1000) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*value);
}

}  // namespace config
