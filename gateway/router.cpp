#include "gateway/router.hpp"

#include <algorithm>

namespace gateway {

router::router(std::vector<route> routes) : routes_(std::move(routes)) {
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const route& a, const route& b) { return a.prefix.size() > b.prefix.size(); });
}

std::vector<std::string> router::candidates(std::string_view e164) const {
  std::vector<std::string> out;
  for (const auto& r : routes_) {
    if (e164.substr(0, r.prefix.size()) != r.prefix) continue;
    if (std::find(out.begin(), out.end(), r.carrier) == out.end()) out.push_back(r.carrier);
  }
  return out;
}

std::string router::choose(std::string_view e164, const std::function<bool(std::string_view)>& is_bound) const {
  auto list = candidates(e164);
  if (list.empty()) return {};
  for (const auto& carrier : list) {
    if (is_bound(carrier)) return carrier;
  }
  return list.front();
}

}  // namespace gateway
