#pragma once

// Awaiting a store operation from a coroutine. Store completions run on the store's own thread
// or strand; the reply is posted back to the awaiting coroutine's executor, so code after the
// co_await runs where it started (the connection's strand).

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <system_error>
#include <utility>

namespace gateway {

template <class R>
struct store_reply {
  std::error_code ec;  // set: the store could not do it (fail closed: 503)
  R value{};
};

// `start` receives the completion (void(std::error_code, R)) and calls the store operation with
// it, e.g. call_store<policy::admit_result>([&](auto done) { store.admit(req, done); }).
// Completion: store_reply<R>, on the awaiting coroutine's executor. Not cancellable (store
// operations always complete). Not a coroutine itself: it returns the awaitable of the
// initiation, so a store call costs no coroutine frame of its own.
template <class R, class Start>
boost::asio::awaitable<store_reply<R>> call_store(Start start) {
  auto initiate = [](auto handler, Start start_op) {
    auto executor = boost::asio::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    start_op([shared, executor](std::error_code ec, R value) {
      boost::asio::post(executor, [shared, reply = store_reply<R>{ec, std::move(value)}]() mutable {
        (*shared)(std::move(reply));
      });
    });
  };
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(store_reply<R>)>(
      std::move(initiate), boost::asio::use_awaitable, std::move(start));
}

}  // namespace gateway
