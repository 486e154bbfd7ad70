// import suppressions|dnc|consents FILE: streamed, normalised with the API's code, duplicates
// counted once, invalid rows to FILE.rejects.csv, idempotent (the store keeps what it has).

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>

#include "policy/hex.hpp"
#include "tools/smsgwctl/cli_checks.hpp"
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
  std::size_t batch = 50'000;
  std::string temp_dir;
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
  std::string at;  // milliseconds since the epoch in decimal (the `at` column); empty: now
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

// Accepted records between reading and storing, partitioned by the first bits of the number
// key into temporary files, so that the store receives them in key order: each store batch
// then covers a narrow key range (SQLite writes each B-tree page about once instead of once per
// row; Redis gets many records of the same bucket in one command). Each partition is read back,
// sorted in memory and removed. A record: 32 key bytes, then 6 strings, each a 1-byte length
// (255: a 4-byte length follows) and its bytes.
class spill_files {
 public:
  static constexpr std::size_t fields = 6;
  struct record {
    std::array<unsigned char, 32> key;
    std::array<std::string_view, fields> f;
  };

  // `expected_rows` picks the number of partitions (about 64,000 records each, 16 to 512).
  bool open(const std::string& dir, std::uint64_t expected_rows, std::string& error) {
    std::size_t parts = 16;
    while (parts < 512 && expected_rows / parts > 64'000) parts *= 2;
    bits_ = 0;
    while ((std::size_t{1} << bits_) < parts) ++bits_;
    std::error_code ec;
    auto base = dir.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(dir);
    if (ec) {
      error = "no temporary directory: " + ec.message();
      return false;
    }
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto candidate = base / ("smsgwctl-import-" + std::to_string(::getpid()) + "-" + std::to_string(attempt));
      if (std::filesystem::create_directory(candidate, ec)) {
        dir_ = candidate;
        break;
      }
    }
    if (dir_.empty()) {
      error = "cannot create a directory in " + base.string() + (ec ? ": " + ec.message() : std::string());
      return false;
    }
    files_.assign(parts, nullptr);
    counts_.assign(parts, 0);
    for (std::size_t i = 0; i < parts; ++i) {
      files_[i] = std::fopen(path(i).c_str(), "w+b");
      if (!files_[i]) {
        error = "cannot create " + path(i) + ": " + std::strerror(errno);
        return false;
      }
    }
    return true;
  }
  ~spill_files() {
    for (auto* f : files_) {
      if (f) std::fclose(f);
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  std::size_t partitions() const { return files_.size(); }
  const std::filesystem::path& dir() const { return dir_; }

  // false when the disk is full (or another write error).
  bool add(const std::array<unsigned char, 32>& key, const std::array<std::string_view, fields>& f) {
    const std::size_t p = bits_ == 0 ? 0 : (static_cast<std::size_t>(key[0]) << 8 | key[1]) >> (16 - bits_);
    buf_.assign(key.begin(), key.end());
    for (auto v : f) {
      if (v.size() < 255) {
        buf_.push_back(static_cast<char>(v.size()));
      } else {
        buf_.push_back(static_cast<char>(255));
        const auto n = static_cast<std::uint32_t>(v.size());
        for (int shift = 24; shift >= 0; shift -= 8) buf_.push_back(static_cast<char>((n >> shift) & 0xff));
      }
      buf_.insert(buf_.end(), v.begin(), v.end());
    }
    ++counts_[p];
    return std::fwrite(buf_.data(), 1, buf_.size(), files_[p]) == buf_.size();
  }

  // Partition p in key order (the file is then removed); `storage` holds the bytes the views
  // point into. false on a read error.
  bool read(std::size_t p, std::string& storage, std::vector<record>& out) {
    out.clear();
    std::FILE* f = files_[p];
    files_[p] = nullptr;
    bool ok = std::fflush(f) == 0 && std::fseek(f, 0, SEEK_END) == 0;
    const long size = ok ? std::ftell(f) : -1;
    ok = ok && size >= 0 && std::fseek(f, 0, SEEK_SET) == 0;
    if (ok) {
      storage.resize(static_cast<std::size_t>(size));
      ok = std::fread(storage.data(), 1, storage.size(), f) == storage.size();
    }
    std::fclose(f);
    std::error_code ec;
    std::filesystem::remove(path(p), ec);
    if (!ok) return false;
    out.reserve(counts_[p]);
    std::size_t pos = 0;
    const std::size_t n = storage.size();
    while (pos + 32 <= n) {
      record r;
      std::memcpy(r.key.data(), storage.data() + pos, 32);
      pos += 32;
      for (auto& v : r.f) {
        if (pos >= n) return false;
        std::size_t len = static_cast<unsigned char>(storage[pos++]);
        if (len == 255) {
          if (pos + 4 > n) return false;
          len = 0;
          for (int i = 0; i < 4; ++i) len = len << 8 | static_cast<unsigned char>(storage[pos++]);
        }
        if (pos + len > n) return false;
        v = std::string_view(storage.data() + pos, len);
        pos += len;
      }
      out.push_back(r);
    }
    std::sort(out.begin(), out.end(), [](const record& a, const record& b) {
      if (a.key != b.key) return a.key < b.key;
      return a.f < b.f;
    });
    return pos == n;
  }

 private:
  std::string path(std::size_t p) const { return (dir_ / ("part-" + std::to_string(p))).string(); }
  std::filesystem::path dir_;
  int bits_ = 0;
  std::vector<std::FILE*> files_;
  std::vector<std::size_t> counts_;
  std::string buf_;
};

// 64 lowercase hex digits (number_secrets::key) <-> 32 bytes.
std::array<unsigned char, 32> key_bytes(const std::string& hex) {
  std::array<unsigned char, 32> out{};
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i < 32 && 2 * i + 1 < hex.size(); ++i) {
    out[i] = static_cast<unsigned char>(nib(hex[2 * i]) * 16 + nib(hex[2 * i + 1]));
  }
  return out;
}

std::string key_hex(const std::array<unsigned char, 32>& k) { return policy::to_hex(k.data(), k.size()); }

// One batch in the store, started asynchronously (the store seals the E.164 on this thread);
// wait() gives its counts.
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
  std::error_code store_ec;

