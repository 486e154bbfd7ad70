#pragma once

// One hiredis 0.14 async connection driven by Boost.Asio (docs/stores.md, "Redis").
//
// - All hiredis calls happen on the connection's strand; public functions may be called from any
//   thread (they post to the strand).
// - Requests carry an integer id as hiredis privdata; the handler lives in our table, so a reply
//   arriving after the request was failed (timeout, disconnect) finds nothing and is dropped.
// - Fail closed: while not ready, command() completes at once with store_errc::unavailable (or
//   not_ready when the server was refused at start-up); a request not answered within
//   request_timeout resets the connection (timeout). Reconnects forever with exponential back-off.
// - Handlers are invoked on the strand, exactly once.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

struct redisAsyncContext;

namespace policy {

// A reply, copied out of hiredis' memory.
struct redis_value {
  enum class kind { nil, integer, string, status, error, array };
  kind k = kind::nil;
  long long integer = 0;
  std::string str;  // string, status and error
  std::vector<redis_value> elements;

  bool is_error() const noexcept { return k == kind::error; }
  bool is_nil() const noexcept { return k == kind::nil; }
};

struct redis_endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;
  std::string password;
};

// redis://[[user]:password@]host[:port][/db]. nullopt with *error set when malformed.
std::optional<redis_endpoint> parse_redis_url(std::string_view url, std::string* error);

struct redis_connection_options {
  redis_endpoint endpoint;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{2000};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
};

// The RESP request of a command (an array of bulk strings), as hiredis' redisFormatCommandArgv
// writes it, into `out` (cleared first; its capacity is reused).
void format_command(const std::vector<std::string>& args, std::string& out);

class redis_connection : public std::enable_shared_from_this<redis_connection> {
 public:
  using reply_handler = std::function<void(std::error_code, redis_value)>;
  // Called on the strand after each TCP connect + AUTH + SELECT, before the connection is ready.
  // It may send commands with init_command(); it must call done() exactly once: an empty error
  // makes the connection ready; an error (with a message) keeps it not ready and retries later.
  using init_hook = std::function<void(std::function<void(std::error_code, std::string)> done)>;

  enum class state { stopped, connecting, initialising, ready, refused };

  static std::shared_ptr<redis_connection> create(boost::asio::any_io_executor ex, redis_connection_options opts);
  ~redis_connection();

  void set_init_hook(init_hook h) { init_hook_ = std::move(h); }
  void start();  // posts: begins connecting
  void stop();   // posts: fails pending requests (shutting_down), closes, no reconnect

  // Posts a command; the handler gets the reply (a Redis error reply is a value, not an error
  // code) or an error code. Completion on the strand.
  void command(std::vector<std::string> args, reply_handler h);
  // Like command() but must be called on the strand; used by the init hook (works while
  // initialising) and by callers already on the strand (saves a post). The command is written
  // to the connection's output before it returns: `args` is only read (no copy is taken).
  void command_on_strand(const std::vector<std::string>& args, reply_handler h, bool during_init = false);

  const boost::asio::strand<boost::asio::any_io_executor>& strand() const noexcept { return strand_; }
  // Strand only.
  state current_state() const noexcept { return refused_ && state_ != state::ready ? state::refused : state_; }
  const std::string& last_error() const noexcept { return last_error_; }

  class bridge;  // the hiredis <-> Asio event adapter (redis_connection.cpp)

 private:
  redis_connection(boost::asio::any_io_executor ex, redis_connection_options opts);

  void connect();
  void schedule_reconnect();
  void on_connected(int status);
  void on_disconnected();
  void handshake();
  void fail_all(std::error_code ec);
  void watchdog();
  void kill_context(std::error_code reason);

  static void on_connect_c(const redisAsyncContext* ac, int status) noexcept;
  static void on_disconnect_c(const redisAsyncContext* ac, int status) noexcept;
  static void on_reply_c(redisAsyncContext* ac, void* reply, void* privdata) noexcept;

  struct pending {
    reply_handler handler;
    std::chrono::steady_clock::time_point sent;
  };

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  redis_connection_options opts_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer watchdog_timer_;
  redisAsyncContext* ac_ = nullptr;
  std::shared_ptr<bridge> bridge_;
  state state_ = state::stopped;
  bool stopping_ = false;
  bool refused_ = false;  // the server failed the start-up checks; cleared when ready
  std::chrono::milliseconds backoff_;
  std::chrono::steady_clock::time_point connect_started_;
  std::error_code kill_reason_;
  std::string last_error_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, pending> pending_;  // ordered: begin() is the oldest
  std::string command_buffer_;  // strand only: the RESP of the command being sent (reused)
  init_hook init_hook_;
};

}  // namespace policy
