#pragma once

// smsc-sim's control API (design.md 5.3) over HTTP/1.1 with Boost.Beast:
//   POST /mo        {"from","to","text","encoding":"gsm7"|"ucs2"} -> 200 {"parts": N}
//   GET  /stats     counters
//   GET  /messages?to=&limit=   {"messages": [...]} newest first
// Runs on the simulator's executor (one thread), so it calls the simulator directly.

#include <memory>
#include <system_error>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tools/smsc_sim/simulator.hpp"

namespace smsc_sim {

class control_http : public std::enable_shared_from_this<control_http> {
 public:
  control_http(boost::asio::any_io_executor executor, std::shared_ptr<simulator> sim);
  std::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  void stop();

 private:
  void accept();

  boost::asio::any_io_executor executor_;
  std::shared_ptr<simulator> sim_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopped_ = false;
};

}  // namespace smsc_sim
