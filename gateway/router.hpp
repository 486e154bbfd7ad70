#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gateway {

struct route {
  std::string prefix;  // "+", "+1", "+4479", ...: matched against the E.164 number
  std::string carrier;
};

// Longest-prefix routing with failover. Pure: which carriers are bound is asked of the caller.
class router {
 public:
  explicit router(std::vector<route> routes);

  // Every carrier whose route matches `e164`, longest prefix first, each carrier once. Routes
  // with the same prefix keep their configuration order. Empty: no route (422 no_route).
  std::vector<std::string> candidates(std::string_view e164) const;

  // The carrier to queue the message for: the first candidate with a bound session; when none
  // is bound, the first candidate (the message waits in its queue). Empty: no route.
  std::string choose(std::string_view e164, const std::function<bool(std::string_view)>& is_bound) const;

 private:
  std::vector<route> routes_;  // sorted by prefix length, longest first (stable)
};

}  // namespace gateway
