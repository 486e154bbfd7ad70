#include "tools/smsgw_load/load_driver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <vector>

#include "tools/smsgw_load/http_connection.hpp"
#include "tools/smsgw_load/request_writer.hpp"

namespace smsgw_load {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

void driver_result::merge(const driver_result& o) {
  latency.merge(o.latency);
  outcomes.merge(o.outcomes);
  requests_sent += o.requests_sent;
  responses += o.responses;
  messages_sent += o.messages_sent;
  http_errors += o.http_errors;
  connects += o.connects;
  if (first_error.empty()) first_error = o.first_error;
  if (o.last_response > last_response) last_response = o.last_response;
  samples.insert(samples.end(), o.samples.begin(), o.samples.end());
}

namespace {

class driver {
 public:
  driver(const driver_settings& s, const number_generator& numbers)
      : s_(s), numbers_(numbers), deadline_timer_(io_) {
    const asio::ip::tcp::endpoint ep(asio::ip::make_address(s.address), s.port);
    for (unsigned i = 0; i < s.connections; ++i) slots_.push_back(std::make_unique<slot>(io_, ep));
    // Requests of this thread: t, t + n, ... below plan.requests().
    const std::uint64_t total = s.plan.requests();
    own_ = total > s.thread_index ? (total - s.thread_index + s.thread_count - 1) / s.thread_count : 0;
  }

  driver_result run() {
    deadline_timer_.expires_at(s_.deadline);
    deadline_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      stopping_ = true;
      for (auto& sl : slots_) sl->conn.close();
    });
    for (auto& sl : slots_) next(*sl);
    io_.run();
    for (auto& sl : slots_) result_.connects += sl->conn.connects();
    return std::move(result_);
  }

 private:
  struct slot {
    slot(asio::io_context& io, asio::ip::tcp::endpoint ep) : conn(io, ep) {}
    http_connection conn;
    std::string request;
    std::string body;
    std::uint64_t request_index = 0;
    std::uint64_t messages = 0;
    clock::time_point intended;
  };

  void next(slot& sl) {
    if (stopping_ || k_ >= own_) {
      if (++idle_ == slots_.size()) deadline_timer_.cancel();
      return;
    }
    const std::uint64_t r = load_plan::nth_request_of_thread(k_++, s_.thread_index, s_.thread_count);
    sl.request_index = r;
    if (!s_.plan.open_loop()) {
      send(sl, clock::now());
      return;
    }
    const auto due = s_.start + std::chrono::nanoseconds(s_.plan.intended_offset_ns(r));
    if (due <= clock::now()) {
      send(sl, due);  // late: the lag counts in its latency
      return;
    }
    sl.conn.timer().expires_at(due);
    sl.conn.timer().async_wait([this, &sl, due](boost::system::error_code ec) {
      if (ec || stopping_) {
        if (++idle_ == slots_.size()) deadline_timer_.cancel();
        return;
      }
      send(sl, due);
    });
  }

  void send(slot& sl, clock::time_point intended) {
    const std::uint64_t r = sl.request_index;
    const std::uint64_t first = s_.plan.first_message(r);
    const std::uint64_t n = s_.plan.messages_in(r);
    const message_fields fields{s_.from, s_.category};
    sl.body.clear();
    if (s_.plan.batch == 0) {
      append_message_json(sl.body, numbers_.at(s_.first_index + first), fields, first);
    } else {
      sl.body += "{\"messages\":[";
      for (std::uint64_t m = first; m < first + n; ++m) {
        if (m != first) sl.body += ',';
        append_message_json(sl.body, numbers_.at(s_.first_index + m), fields, m);
      }
      sl.body += "]}";
    }
    write_post(sl.request, s_.host_header, s_.path, s_.key, sl.body);
    sl.messages = n;
    sl.intended = intended;
    ++result_.requests_sent;
    result_.messages_sent += n;
    sl.conn.exchange(sl.request, [this, &sl](std::error_code ec, const http_response_view& resp) {
      const auto now = clock::now();
      if (ec) {
        ++result_.http_errors;
        if (result_.first_error.empty()) result_.first_error = ec.message();
      } else {
        ++result_.responses;
        result_.last_response = now;
        const auto latency_ns =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - sl.intended).count());
        result_.latency.record(latency_ns);
        if (s_.keep_samples) {
          result_.samples.push_back(
              {static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(sl.intended - s_.start).count()),
               latency_ns});
        }
        if (s_.plan.batch == 0) {
          classify_single(resp.status, resp.body, result_.outcomes);
        } else {
          const std::uint64_t items = classify_batch(resp.status, resp.body, sl.messages, result_.outcomes);
          if (resp.status == 200 && items != sl.messages) {
            ++result_.http_errors;
            if (result_.first_error.empty()) result_.first_error = "batch answer with a wrong item count";
          }
        }
      }
      next(sl);
    });
  }

  const driver_settings& s_;
  const number_generator& numbers_;
  asio::io_context io_{1};
  asio::steady_timer deadline_timer_;
  std::vector<std::unique_ptr<slot>> slots_;
  std::uint64_t own_ = 0;
  std::uint64_t k_ = 0;
  std::size_t idle_ = 0;
  bool stopping_ = false;
  driver_result result_;
};

}  // namespace

driver_result run_driver(const driver_settings& s, const number_generator& numbers) {
  driver d(s, numbers);
  return d.run();
}

}  // namespace smsgw_load
