#include "tools/smsc_sim/control_http.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <string>
#include <string_view>

namespace smsc_sim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

std::string percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size()) {
      int v = 0;
      auto r = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
      if (r.ec == std::errc() && r.ptr == in.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back(c);
      }
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Value of `key` in a query string, percent-decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

json to_json(const stored_message& m) {
  return {{"from", m.from},          {"to", m.to},
          {"text", m.text},          {"data_coding", m.data_coding},
          {"segments", m.segments},  {"message_id", m.message_id},
          {"message_ids", m.message_ids}, {"system_id", m.system_id},
          {"complete", m.complete}};
}

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket s, std::shared_ptr<simulator> sim)
      : stream_(std::move(s)), sim_(std::move(sim)) {}

  void start() { read(); }

 private:
  void read() {
    req_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    auto self = shared_from_this();
    http::async_read(stream_, buffer_, req_, [self](beast::error_code ec, std::size_t) {
      if (ec) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        return;
      }
      self->handle();
    });
  }

  void reply(http::status status, const json& body) {
    res_ = {};
    res_.version(req_.version());
    res_.result(status);
    res_.set(http::field::server, "smsc-sim");
    res_.set(http::field::content_type, "application/json");
    res_.keep_alive(req_.keep_alive());
    res_.body() = body.dump() + "\n";
    res_.prepare_payload();
    auto self = shared_from_this();
    http::async_write(stream_, res_, [self](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        return;
      }
      self->read();
    });
  }

  void handle() {
    std::string_view target(req_.target().data(), req_.target().size());
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

    if (path == "/stats" && req_.method() == http::verb::get) {
      return reply(http::status::ok, sim_->stats());
    }
    if (path == "/messages" && req_.method() == http::verb::get) {
      std::size_t limit = 100;
      std::string l = query_param(query, "limit");
      if (!l.empty()) {
        std::size_t v = 0;
        auto r = std::from_chars(l.data(), l.data() + l.size(), v);
        if (r.ec != std::errc() || r.ptr != l.data() + l.size()) {
          return reply(http::status::bad_request, {{"error", "limit must be a number"}});
        }
        limit = v;
      }
      std::string to = query_param(query, "to");
      // "?to=+1415..." unencoded arrives as a space: it is the '+' of an E.164 number.
      if (!to.empty() && to.front() == ' ') to.front() = '+';
      json list = json::array();
      for (auto& m : sim_->messages(to, limit)) list.push_back(to_json(m));
      return reply(http::status::ok, {{"messages", list}, {"count", list.size()}});
    }
    if (path == "/mo" && req_.method() == http::verb::post) {
      json in = json::parse(req_.body(), nullptr, false);
      if (in.is_discarded() || !in.is_object()) {
        return reply(http::status::bad_request, {{"error", "body must be a JSON object"}});
      }
      mo_request mo;
      try {
        mo.from = in.at("from").get<std::string>();
        mo.to = in.at("to").get<std::string>();
        mo.text = in.at("text").get<std::string>();
        if (in.contains("encoding")) mo.encoding = in.at("encoding").get<std::string>();
      } catch (const json::exception&) {
        return reply(http::status::bad_request,
                     {{"error", "from, to and text (strings) are required"}});
      }
      if (in.contains("skip_parts")) {
        const auto& skip = in["skip_parts"];
        if (!skip.is_array()) return reply(http::status::bad_request, {{"error", "skip_parts must be an array of part numbers"}});
        for (const auto& n : skip) {
          if (!n.is_number_unsigned()) {
            return reply(http::status::bad_request, {{"error", "skip_parts must be an array of part numbers"}});
          }
          mo.skip_parts.push_back(n.get<unsigned>());
        }
      }
      auto r = sim_->send_mo(mo);
      if (!r.error.empty()) {
        return reply(static_cast<http::status>(r.http_status), {{"error", r.error}});
      }
      return reply(http::status::ok, {{"parts", r.parts}});
    }
    if (path == "/receipt" && req_.method() == http::verb::post) {
      json in = json::parse(req_.body(), nullptr, false);
      if (in.is_discarded() || !in.is_object() || !in.contains("message_id") || !in.contains("stat") ||
          !in["message_id"].is_string() || !in["stat"].is_string()) {
        return reply(http::status::bad_request, {{"error", "message_id and stat (strings) are required"}});
      }
      auto r = sim_->send_receipt(in["message_id"].get<std::string>(), in["stat"].get<std::string>());
      if (!r.error.empty()) return reply(static_cast<http::status>(r.http_status), {{"error", r.error}});
      return reply(http::status::ok, {{"sent", true}});
    }
    reply(http::status::not_found, {{"error", "not found"}});
  }

  beast::tcp_stream stream_;
  std::shared_ptr<simulator> sim_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

}  // namespace

control_http::control_http(asio::any_io_executor executor, std::shared_ptr<simulator> sim)
    : executor_(executor), sim_(std::move(sim)), acceptor_(executor) {}

std::error_code control_http::listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

tcp::endpoint control_http::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void control_http::start() { accept(); }

void control_http::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void control_http::accept() {
  auto self = shared_from_this();
  acceptor_.async_accept(executor_, [self](boost::system::error_code ec, tcp::socket s) {
    if (self->stopped_) return;
    if (!ec) std::make_shared<connection>(std::move(s), self->sim_)->start();
    self->accept();
  });
}

}  // namespace smsc_sim
