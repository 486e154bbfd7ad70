// import suppressions|dnc|consents FILE: streamed, normalised with the API's code, duplicates
// counted once, invalid rows to FILE.rejects.csv, idempotent (the store keeps what it has).

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <type_traits>

#include "tools/smsgwctl/commands.hpp"
#include "tools/smsgwctl/context.hpp"
#include "tools/smsgwctl/number_file.hpp"

namespace smsgwctl {
namespace {

struct import_options {
  std::string kind;  // suppressions | dnc | consents
  std::string file;
  std::string region;
  std::string column;
  std::string sender;
  std::string reason;
  std::string category;
  std::string source;
  std::string evidence;
  std::size_t batch = 20'000;
};

struct row {
  std::int64_t line = 0;
  std::string number;
  std::string region;
  std::string sender;
  std::string reason;
  std::string category;
  std::string source;
  std::string evidence;
};

struct totals {
  std::int64_t rows = 0;
  std::int64_t rejected = 0;
  std::int64_t duplicates = 0;
  std::int64_t added = 0;
  std::int64_t existing = 0;
};

class rejects_file {
 public:
  explicit rejects_file(const std::string& path) : path_(path), out_(path, std::ios::trunc) {
    if (out_) out_ << "line,reason,value\n";
  }
  bool ok() const { return static_cast<bool>(out_); }
  const std::string& path() const { return path_; }
  void add(std::int64_t line, const std::string& reason, const std::string& value) {
    out_ << line << ',' << csv_escape(reason) << ',' << csv_escape(value.size() > 200 ? value.substr(0, 200) : value)
         << '\n';
  }

 private:
  std::string path_;
  std::ofstream out_;
};

// One batch in the store, started asynchronously; wait() gives its counts.
class pending_batch {
 public:
  template <class Rec>
  void start(context& ctx, std::vector<Rec> recs) {
    auto p = std::make_shared<std::promise<std::pair<std::error_code, policy::import_result>>>();
    fut_ = p->get_future();
    auto cb = [p](std::error_code ec, policy::import_result r) { p->set_value({ec, r}); };
    if constexpr (std::is_same_v<Rec, policy::suppression_record>) {
      ctx.store().import_suppressions(std::move(recs), cb);
    } else {
      ctx.store().import_consents(std::move(recs), cb);
    }
  }
  bool active() const { return fut_.valid(); }
  std::pair<std::error_code, policy::import_result> wait() { return fut_.get(); }

 private:
  std::future<std::pair<std::error_code, policy::import_result>> fut_;
};

int run_import(context& ctx, const import_options& o) {
  const bool consents = o.kind == "consents";
  const bool dnc = o.kind == "dnc";
  if (consents && !o.category.empty() && !ctx.config().policy.find_category(o.category)) {
    std::cerr << "--category: \"" << o.category << "\" is not a category of the configuration\n";
    return exit_usage;
  }
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    std::cerr << "FILE " << o.file << ": cannot open: " << std::strerror(errno) << "\n";
    return exit_usage;
  }
  std::error_code size_ec;
  const auto total_bytes = std::filesystem::file_size(o.file, size_ec);
  rejects_file rejects(o.file + ".rejects.csv");
  if (!rejects.ok()) {
    std::cerr << "FILE " << o.file << ".rejects.csv: cannot write: " << std::strerror(errno) << "\n";
    return exit_usage;
  }

  csv_reader reader(in);
  column_map cols;
  bool mapped = false;
  number_set seen;
  totals t;
  progress bar(size_ec ? 0 : total_bytes);
  const double started = seconds_since_epoch();
  pending_batch in_flight;
  std::error_code store_ec;

  auto collect = [&] {
    if (!in_flight.active()) return;
    auto [ec, r] = in_flight.wait();
    if (ec && !store_ec) store_ec = ec;
    t.added += r.added;
    t.existing += r.existing;
  };

  std::vector<row> rows;
  auto flush = [&] {
    std::vector<std::pair<std::string, std::string>> inputs;
    inputs.reserve(rows.size());
    for (const auto& r : rows) inputs.emplace_back(r.number, r.region);
    // Validity and E.164 only (no time zones): runs while the previous batch is in the store.
    auto infos = normalize_all(inputs, false);
    // HMAC keys on every core too.
    std::vector<std::string> keys(rows.size());
    parallel_for(rows.size(), [&](std::size_t from, std::size_t to) {
      for (std::size_t i = from; i < to; ++i) {
        if (infos[i].valid) keys[i] = ctx.secrets().key(infos[i].e164);
      }
    });
    std::vector<policy::suppression_record> sups;
    std::vector<policy::consent_record> cons;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      const auto& n = infos[i];
      if (!n.valid) {
        ++t.rejected;
        rejects.add(r.line, "invalid number: " + n.error_message, r.number);
        continue;
      }
      const std::string extra = consents ? r.category + '\x1f' + r.sender : r.sender;
      if (!seen.insert(number_set::key_of(n.e164, extra))) {
        ++t.duplicates;
        continue;
      }
      const std::string& nk = keys[i];
      if (consents) {
        cons.push_back({nk, n.e164, r.category, r.sender, r.source, r.evidence, ctx.now_ms()});
      } else {
        sups.push_back({nk, n.e164, r.sender, r.reason, r.source, ctx.now_ms()});
      }
    }
    rows.clear();
    collect();
    if (consents) {
      in_flight.start(ctx, std::move(cons));
    } else {
      in_flight.start(ctx, std::move(sups));
    }
  };