  // Pass 1: read, normalise, key, drop duplicates, reject; accepted records go to the spill
  // files. Pass 2: each partition in key order into the store, in batches of --batch records,
  // one batch in the store while the next one is prepared.
  spill_files spill;
  {
    std::string error;
    if (!spill.open(o.temp_dir, size_ec ? 0 : total_bytes / 12, error)) {
      std::cerr << "--temp-dir: " << error << "\n";
      return exit_usage;
    }
  }
  bool spill_failed = false;

  // Rows are normalised and keyed (the costly part) in blocks, by a worker thread and by this
  // thread once it has read the next block; this thread files each block in file order
  // (duplicates, rejects, spill files) while the worker starts on the next one.
  constexpr std::size_t read_batch = 20'000;  // rows per block
  constexpr std::size_t chunk = 512;          // rows taken at a time from a block
  struct block {
    std::vector<row> rows;
    std::vector<policy::phone_number_info> infos;
    std::vector<std::array<unsigned char, 32>> keys;
    std::atomic<std::size_t> next{0};
  };
  auto normalise = [&ctx, chunk](block& b) {
    for (;;) {
      const std::size_t from = b.next.fetch_add(chunk);
      if (from >= b.rows.size()) return;
      for (std::size_t i = from; i < std::min(b.rows.size(), from + chunk); ++i) {
        // Validity and E.164 only (no time zones), and the HMAC key.
        b.infos[i] = policy::normalize_e164(b.rows[i].number, b.rows[i].region);
        if (b.infos[i].valid) b.keys[i] = key_bytes(ctx.secrets().key(b.infos[i].e164));
      }
    }
  };
  auto file_block = [&](block& b) {
    for (std::size_t i = 0; i < b.rows.size(); ++i) {
      const auto& r = b.rows[i];
      const auto& n = b.infos[i];
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
      const bool ok = consents ? spill.add(b.keys[i], {n.e164, r.category, r.sender, r.source, r.evidence, r.at})
                               : spill.add(b.keys[i], {n.e164, r.sender, r.reason, r.source, {}, r.at});
      if (!ok) spill_failed = true;
    }
    b.rows.clear();
  };
  std::array<block, 2> blocks;  // by turns: one being read, the other being normalised
  std::size_t reading = 0;
  std::jthread worker;  // normalising blocks[reading ^ 1] while it is joinable
  // Finishes the block before the one being read: helps normalise it, then files it.
  auto finish_previous = [&] {
    if (!worker.joinable()) return;
    normalise(blocks[reading ^ 1]);
    worker.join();
    file_block(blocks[reading ^ 1]);
  };
  auto flush = [&] {
    block& b = blocks[reading];
    b.infos.assign(b.rows.size(), {});
    b.keys.resize(b.rows.size());
    b.next = 0;
    // The previous block is normalised before this one is started (this thread helps), and
    // filed while the worker normalises this one.
    block& prev = blocks[reading ^ 1];
    const bool had_previous = worker.joinable();
    if (had_previous) {
      normalise(prev);
      worker.join();
    }
    worker = std::jthread([&normalise, &b] { normalise(b); });
    if (had_previous) file_block(prev);
    reading ^= 1;
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
    // The time of the record (an export's `at` column): kept, so that an export imports as it was.
    if (const std::string& at = field_or_empty(rec, cols.at); !at.empty()) {
      const auto ms = parse_time(at);
      if (!ms || *ms > ctx.now_ms()) {
        ++t.rejected;
        rejects.add(rec.line, ms ? "time in column at is in the future" : "invalid time in column at (RFC 3339 such as "
                                                                           "2026-11-29T19:20:00Z)",
                    at);
        continue;
      }
      r.at = std::to_string(*ms);
    }
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
      r.source = o.source.empty() ? field_or_empty(rec, cols.source) : o.source;
      if (r.source.empty()) r.source = "import";
    }
    blocks[reading].rows.push_back(std::move(r));
    if (blocks[reading].rows.size() >= read_batch) {
      flush();
      bar.update(reader.bytes_read(), t.rows);
      if (spill_failed) break;
    }
  }
  if (!blocks[reading].rows.empty() && !spill_failed) flush();
  finish_previous();
  bar.finish();
  if (spill_failed) {
    std::cerr << "--temp-dir: cannot write to " << spill.dir().string() << ": " << std::strerror(errno)
              << " (the store is unchanged)\n";
    return exit_usage;
  }

  // Pass 2.
  const double read_secs = seconds_since_epoch() - started;
  // The partitions cover disjoint key ranges (and Redis buckets): one thread per core takes
  // them in turn, reads one back in key order and stores it in batches of --batch records, two
  // batches in the store at a time (the next one is sealed and sent while the store still
  // writes the previous one).
  const std::int64_t to_store = t.rows - t.rejected - t.duplicates;
  progress store_bar(static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_store)));
  std::mutex totals_mutex;  // t, store_ec, spill_failed and store_bar from here on
  std::int64_t stored = 0;
  std::atomic<std::size_t> next_partition{0};
  auto store_partitions = [&] {
    constexpr std::size_t max_in_flight = 2;
    std::deque<pending_batch> in_flight;
    auto collect_one = [&] {
      auto [ec, r] = in_flight.front().wait();
      in_flight.pop_front();
      std::lock_guard lock(totals_mutex);
      if (ec && !store_ec) store_ec = ec;
      t.added += r.added;
      t.existing += r.existing;
    };
    std::vector<policy::suppression_record> sups;
    std::vector<policy::consent_record> cons;
    auto send = [&] {
      in_flight.emplace_back();
      if (consents) {
        in_flight.back().start(ctx, std::move(cons));
        cons = {};
      } else {
        in_flight.back().start(ctx, std::move(sups));
        sups = {};
      }
      while (in_flight.size() >= max_in_flight) collect_one();
    };
    std::string storage;
    std::vector<spill_files::record> part;
    for (std::size_t p = next_partition++; p < spill.partitions(); p = next_partition++) {
      if (!spill.read(p, storage, part)) {
        std::lock_guard lock(totals_mutex);
        spill_failed = true;
        break;
      }
      for (const auto& r : part) {
        std::int64_t at_ms = ctx.now_ms();
        if (!r.f[5].empty()) std::from_chars(r.f[5].data(), r.f[5].data() + r.f[5].size(), at_ms);
        if (consents) {
          cons.push_back({key_hex(r.key), std::string(r.f[0]), std::string(r.f[1]), std::string(r.f[2]),
                          std::string(r.f[3]), std::string(r.f[4]), at_ms});
          if (cons.size() >= o.batch) send();
        } else {
          sups.push_back({key_hex(r.key), std::string(r.f[0]), std::string(r.f[1]), std::string(r.f[2]),
                          std::string(r.f[3]), at_ms});
          if (sups.size() >= o.batch) send();
        }
      }
      // A batch stays within one partition (a narrow key range).
      if (!sups.empty() || !cons.empty()) send();
      std::lock_guard lock(totals_mutex);
      stored += static_cast<std::int64_t>(part.size());
      store_bar.update(static_cast<std::uint64_t>(stored), stored);
      if (spill_failed) break;
    }
    while (!in_flight.empty()) collect_one();
  };
  {
    std::vector<std::jthread> helpers;
    for (unsigned i = 1; i < std::max(1u, std::thread::hardware_concurrency()); ++i) {
      helpers.emplace_back(store_partitions);
    }
    store_partitions();
  }
  store_bar.finish();
  if (spill_failed) {
    std::cerr << "--temp-dir: cannot read back " << spill.dir().string()
              << " (part of the file was stored; the import is idempotent: run it again)\n";
    return exit_usage;
  }
  const double secs = std::max(0.001, seconds_since_epoch() - started);

  std::cout << "import " << o.kind << " " << o.file << "\n"
            << "  rows read:          " << thousands(t.rows) << "\n"
            << "  rejected:           " << thousands(t.rejected)
            << (t.rejected ? " (line numbers and reasons in " + rejects.path() + ")" : "") << "\n"
            << "  duplicates in file: " << thousands(t.duplicates) << "\n"
            << "  added:              " << thousands(t.added) << "\n"
            << "  already stored:     " << thousands(t.existing) << "\n"
            << "  time:               " << secs << " s ("
            << thousands(static_cast<std::int64_t>(static_cast<double>(t.rows) / secs)) << " rows/s; reading "
            << read_secs << " s, storing " << secs - read_secs << " s)\n";
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

