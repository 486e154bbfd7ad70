#include "config/value_shapes.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace config::detail {

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

bool valid_sender_id(std::string_view s) {
  if (s.starts_with('+')) return is_digits(s.substr(1)) && s.size() >= 8 && s.size() <= 16;
  if (is_digits(s)) return s.size() >= 3 && s.size() <= 8;
  if (s.empty() || s.size() > 11) return false;
  bool letter = false;
  for (char c : s) {
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    letter = letter || alpha;
    if (!alpha && !(c >= '0' && c <= '9') && c != ' ' && c != '-' && c != '.' && c != '&') return false;
  }
  return letter;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool valid_region(std::string_view s) { return s.size() == 2 && is_upper(s[0]) && is_upper(s[1]); }

bool valid_jurisdiction(std::string_view s) {
  if (s.size() == 2) return valid_region(s);
  if (s.size() < 4 || s.size() > 6 || s[2] != '-' || !valid_region(s.substr(0, 2))) return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) { return is_upper(c) || (c >= '0' && c <= '9'); });
}

bool valid_prefix(std::string_view s) {
  return s.starts_with('+') && s.size() <= 16 && (s.size() == 1 || is_digits(s.substr(1)));
}

bool valid_http_url(std::string_view s) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (s.starts_with(scheme)) {
      std::string_view rest = s.substr(scheme.size());
      return !rest.empty() && rest.front() != '/' && rest.find(' ') == std::string_view::npos;
    }
  }
  return false;
}

sha256_digest sha256(std::string_view data) {
  sha256_digest out{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

std::optional<sha256_digest> parse_hex_digest(std::string_view s) {
  if (s.size() != 64) return std::nullopt;
  sha256_digest out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(s[2 * i]);
    int lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace config::detail
