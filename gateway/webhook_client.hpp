#pragma once

// One webhook delivery attempt: HTTP/1.1 POST over http:// or https:// (Beast), a new connection
// per attempt, bounded by a timeout that covers resolve, connect, TLS handshake, write and read.
// Include only from gateway sources (Asio).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateway/webhook_event.hpp"

namespace boost::asio::ssl {
class context;
}

namespace gateway {

struct webhook_response {
  bool delivered = false;  // a 2xx answer
  unsigned status = 0;     // HTTP status; 0 when no answer (connection error, timeout)
  std::string error;       // why not delivered ("http 500", "timeout", "connection refused", ...)
};

// A TLS client context verifying peers with the system trust store and, when `ca_file` is not
// empty, the PEM certificates in it (a private CA). *error says why ca_file could not be used
// (the context then trusts the system store only).
std::shared_ptr<boost::asio::ssl::context> make_webhook_tls_context(const std::string& ca_file = {},
                                                                    std::string* error = nullptr);

// POSTs `body` (application/json) with `headers` to `url`. Completion: webhook_response, on the
// calling coroutine's executor. Never throws for network failures (they are the response's
// error). Cancellation: none besides the timeout. Runs on any executor (no shared state).
boost::asio::awaitable<webhook_response> post_webhook(webhook_url url, std::string body,
                                                      std::vector<std::pair<std::string, std::string>> headers,
                                                      std::chrono::milliseconds timeout,
                                                      std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace gateway
