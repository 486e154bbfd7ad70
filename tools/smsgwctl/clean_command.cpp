// clean IN --out OUT: list hygiene without writing to the store. Every row is validated and
// normalised with the API's code; duplicates are dropped; each kept row gets its E.164, a status
// (ok | invalid | not_sms), the reason, the number type, region, time zones and whether the
// number is suppressed (read from the store; --offline skips it). A report follows on stdout.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

#include "tools/smsgwctl/cli_checks.hpp"
#include "tools/smsgwctl/commands.hpp"
#include "tools/smsgwctl/context.hpp"
#include "tools/smsgwctl/number_file.hpp"

namespace smsgwctl {
namespace {

struct clean_options {
  std::string in;
  std::string out;
  std::string column;
  std::string region;
  bool offline = false;
  std::size_t batch = 20'000;
};

// Whether each number is suppressed (any sender), asked concurrently.
std::vector<int> suppressed_flags(context& ctx, const std::vector<std::string>& keys, std::error_code& ec) {
  std::vector<int> out(keys.size(), 0);
  if (keys.empty()) return out;
  struct agg {
    std::atomic<std::size_t> remaining;
    std::mutex mu;
    std::error_code ec;
    std::promise<void> done;
  };
  auto a = std::make_shared<agg>();
  a->remaining = keys.size();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ctx.store().is_suppressed(keys[i], "", policy::opt_out_scope::global, [a, i, &out](std::error_code e, bool s) {
      if (e) {
        std::lock_guard lk(a->mu);
        if (!a->ec) a->ec = e;
      }
      out[i] = s ? 1 : 0;
      if (--a->remaining == 0) a->done.set_value();
    });
  }
  a->done.get_future().wait();
  ec = a->ec;
  return out;
}

struct row {
  std::int64_t line = 0;
  std::vector<std::string> fields;
  std::string number;
  std::string region;
};

int run_clean(context& ctx, const clean_options& o) {
  std::ifstream in(o.in, std::ios::binary);
  if (!in) {
    std::cerr << "IN " << o.in << ": cannot open: " << std::strerror(errno) << "\n";
    return exit_usage;
  }
  std::ofstream out(o.out, std::ios::trunc | std::ios::binary);
  if (!out) {
    std::cerr << "--out " << o.out << ": cannot write: " << std::strerror(errno) << "\n";
    return exit_usage;
  }
  std::error_code size_ec;
  const auto total_bytes = std::filesystem::file_size(o.in, size_ec);
  const auto& sms_types = ctx.policy().sms_types;
  csv_reader reader(in);
  column_map cols;
  bool mapped = false;
  number_set seen;
  progress bar(size_ec ? 0 : total_bytes);
  const double started = seconds_since_epoch();

  std::int64_t rows_read = 0, duplicates = 0, ok = 0, invalid = 0, not_sms = 0, suppressed = 0, unreadable = 0;
  std::map<std::string, std::int64_t> invalid_reasons;
  std::map<std::string, std::int64_t> by_type;
  std::error_code store_ec;
  std::vector<row> rows;

  auto flush = [&] {
    std::vector<std::pair<std::string, std::string>> inputs;
    inputs.reserve(rows.size());
    for (const auto& r : rows) inputs.emplace_back(r.number, r.region);
    auto infos = normalize_all(inputs);
    std::vector<char> keep(rows.size(), 0);
    std::vector<std::string> keys;
    std::vector<std::size_t> key_rows;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& n = infos[i];
      if (n.valid && !seen.insert(number_set::key_of(n.e164))) {
        ++duplicates;
        continue;
      }
      keep[i] = 1;
      if (n.valid && !o.offline) {
        keys.push_back(ctx.secrets().key(n.e164));
        key_rows.push_back(i);
      }
    }
    std::vector<int> sup(rows.size(), -1);
    if (!keys.empty()) {
      std::error_code ec;
      auto flags = suppressed_flags(ctx, keys, ec);
      if (ec && !store_ec) store_ec = ec;
      for (std::size_t k = 0; k < key_rows.size(); ++k) sup[key_rows[k]] = flags[k];
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!keep[i]) continue;
      const auto& n = infos[i];
      std::string status, reason;
      if (!n.valid) {
        status = "invalid";
        reason = std::string(policy::to_string(n.error));
        ++invalid;
        ++invalid_reasons[reason];
      } else if (policy::check_number(n, sms_types) != policy::reason::none) {
        status = "not_sms";
        reason = std::string(policy::to_string(n.type));
        ++not_sms;
      } else {
        status = "ok";
        ++ok;
      }
      if (n.valid) ++by_type[std::string(policy::to_string(n.type))];
      if (sup[i] == 1) ++suppressed;
      for (std::size_t f = 0; f < cols.names.size(); ++f) {
        out << csv_escape(f < rows[i].fields.size() ? rows[i].fields[f] : std::string()) << ',';
      }
      std::string zones;
      for (const auto& z : n.timezones) zones += (zones.empty() ? "" : ";") + z;
      out << (n.valid ? std::string_view(n.e164) : std::string_view()) << ',' << status << ',' << csv_escape(reason) << ','
          << (n.valid ? policy::to_string(n.type) : std::string_view()) << ',' << n.region << ',' << zones << ','
          << (sup[i] == 1 ? "yes" : sup[i] == 0 ? "no" : "") << '\n';
    }
    rows.clear();
  };

  csv_record rec;
  std::string error;
  std::vector<std::pair<std::int64_t, std::string>> reader_errors;
  for (;;) {
    auto st = reader.next(rec, error);
    if (st == csv_reader::status::end) break;
    if (st == csv_reader::status::error) {
      ++rows_read;
      ++unreadable;
      if (reader_errors.size() < 20) reader_errors.emplace_back(rec.line, error);
      continue;
    }
    if (!mapped) {
      mapped = true;
      std::string why;
      if (!map_columns(rec, o.column, cols, why)) {
        std::cerr << o.in << ": " << why << "\n";
        return exit_usage;
      }
      for (const auto& name : cols.names) out << csv_escape(name) << ',';
      out << "e164,status,reason,type,region,timezones,suppressed\n";
      if (cols.header) continue;
    }
    ++rows_read;
    row r;
    r.line = rec.line;
    r.number = field_or_empty(rec, cols.number);
    r.region = o.region.empty() ? field_or_empty(rec, cols.region) : o.region;
    if (r.region.empty()) r.region = ctx.default_region();
    r.fields = std::move(rec.fields);
    r.fields.resize(cols.names.size());
    rows.push_back(std::move(r));
    if (rows.size() >= o.batch) {
      flush();
      bar.update(reader.bytes_read(), rows_read);
    }
  }
  if (!rows.empty()) flush();
  bar.finish();
  out.close();
  const double secs = std::max(0.001, seconds_since_epoch() - started);

  std::cout << "clean " << o.in << " -> " << o.out << "\n"
            << "  rows read:            " << thousands(rows_read) << "\n"
            << "  duplicates dropped:   " << thousands(duplicates) << "\n"
            << "  ok:                   " << thousands(ok) << "\n"
            << "  cannot receive SMS:   " << thousands(not_sms) << "\n"
            << "  invalid:              " << thousands(invalid) << "\n"
            << "  unreadable rows:      " << thousands(unreadable) << "\n"
            << "  suppressed:           " << (o.offline ? std::string("not checked (--offline)") : thousands(suppressed))
            << "\n";
  if (!by_type.empty()) {
    std::cout << "  number types:";
    for (const auto& [type, n] : by_type) std::cout << " " << type << " " << thousands(n);
    std::cout << "\n";
  }
  if (!invalid_reasons.empty()) {
    std::vector<std::pair<std::int64_t, std::string>> top;
    for (const auto& [why, n] : invalid_reasons) top.emplace_back(n, why);
    std::sort(top.rbegin(), top.rend());
    std::cout << "  top invalid reasons:\n";
    for (std::size_t i = 0; i < top.size() && i < 5; ++i) {
      std::cout << "    " << top[i].second << ": " << thousands(top[i].first) << "\n";
    }
  }
  for (const auto& [line, why] : reader_errors) std::cout << "  line " << line << ": " << why << "\n";
  std::cout << "  time:                 " << secs << " s ("
            << thousands(static_cast<std::int64_t>(static_cast<double>(rows_read) / secs)) << " rows/s)\n";
  if (store_ec) {
    std::cerr << "store: " << store_ec.message() << " (the suppressed column is incomplete)\n";
    return exit_usage;
  }
  return unreadable > 0 ? exit_partial : exit_ok;
}

}  // namespace

void add_clean_command(CLI::App& app, command& chosen) {
  auto o = std::make_shared<clean_options>();
  auto* cl = app.add_subcommand("clean", "validate, normalise and de-duplicate a number list (no store writes)");
  cl->add_option("IN", o->in, "input CSV (or one number per line)")->required();
  cl->add_option("--out", o->out, "output CSV")->required();
  cl->add_option("--column", o->column, "the number column: 1-based index or header name");
  cl->add_option("--region", o->region, "region of national numbers (default: a region column, else policy.default_region)")
      ->transform(country_region());
  cl->add_flag("--offline", o->offline, "do not read suppressions from the store");
  cl->add_option("--batch", o->batch, "rows per batch")->check(CLI::Range(1, 1'000'000));
  cl->callback([o, &chosen] {
    chosen.needs_store = !o->offline;
    chosen.run = [o](context& c) { return run_clean(c, *o); };
  });
}

}  // namespace smsgwctl
