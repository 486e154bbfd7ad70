#pragma once

#include <functional>
#include <string>

#include "gateway/http_server.hpp"
#include "gateway/metrics.hpp"

namespace policy {
class store;
}

namespace gateway {

// What the admin listener needs from the running service.
struct admin_hooks {
  // Readiness: empty string when ready, otherwise why not ("store unreachable", "no bind up").
  std::function<std::string()> not_ready_reason;
  // Applies a new configuration atomically; returns empty on success, otherwise the errors
  // (the old configuration stays in force). It counts the reload in the metrics itself (SIGHUP
  // takes the same path).
  std::function<std::string()> reload;
  metrics* metrics_registry = nullptr;
  // Webhook dead letters (GET /admin/dead-letters, POST /admin/dead-letters/{id}/replay); null:
  // those endpoints answer 503.
  policy::store* store = nullptr;
  std::function<void()> on_replayed = nullptr;  // wakes the webhook dispatcher
};

// GET /livez, GET /readyz, GET /metrics, POST /admin/reload, GET /admin/dead-letters[?limit=N],
// POST /admin/dead-letters/{event_id}/replay. Unknown paths are 404, a wrong method 405 with
// Allow.
http_handler make_admin_handler(admin_hooks hooks);

}  // namespace gateway
