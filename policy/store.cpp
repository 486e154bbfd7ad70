#include "policy/store.hpp"

namespace policy {

std::string_view to_string(message_status s) noexcept {
  switch (s) {
    case message_status::queued: return "queued";
    case message_status::scheduled: return "scheduled";
    case message_status::submitted: return "submitted";
    case message_status::delivered: return "delivered";
    case message_status::undeliverable: return "undeliverable";
    case message_status::expired: return "expired";
    case message_status::rejected: return "rejected";
    case message_status::failed: return "failed";
  }
  return "queued";
}

std::optional<message_status> parse_message_status(std::string_view s) noexcept {
  for (auto st : {message_status::queued, message_status::scheduled, message_status::submitted,
                  message_status::delivered, message_status::undeliverable, message_status::expired,
                  message_status::rejected, message_status::failed}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

int status_rank(message_status s) noexcept {
  switch (s) {
    case message_status::scheduled: return 0;
    case message_status::queued: return 1;
    case message_status::submitted: return 2;
    default: return 3;
  }
}

bool is_final(message_status s) noexcept { return status_rank(s) == 3; }

// A store without a feed (has_suppression_feed() false) is never asked; if it is, it says no.
void store::suppression_feed(std::string, std::size_t, store_callback<suppression_feed_page> cb) {
  cb(store_errc::invalid_argument, {});
}

}  // namespace policy