  csv_record rec;
  std::string error;
  for (;;) {
    auto st = reader.next(rec, error);
    if (st == csv_reader::status::end) break;
    if (st == csv_reader::status::error) {
      ++t.rows;
      ++t.rejected;
      rejects.add(rec.line, error, "");
      continue;
    }
    if (!mapped) {
      mapped = true;
      std::string why;
      if (!map_columns(rec, o.column, cols, why)) {
        std::cerr << o.file << ": " << why << "\n";
        return exit_usage;
      }
      if (consents && o.category.empty() && cols.category < 0) {
        std::cerr << "--category: required (or a category column in the header of " << o.file << ")\n";
        return exit_usage;
      }
      if (cols.header) continue;
    }
    ++t.rows;
    row r;
    r.line = rec.line;
    r.number = field_or_empty(rec, cols.number);
    if (r.number.find_first_not_of(" \t") == std::string::npos) {
      ++t.rejected;
      rejects.add(rec.line, "no number in column " + std::to_string(cols.number + 1), r.number);
      continue;
    }
    r.region = o.region.empty() ? field_or_empty(rec, cols.region) : o.region;
    if (r.region.empty()) r.region = ctx.default_region();
    r.sender = dnc ? std::string() : (o.sender.empty() ? field_or_empty(rec, cols.sender) : o.sender);
    if (consents) {
      r.category = o.category.empty() ? field_or_empty(rec, cols.category) : o.category;
      if (!ctx.config().policy.find_category(r.category)) {
        ++t.rejected;
        rejects.add(rec.line, "unknown category \"" + r.category + "\"", r.number);
        continue;
      }
      r.source = o.source.empty() ? field_or_empty(rec, cols.source) : o.source;
      if (r.source.empty()) r.source = "import";
      r.evidence = o.evidence.empty() ? field_or_empty(rec, cols.evidence) : o.evidence;
      if (r.evidence.empty()) r.evidence = "import of " + o.file + " line " + std::to_string(rec.line);
    } else {
      r.reason = dnc ? "dnc" : (o.reason.empty() ? field_or_empty(rec, cols.reason) : o.reason);
      if (r.reason.empty()) r.reason = "import";
      r.source = "import";
    }
    rows.push_back(std::move(r));
    if (rows.size() >= o.batch) {
      flush();
      bar.update(reader.bytes_read(), t.rows);
    }
  }
  if (!rows.empty()) flush();
  collect();
  bar.finish();
  const double secs = std::max(0.001, seconds_since_epoch() - started);

  std::cout << "import " << o.kind << " " << o.file << "\n"
            << "  rows read:          " << thousands(t.rows) << "\n"
            << "  rejected:           " << thousands(t.rejected)
            << (t.rejected ? " (line numbers and reasons in " + rejects.path() + ")" : "") << "\n"
            << "  duplicates in file: " << thousands(t.duplicates) << "\n"
            << "  added:              " << thousands(t.added) << "\n"
            << "  already stored:     " << thousands(t.existing) << "\n"
            << "  time:               " << secs << " s ("
            << thousands(static_cast<std::int64_t>(static_cast<double>(t.rows) / secs)) << " rows/s)\n";
  if (seen.saturated()) {
    std::cout << "  note: more distinct numbers than the duplicate table holds; later duplicates are counted as "
                 "already stored\n";
  }
  if (store_ec) {
    std::cerr << "store: " << store_ec.message() << " (the import is idempotent: run it again)\n";
    return exit_usage;
  }
  return t.rejected > 0 ? exit_partial : exit_ok;
}

}  // namespace

void add_import_command(CLI::App& app, command& chosen) {
  auto o = std::make_shared<import_options>();
  auto* im = app.add_subcommand("import", "import a CSV (or one number per line) of suppressions, DNC numbers or consents");
  im->add_option("KIND", o->kind, "suppressions | dnc | consents")
      ->required()
      ->check(CLI::IsMember({"suppressions", "dnc", "consents"}));
  im->add_option("FILE", o->file, "the file (CSV with or without a header, UTF-8, BOM and CRLF accepted)")->required();
  im->add_option("--region", o->region, "region of national numbers (default: a region column, else policy.default_region)");
  im->add_option("--column", o->column, "the number column: 1-based index or header name");
  im->add_option("--sender", o->sender, "suppressions/consents for this sender only (default: a sender column, else global)");
  im->add_option("--reason", o->reason, "suppressions: reason (default: a reason column, else import)");
  im->add_option("--category", o->category, "consents: category (default: a category column)");
  im->add_option("--source", o->source, "consents: source (default: a source column, else import)");
  im->add_option("--evidence", o->evidence, "consents: evidence (default: an evidence column, else the file and line)");
  im->add_option("--batch", o->batch, "rows per store batch")->check(CLI::Range(1, 1'000'000));
  im->callback([o, &chosen] { chosen.run = [o](context& c) { return run_import(c, *o); }; });
}

}  // namespace smsgwctl
