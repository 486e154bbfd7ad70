// redis-worker-bench: Redis' own CPU for the carrier worker's store calls, claim() and
// complete(), per message (docs/performance.md, "Carrier worker path in Redis").
//
// Loads `--suppress` global suppressions (so that the send-time re-check searches populated
// buckets, as in bench/e2e) and admits `--messages` messages through the store, then claims them
// `--batch` at a time and completes each batch as `submitted` (with a carrier id, hence a
// correlation; `--events` adds a status webhook event per message), one claim and one complete()
// at a time like one carrier worker. Reports the redis-server main thread's CPU
// (INFO cpu, used_cpu_*_main_thread) and the inner commands (INFO commandstats) of that phase
// only, per message, as one JSON object; --exec-before / --exec-after bracket that phase (e.g. to
// count the server's instructions with callgrind, which no load on the machine disturbs). Not a
// Google Benchmark: the figure of interest is the
// CPU of another process. Needs a redis-server of its own (the bench resets its statistics).
//
// `--hand-off` runs the gateway's path of bench/e2e instead (docs/performance.md, "Redis CPU per
// message (session 6)"): every number has a consent (category `bench`, any sender), admissions
// have a cap of 3 per 24 h, opt-out scope sender, and are leased at admission (direct hand-off,
// no claim); each batch of `--batch` admissions is then completed as `submitted`.
// `--exec-around admit|complete` brackets each admission call or each complete() call.

#include <CLI/CLI.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "policy/number_key.hpp"
#include "policy/redis_connection.hpp"
#include "policy/redis_store.hpp"

