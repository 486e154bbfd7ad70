#include "gateway/lease_budget.hpp"

#include <algorithm>
#include <cmath>

namespace gateway {

namespace {

// What `limit` becomes when the rate allows `units` of it within the lease share: at least 1.
std::size_t bounded(double units, std::size_t limit) noexcept {
  if (units >= static_cast<double>(limit)) return limit;
  return std::max<std::size_t>(1, static_cast<std::size_t>(units));
}

// Parts sent at `allowed_tps` within lease_drain_share of the lease.
double parts_in_share(double allowed_tps, std::int64_t lease_ms) noexcept {
  return std::floor(allowed_tps * static_cast<double>(std::max<std::int64_t>(lease_ms, 0)) / 1000.0 *
                    lease_drain_share);
}

}  // namespace

std::size_t parts_within_lease(double allowed_tps, std::int64_t lease_ms, std::size_t limit) noexcept {
  if (limit == 0) return 0;
  if (!(allowed_tps > 0)) return limit;  // unlimited
  return bounded(parts_in_share(allowed_tps, lease_ms), limit);
}

std::size_t messages_within_lease(double allowed_tps, std::int64_t lease_ms, std::size_t capacity,
                                  double parts_per_message) noexcept {
  if (capacity == 0) return 0;
  if (!(allowed_tps > 0)) return capacity;
  return bounded(std::floor(parts_in_share(allowed_tps, lease_ms) / std::max(1.0, parts_per_message)), capacity);
}

}  // namespace gateway