// The options a kind does not use are refused rather than ignored: `import dnc --sender 12345`
// stored global entries (design.md 5.5: DNC entries are always global) while the operator meant
// one sender's list.
void refuse_ignored_options(const CLI::App& im, const std::string& kind) {
  if (kind == "dnc") {
    refuse_if_given(im, "--sender",
                    "does not apply to import dnc: DNC entries are always global (they stop every sender); leave "
                    "--sender out, or use import suppressions --sender for one sender's list");
    refuse_if_given(im, "--reason",
                    "does not apply to import dnc: DNC entries are recorded with the reason dnc; leave --reason "
                    "out, or use import suppressions --reason");
  }
  if (kind != "consents") {
    for (const char* option : {"--category", "--evidence"}) {
      refuse_if_given(im, option, "only applies to import consents, not import " + kind);
    }
  } else {
    refuse_if_given(im, "--reason", "only applies to import suppressions, not import consents (a consent has no reason)");
  }
}

}  // namespace

void add_import_command(CLI::App& app, command& chosen) {
  auto o = std::make_shared<import_options>();
  auto* im = app.add_subcommand("import", "import a CSV (or one number per line) of suppressions, DNC numbers or consents");
  im->add_option("KIND", o->kind, "suppressions | dnc | consents")
      ->required()
      ->check(CLI::IsMember({"suppressions", "dnc", "consents"}));
  im->add_option("FILE", o->file, "the file (CSV with or without a header, UTF-8, BOM and CRLF accepted)")->required();
  im->add_option("--region", o->region, "region of national numbers (default: a region column, else policy.default_region)")
      ->transform(country_region());
  im->add_option("--column", o->column, "the number column: 1-based index or header name");
  im->add_option("--sender", o->sender, "suppressions/consents for this sender only (default: a sender column, else global)")
      ->check(non_empty_sender());
  im->add_option("--reason", o->reason, "suppressions: reason (default: a reason column, else import)");
  im->add_option("--category", o->category, "consents: category (default: a category column)");
  im->add_option("--source", o->source, "source of the records (default: a source column, else import)");
  im->add_option("--evidence", o->evidence, "consents: evidence (default: an evidence column, else the file and line)");
  im->add_option("--batch", o->batch, "records per store batch (default 50,000)")->check(CLI::Range(1, 1'000'000));
  im->add_option("--temp-dir", o->temp_dir,
                 "where the accepted records wait, sorted, before the store (about 60 bytes each; default $TMPDIR or /tmp)");
  im->callback([o, im, &chosen] {
    refuse_ignored_options(*im, o->kind);
    chosen.run = [o](context& c) { return run_import(c, *o); };
  });
}

}  // namespace smsgwctl