namespace {

using namespace policy;

template <class R, class F>
std::pair<std::error_code, R> call(F&& start) {
  auto p = std::make_shared<std::promise<std::pair<std::error_code, R>>>();
  auto fut = p->get_future();
  start([p](std::error_code ec, R r) { p->set_value({ec, std::move(r)}); });
  return fut.get();
}

std::string info(redis_connection& c, const char* section) {
  auto [ec, v] = call<redis_value>([&](auto cb) { c.command({"INFO", section}, cb); });
  return ec ? std::string() : v.str;
}

double info_number(const std::string& text, const std::string& name) {
  auto p = text.find("\n" + name + ":");
  if (p == std::string::npos) return 0;
  return std::stod(text.substr(p + name.size() + 2));
}

// Main-thread CPU seconds (user + system) of the server.
double server_cpu(redis_connection& c) {
  const std::string t = info(c, "cpu");
  return info_number(t, "used_cpu_user_main_thread") + info_number(t, "used_cpu_sys_main_thread");
}

std::map<std::string, long long> command_calls(redis_connection& c) {
  std::map<std::string, long long> out;
  const std::string t = info(c, "commandstats");
  std::size_t pos = 0;
  while ((pos = t.find("cmdstat_", pos)) != std::string::npos) {
    const auto colon = t.find(':', pos);
    const auto k = t.find("calls=", colon);
    if (colon == std::string::npos || k == std::string::npos) break;
    out[t.substr(pos + 8, colon - pos - 8)] = std::stoll(t.substr(k + 6));
    pos = colon;
  }
  return out;
}

std::string e164(int area, long long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+1%03d%07lld", area, i);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Redis CPU per message of the carrier worker's claim() + complete()"};
  std::string url;
  int messages = 20000, batch = 64, suppress = 1000000;
  bool events = false, hand_off = false, hashtable_payloads = false;
  std::string before, after, only;
  app.add_option("--url", url, "redis://127.0.0.1:PORT/0 of a redis-server used only by this bench")->required();
  app.add_option("--messages", messages, "messages admitted, then claimed and completed");
  app.add_option("--batch", batch, "claim max (and complete() size)");
  app.add_option("--suppress", suppress, "global suppressions loaded first (other numbers)");
  app.add_flag("--events", events, "a status webhook event with each outcome");
  app.add_flag("--hand-off", hand_off,
               "bench/e2e's path: consent + cap 3/24h, leased at admission, completed without a claim");
  app.add_flag("--hashtable-payloads", hashtable_payloads,
               "message hashes RESTOREd in the hashtable form (as before the listpack payloads)");
  app.add_option("--exec-before", before,
                 "shell command run just before the measured phase (e.g. callgrind_control -i on PID)");
  app.add_option("--exec-after", after, "shell command run just after it");
  app.add_option("--exec-around", only, "run the --exec commands around each claim or each complete() instead")
      ->check(CLI::IsMember({"claim", "complete", "admit"}));
  CLI11_PARSE(app, argc, argv);

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  auto secrets = number_secrets::from_secret("redis-worker-bench-secret-0123456789");
  redis_options o;
  o.url = url;
  o.key_prefix = "wb:";
  o.secrets = secrets;
  o.request_timeout = std::chrono::seconds(30);
  o.listpack_payloads = !hashtable_payloads;
  auto created = redis_store::create(io.get_executor(), o);
  if (!created.store) {
    std::fprintf(stderr, "redis-worker-bench: %s\n", created.error.c_str());
    return 2;
  }
  auto& store = *created.store;
  for (int i = 0;; ++i) {
    auto [ec, h] = call<health_info>([&](auto cb) { store.health(cb); });
    if (!ec && h.ok) break;
    if (i == 250) {
      std::fprintf(stderr, "redis-worker-bench: store not ready: %s\n", h.detail.c_str());
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  redis_connection_options co;
  co.endpoint = *parse_redis_url(url, nullptr);
  auto conn = redis_connection::create(io.get_executor(), co);
  conn->start();

  const std::int64_t t0 = 1'800'000'000'000;
  for (int first = 0; first < suppress; first += 50000) {
    std::vector<suppression_record> recs;
    for (int i = first; i < std::min(suppress, first + 50000); ++i) {
      const auto n = e164(646, i);
      recs.push_back({secrets->key(n), n, "", "dnc", "import", t0});
    }
    auto [ec, r] = call<import_result>([&](auto cb) { store.import_suppressions(std::move(recs), cb); });
    if (ec) return std::fprintf(stderr, "import: %s\n", ec.message().c_str()), 1;
  }
  auto make_request = [&](int i) {
    admit_request r;
    r.sender = "12345";
    r.category = "bench";
    r.now_ms = t0 + i;
    r.message.id = "m" + std::to_string(i);
    r.message.e164 = e164(415, i);
    r.message.number_key = secrets->key(r.message.e164);
    r.message.carrier = "sim";
    r.message.sender = "12345";
    r.message.text = "Your code is 123456";
    r.message.category = "bench";
    r.message.segments = 1;
    r.message.encoding = "gsm7";
    r.message.created_at_ms = r.now_ms;
    if (hand_off) {
      r.consent_required = true;
      r.caps = {{24 * 3600, 3, false}};
      r.lease_ms = 30000;
    }
    return r;
  };
  for (int first = 0; hand_off && first < messages; first += 1000) {
    // A consent for every number the bench admits (as bench/e2e pre-loads them).
    std::vector<consent_record> recs;
    for (int i = first; i < std::min(messages, first + 1000); ++i) {
      const auto n = e164(415, i);
      recs.push_back({secrets->key(n), n, "bench", "", "import", "redis-worker-bench", t0});
    }
    auto [ec, r] = call<import_result>([&](auto cb) { store.import_consents(std::move(recs), cb); });
    if (ec) return std::fprintf(stderr, "consents: %s\n", ec.message().c_str()), 1;
  }
  for (int first = 0; !hand_off && first < messages; first += 64) {
    std::vector<admit_request> reqs;
    for (int i = first; i < std::min(messages, first + 64); ++i) reqs.push_back(make_request(i));
    auto [ec, r] = call<std::vector<admit_result>>([&](auto cb) { store.admit_batch(std::move(reqs), cb); });
    if (ec) return std::fprintf(stderr, "admit: %s\n", ec.message().c_str()), 1;
  }

  auto run = [&](std::vector<std::string> args) {
    return call<redis_value>([&](auto cb) { conn->command(std::move(args), cb); }).second;
  };
  auto exec = [](const std::string& cmd, const char* what) {
    if (!cmd.empty() && std::system(cmd.c_str()) != 0) std::fprintf(stderr, "%s failed\n", what);
  };
  if (only.empty()) exec(before, "--exec-before");
  run({"CONFIG", "RESETSTAT"});
  const double cpu0 = server_cpu(*conn);
  const auto wall0 = std::chrono::steady_clock::now();
  long long done_count = 0, claims = 0, released = 0, suppressed = 0;
  const std::int64_t now = t0 + messages + 1;
  int admitted = 0;
  while (true) {
    claim_result c;
    if (hand_off) {
      // Admissions leased at once (direct hand-off), as the gateway does with a free worker.
      if (admitted >= messages) break;
      std::vector<admit_request> reqs;
      for (int i = admitted; i < std::min(messages, admitted + batch); ++i) reqs.push_back(make_request(i));
      admitted += static_cast<int>(reqs.size());
      if (only == "admit") exec(before, "--exec-before");
      auto [ec, rs] = call<std::vector<admit_result>>([&](auto cb) { store.admit_batch(reqs, cb); });
      if (only == "admit") exec(after, "--exec-after");
      if (ec) return std::fprintf(stderr, "admit: %s\n", ec.message().c_str()), 1;
      for (std::size_t i = 0; i < rs.size(); ++i) {
        if (!rs[i].admitted || rs[i].lease_id.empty()) return std::fprintf(stderr, "admit: not leased\n"), 1;
        queue_entry e;
        e.message = reqs[i].message;
        e.lease_id = rs[i].lease_id;
        c.entries.push_back(std::move(e));
      }
    } else {
      if (only == "claim") exec(before, "--exec-before");
      auto [ec, cr] = call<claim_result>([&](auto cb) { store.claim({"sim", batch, 30000, now}, cb); });
      if (only == "claim") exec(after, "--exec-after");
      if (ec) return std::fprintf(stderr, "claim: %s\n", ec.message().c_str()), 1;
      ++claims;
      if (cr.entries.empty()) break;
      c = std::move(cr);
    }
    std::vector<completion> items;
    for (auto& e : c.entries) {
      if (e.suppressed) ++suppressed;
      completion x;
      x.carrier = "sim";
      x.lease_id = e.lease_id;
      x.update = {e.message.id, message_status::submitted, "c" + e.message.id, "", now + 1, 0};
      if (events) {
        const std::string id = "evt_" + e.message.id + "_submitted";
        x.event = webhook_event{id, "status", "global", R"({"id":")" + id + "\"}", 0, now + 1, now + 1, "", ""};
      }
      items.push_back(std::move(x));
    }
    if (only == "complete") exec(before, "--exec-before");
    auto [ec2, r] = call<std::vector<completion_result>>([&](auto cb) { store.complete(std::move(items), cb); });
    if (only == "complete") exec(after, "--exec-after");
    if (ec2) return std::fprintf(stderr, "complete: %s\n", ec2.message().c_str()), 1;
    for (const auto& x : r) released += x.released ? 1 : 0;
    done_count += static_cast<long long>(r.size());
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double cpu = server_cpu(*conn) - cpu0;
  if (only.empty()) exec(after, "--exec-after");
  auto calls = command_calls(*conn);
  long long inner = 0;
  std::string per_command;
  for (const auto& [name, n] : calls) {
    if (name == "evalsha" || name == "info" || name == "config") continue;
    inner += n;
    per_command += (per_command.empty() ? "" : ", ") + ("\"" + name + "\": " + std::to_string(n));
  }
  const double per = done_count ? 1.0 / static_cast<double>(done_count) : 0;
  std::printf(
      "{\"messages\": %lld, \"hand_off\": %s, \"batch\": %d, \"events\": %s, \"suppressions\": %d, \"claims\": %lld, "
      "\"released\": %lld, \"suppressed\": %lld, \"seconds\": %.3f, \"messages_per_s\": %.0f, "
      "\"redis_cpu_us_per_message\": %.2f, \"evalsha_calls\": %lld, \"inner_calls_per_message\": %.2f, "
      "\"inner_calls\": {%s}}\n",
      done_count, hand_off ? "true" : "false", batch, events ? "true" : "false", suppress, claims, released, suppressed, wall,
      wall > 0 ? static_cast<double>(done_count) / wall : 0.0, cpu * 1e6 * per, calls["evalsha"],
      static_cast<double>(inner) * per, per_command.c_str());
  conn->stop();
  created.store.reset();
  guard.reset();
  io.stop();
  t.join();
  return done_count == messages && released == messages ? 0 : 1;
}
