#pragma once

// How much a carrier worker may take from the store's queue so that nothing it holds is sent
// after another instance could have claimed it again (pure: rates and times are passed in).
//
// A claimed or handed-off message is leased for `lease_ms`; once that passes, the next claim (of
// this or another gateway) takes it again and it is sent twice. A carrier slower than its
// configured tps (ESME_RTHROTTLED, docs/smpp.md "Throttling") makes what a worker holds drain
// slowly, so:
//
// 1. The worker holds at most what the link sends at its current allowed rate within a quarter
//    of the lease (messages_within_lease), at least one message (a slow link still makes
//    progress), at most window x sessions x 2 (the claim capacity). Multi-part messages count
//    by the average parts per message the worker sent recently. The link gets at most as many
//    parts at a time (parts_within_lease).
// 2. A message not handed to the link by half its lease is released to the queue, not sent
//    (send_deadline_ms); the link drops a part still queued then (outbound_message::send_by).

#include <cstddef>
#include <cstdint>

namespace gateway {

// The share of the lease that what a worker holds may take to drain at the allowed rate.
inline constexpr double lease_drain_share = 0.25;

// Segments (parts) the link sends at `allowed_tps` (segments per second, 0 = unlimited: no
// bound) within lease_drain_share of `lease_ms`, between 1 and `limit`.
std::size_t parts_within_lease(double allowed_tps, std::int64_t lease_ms, std::size_t limit) noexcept;

// Messages of `parts_per_message` parts on average (1 or more) that fit parts_within_lease,
// between 1 and `capacity` (0 when capacity is 0: no link).
std::size_t messages_within_lease(double allowed_tps, std::int64_t lease_ms, std::size_t capacity,
                                  double parts_per_message) noexcept;

// The last moment (wall clock, ms) a message leased at `lease_started_ms` may be handed to the
// link: half its lease, so that even a throttled, slow submit is answered long before the lease
// ends and another claim could take it.
constexpr std::int64_t send_deadline_ms(std::int64_t lease_started_ms, std::int64_t lease_ms) noexcept {
  return lease_started_ms + lease_ms / 2;
}

}  // namespace gateway
