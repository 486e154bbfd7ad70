// smsgw-bench-preload: fills a store before a bench/e2e run, through the store's own API
// (policy::open_store, suppress, grant_consent), so that the records are exactly what the gateway
// reads: the same number keys (HMAC with the run's number key file), the same Redis keys or
// SQLite rows, the E.164 sealed as an import would store it.
//
//   smsgw-bench-preload --store redis --url redis://127.0.0.1:PORT/0 --number-key-file F
//       --suppress 1000000 --suppress-first-index 100000000
//       --consent 200000 --consent-category marketing [--seed 1] [--regions US,GB,...]
//
// Suppressions are global (sender "", reason "dnc", source "import"), like a DNC list. For SQLite
// they are written in one bulk transaction with the store's own INSERT (see sqlite_bulk_suppress). The
// numbers come from smsgw-load's generator: the consents cover indices [0, --consent) (what
// smsgw-load --first-index 0 sends to), the suppressions a disjoint far range, so that the load
// is checked against a million suppressions without hitting them. Prints one JSON line.

#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>
#include <algorithm>

#include <sqlite3.h>

#include "policy/number_key.hpp"
#include "policy/store.hpp"
#include "policy/store_factory.hpp"
#include "tools/smsgw_load/number_generator.hpp"

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

struct job {
  enum class kind { suppress, consent };
  kind k = kind::suppress;
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  std::string category;
};

// Keeps `window` operations in flight until `count` are done; the completion issues the next.
class filler {
 public:
  filler(policy::store& store, const policy::number_secrets& secrets, const smsgw_load::number_generator& numbers,
         job j, unsigned window, std::int64_t now_ms)
      : store_(store), secrets_(secrets), numbers_(numbers), job_(std::move(j)), window_(window), now_ms_(now_ms) {}

  void start() {
    for (unsigned i = 0; i < window_ && issued_ < job_.count; ++i) issue();
  }
  bool finished() const { return done_ == job_.count; }
  std::uint64_t errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }

 private:
  void issue() {
    const std::string e164 = numbers_.at(job_.first + issued_++);
    auto on_done = [this](std::error_code ec) {
      ++done_;
      if (ec) {
        if (errors_++ == 0) first_error_ = ec.message();
      }
      if (issued_ < job_.count) issue();
    };
    if (job_.k == job::kind::suppress) {
      policy::suppression_record r{secrets_.key(e164), e164, "", "dnc", "import", now_ms_};
      store_.suppress(std::move(r), [on_done](std::error_code ec, policy::done) { on_done(ec); });
    } else {
      policy::consent_record r{secrets_.key(e164), e164, job_.category, "", "import", "bench/e2e", now_ms_};
      store_.grant_consent(std::move(r), [on_done](std::error_code ec, policy::done) { on_done(ec); });
    }
  }

  policy::store& store_;
  const policy::number_secrets& secrets_;
  const smsgw_load::number_generator& numbers_;
  job job_;
  unsigned window_;
  std::int64_t now_ms_;
  std::uint64_t issued_ = 0;
  std::uint64_t done_ = 0;
  std::uint64_t errors_ = 0;
  std::string first_error_;
};

