#pragma once

// A strand for a connection or a worker. Include only from gateway sources (Asio).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace gateway {

// A strand over the io_context's own executor when `executor` is one (the service's case), else
// over `executor` itself. asio::make_strand(any_io_executor) wraps a type-erased executor in a
// strand that is type-erased again wherever it is stored: every completion then went through two
// levels of type erasure and larger heap-held executor copies (about 4,700 instructions per
// message on the HTTP side under callgrind). Same strand semantics either way.
inline boost::asio::any_io_executor make_io_strand(const boost::asio::any_io_executor& executor) {
  if (const auto* io = executor.target<boost::asio::io_context::executor_type>()) {
    return boost::asio::make_strand(*io);
  }
  return boost::asio::make_strand(executor);
}

}  // namespace gateway