// SQLite suppressions in bulk: one transaction with the store's own INSERT (policy/sqlite_store.cpp,
// `suppress`), after the store has created the schema. The store API costs a SAVEPOINT and a
// hand-over per record (about 5,000 records/s on the shared machine: minutes for a million); this
// writes the same rows in seconds. bench/e2e's canary proves that the gateway sees them.
bool sqlite_bulk_suppress(const std::string& path, const policy::number_secrets& secrets,
                          const smsgw_load::number_generator& numbers, std::uint64_t first, std::uint64_t count,
                          std::int64_t now_ms, std::string* error) {
  sqlite3* db = nullptr;
  auto fail = [&](const char* what) {
    *error = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "cannot open");
    if (db) sqlite3_close(db);
    return false;
  };
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return fail("open");
  sqlite3_busy_timeout(db, 10000);
  // The whole table fits in this cache, and rows go in key order: no page is written twice.
  sqlite3_exec(db, "PRAGMA cache_size=-1000000", nullptr, nullptr, nullptr);
  std::vector<std::pair<std::string, std::string>> rows;  // number key, sealed E.164
  rows.reserve(count);
  for (std::uint64_t i = first; i < first + count; ++i) {
    const std::string e164 = numbers.at(i);
    rows.emplace_back(secrets.key(e164), secrets.seal(e164));
  }
  std::sort(rows.begin(), rows.end());
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR IGNORE INTO suppressions(number_key, sender, reason, source, at_ms, e164_sealed) "
                         "VALUES (?,'','dnc','import',?,?)",
                         -1, &st, nullptr) != SQLITE_OK)
    return fail("prepare");
  for (const auto& [key, sealed] : rows) {
    sqlite3_bind_text(st, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_text(st, 3, sealed.data(), static_cast<int>(sealed.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sqlite3_finalize(st);
      return fail("insert");
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  sqlite3_close(db);
  return true;
}

// Runs the io_context until `pred` holds or `limit` passes (polling every 10 ms).
template <class Pred>
bool run_until(asio::io_context& io, Pred pred, std::chrono::seconds limit) {
  const auto deadline = clock_type::now() + limit;
  while (!pred()) {
    if (clock_type::now() > deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kind = "redis", url, path, key_file, key_prefix = "smsgw:", category = "marketing";
  std::string regions = "US,CA,GB,FR,DE,ES,IT,NL,AU,BR,MX,IN";
  std::uint64_t suppress = 0, suppress_first = 100'000'000, consent = 0, consent_first = 0, seed = 1;
  unsigned window = 4096;
  int timeout_s = 600;
  CLI::App app{"smsgw-bench-preload: pre-loads suppressions and consents for bench/e2e"};
  app.add_option("--store", kind, "redis | sqlite")->check(CLI::IsMember({"redis", "sqlite"}));
  app.add_option("--url", url, "Redis URL (--store redis)");
  app.add_option("--path", path, "SQLite file (--store sqlite)");
  app.add_option("--number-key-file", key_file, "the gateway's secrets.number_key_file (created when missing)")
      ->required();
  app.add_option("--key-prefix", key_prefix, "Redis key prefix of the gateway");
  app.add_option("--suppress", suppress, "global suppressions (DNC) to store");
  app.add_option("--suppress-first-index", suppress_first, "number index of the first suppression");
  app.add_option("--consent", consent, "consents to grant (numbers [first, first + N) of smsgw-load)");
  app.add_option("--consent-first-index", consent_first, "number index of the first consent");
  app.add_option("--consent-category", category, "category of the consents");
  app.add_option("--seed", seed, "seed of the numbers (as smsgw-load --seed)");
  app.add_option("--regions", regions, "regions of the numbers (as smsgw-load --regions)");
  app.add_option("--in-flight", window, "store operations in flight")->check(CLI::Range(1u, 100000u));
  app.add_option("--timeout", timeout_s, "seconds before giving up");
  bool via_api = false;
  app.add_flag("--sqlite-via-api", via_api,
               "SQLite: store the suppressions one by one through the store API (slow) instead of one "
               "bulk transaction");
  CLI11_PARSE(app, argc, argv);

  auto selected = smsgw_load::select_regions(regions, nullptr);
  if (!selected) {
    std::cerr << "smsgw-bench-preload: bad --regions\n";
    return 2;
  }
  const smsgw_load::number_generator numbers(*selected, seed);
  if (suppress_first + suppress > numbers.capacity() || consent_first + consent > numbers.capacity()) {
    std::cerr << "smsgw-bench-preload: index range beyond the generator's capacity\n";
    return 2;
  }
  if (suppress && consent && suppress_first < consent_first + consent && consent_first < suppress_first + suppress)
    std::cerr << "smsgw-bench-preload: warning: the suppressed and consented ranges overlap\n";

  auto loaded = policy::number_secrets::load(key_file, true);
  if (!loaded.secrets) {
    std::cerr << "smsgw-bench-preload: " << loaded.error << "\n";
    return 2;
  }
  asio::io_context io(1);
  policy::store_settings settings;
  settings.kind = kind;
  settings.url = url;
  settings.path = path;
  settings.key_prefix = key_prefix;
  auto opened = policy::open_store(settings, io.get_executor(), loaded.secrets);
  if (!opened.store) {
    std::cerr << "smsgw-bench-preload: " << opened.error << "\n";
    return 2;
  }
  policy::store& store = *opened.store;

  // Wait until the store is ready (Redis connects in the background).
  bool ready = false;
  std::string detail;
  const auto ready_deadline = clock_type::now() + std::chrono::seconds(15);
  while (!ready && clock_type::now() < ready_deadline) {
    bool answered = false;
    store.health([&](std::error_code ec, policy::health_info h) {
      answered = true;
      ready = !ec && h.ok;
      detail = h.detail;
    });
    run_until(io, [&] { return answered; }, std::chrono::seconds(15));
    if (!ready) {
      io.restart();
      io.run_for(std::chrono::milliseconds(50));
    }
  }
  if (!ready) {
    std::cerr << "smsgw-bench-preload: store not ready: " << detail << "\n";
    return 1;
  }

  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  std::printf("{");
  bool first_field = true;
  int status = 0;
  auto run_job = [&](const char* name, job j) {
    const auto t0 = clock_type::now();
    filler f(store, *loaded.secrets, numbers, std::move(j), window, now_ms);
    f.start();
    const bool ok = run_until(io, [&] { return f.finished(); }, std::chrono::seconds(timeout_s));
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (!ok || f.errors()) {
      std::cerr << "smsgw-bench-preload: " << name << ": " << (ok ? f.first_error() : "timeout") << " ("
                << f.errors() << " errors)\n";
      status = 1;
    }
    std::printf("%s\"%s\": {\"count\": %llu, \"errors\": %llu, \"seconds\": %.2f}", first_field ? "" : ", ", name,
                static_cast<unsigned long long>(j.count), static_cast<unsigned long long>(f.errors()), s);
    first_field = false;
  };
  if (suppress && kind == "sqlite" && !via_api) {
    const auto t0 = clock_type::now();
    std::string err;
    const bool ok = sqlite_bulk_suppress(path, *loaded.secrets, numbers, suppress_first, suppress, now_ms, &err);
    if (!ok) {
      std::cerr << "smsgw-bench-preload: suppressions: " << err << "\n";
      status = 1;
    }
    std::printf("\"suppressions\": {\"count\": %llu, \"errors\": %d, \"seconds\": %.2f, \"via\": \"sql\"}",
                static_cast<unsigned long long>(suppress), ok ? 0 : 1,
                std::chrono::duration<double>(clock_type::now() - t0).count());
    first_field = false;
  } else if (suppress) {
    run_job("suppressions", job{job::kind::suppress, suppress_first, suppress, ""});
  }
  if (consent) run_job("consents", job{job::kind::consent, consent_first, consent, category});
  std::printf("}\n");
  std::fflush(stdout);
  opened.store.reset();
  io.restart();
  io.run_for(std::chrono::milliseconds(200));
  return status;
}
