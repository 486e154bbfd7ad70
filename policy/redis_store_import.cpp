// Bulk imports on Redis (smsgwctl import; docs/performance.md, "Operator tooling"): records
// sorted by bucket and sent with import.lua, a new suppression bucket written with one RESTORE.

#include <algorithm>
#include <array>
#include <unordered_set>

#include "policy/redis_dump.hpp"
#include "policy/redis_store_state.hpp"
#include "policy/separated_fields.hpp"

namespace policy {

namespace asio = boost::asio;
using namespace redis_detail;
using detail::field_value;

namespace {

// --- Bulk imports (import.lua; docs/performance.md, "Operator tooling") ---

// Records of one import.lua call at most, and of one bucket within a call (Lua's unpack()).
constexpr std::size_t import_rows_per_call = 2000;
constexpr std::size_t import_rows_per_group = 1000;

// One record of a bulk import: its bucket (the first 2 bytes of the key), the other 30 bytes and
// the packed value; `rec` indexes the caller's records (for the sender).
struct import_item {
  std::uint16_t bucket = 0;
  std::array<char, suffix_bytes> suffix{};
  std::uint32_t rec = 0;
  std::string value;
};

// locate() without allocations; false when the key is not 64 hex digits.
bool locate_into(std::string_view nk, import_item& out) {
  if (nk.size() != bucket_hex + 2 * suffix_bytes) return false;
  unsigned bucket = 0;
  for (std::size_t i = 0; i < bucket_hex; ++i) {
    const int v = hex_value(nk[i]);
    if (v < 0) return false;
    bucket = bucket * 16 + static_cast<unsigned>(v);
  }
  out.bucket = static_cast<std::uint16_t>(bucket);
  for (std::size_t i = 0; i < suffix_bytes; ++i) {
    const int hi = hex_value(nk[bucket_hex + 2 * i]);
    const int lo = hex_value(nk[bucket_hex + 2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.suffix[i] = static_cast<char>(hi * 16 + lo);
  }
  return true;
}

// The calls of one import still running, and what they stored so far.
struct import_progress {
  countdown c;
  import_result r;
  store_callback<import_result> cb;
};

std::string bucket_name(const std::string& prefix, std::uint16_t bucket) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string k = prefix;
  for (int shift = 12; shift >= 0; shift -= 4) k += hex[(bucket >> shift) & 15];
  return k;
}

}  // namespace

void redis_store::import_suppressions(std::vector<suppression_record> recs, store_callback<import_result> cb) {
  // On the caller's thread: keys decoded, E.164 sealed (AES-GCM) and packed, records sorted by
  // sender, bucket and key so that each bucket's records go in one command (import.lua) and the
  // same record twice is sent once (counted as already stored). The strand only writes.
  std::vector<import_item> items(recs.size());
  bool bad_key = false;
  for (std::size_t i = 0; i < recs.size() && !bad_key; ++i) {
    const auto& r = recs[i];
    auto& it = items[i];
    bad_key = !locate_into(r.number_key, it);
    it.rec = static_cast<std::uint32_t>(i);
    it.value = pack_sup_value(r.reason, r.source, r.at_ms, s_->seal_bytes(r.e164));
  }
  const auto in_order = [&recs](const import_item& a, const import_item& b) {
    const auto& sa = recs[a.rec].sender;
    const auto& sb = recs[b.rec].sender;
    if (sa != sb) return sa < sb;
    if (a.bucket != b.bucket) return a.bucket < b.bucket;
    return std::memcmp(a.suffix.data(), b.suffix.data(), suffix_bytes) < 0;  // as unsigned bytes (key order)
  };
  if (!std::is_sorted(items.begin(), items.end(), in_order)) std::sort(items.begin(), items.end(), in_order);
  on_strand(s_, [s = s_, recs = std::move(recs), items = std::move(items), bad_key, cb = std::move(cb)]() mutable {
    if (bad_key) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb(store_errc::invalid_argument, import_result{}); });
      return;
    }
    auto a = std::make_shared<import_progress>();
    a->cb = std::move(cb);
    // The calls are built first, then all sent (pipelined) before the first reply is read.
    // Global records go one bucket per call, written without a search of the bucket per record:
    // DUMP the bucket; none yet (a first import): RESTORE the new records as the bucket; else
    // merge the new records into the stored ones here (a stored record is kept as it is) and
    // swap the bucket with import_swap.lua only if it is still what DUMP read. Whatever does not
    // go that way (a bucket changed in between, a refused RESTORE, a bucket this code cannot
    // read, records of a sender) goes to import.lua.
    struct call {
      std::vector<std::string> keys;
      std::vector<std::string> args;
      std::size_t rows = 0;
      bool whole_bucket = false;
    };
    std::vector<call> calls;
    const std::string prefix = s->sup_prefix();
    std::size_t i = 0;
    while (i < items.size()) {
      const std::string& sender = recs[items[i].rec].sender;
      call c;
      c.args = {s->sup_senders(), s->sup_ids(), sender, std::string()};
      c.whole_bucket = s->import_restore && sender.empty();
      while (i < items.size() && c.rows < import_rows_per_call && recs[items[i].rec].sender == sender) {
        const std::uint16_t bucket = items[i].bucket;
        std::size_t n = 0;
        while (i < items.size() && n < import_rows_per_group && c.rows < import_rows_per_call &&
               items[i].bucket == bucket && recs[items[i].rec].sender == sender) {
          if (n > 0 && items[i].suffix == items[i - 1].suffix) {
            ++a->r.existing;  // the same record twice in this import: sent once
            ++i;
            continue;
          }
          c.args.emplace_back(items[i].suffix.data(), items[i].suffix.size());
          c.args.push_back(std::move(items[i].value));
          ++n;
          ++c.rows;
          ++i;
        }
        c.keys.push_back(bucket_name(prefix, bucket));
        c.args[3] += static_cast<char>(n >> 8);
        c.args[3] += static_cast<char>(n & 0xff);
        if (c.whole_bucket) break;
      }
      calls.push_back(std::move(c));
    }
    if (calls.empty()) {
      asio::post(s->conn->strand(), [a] { a->cb({}, a->r); });
      return;
    }
    a->c.remaining = calls.size();
    auto done = [a](std::error_code ec, std::int64_t rows, std::int64_t added) {
      if (ec && !a->c.ec) a->c.ec = ec;
      if (!ec) {
        a->r.added += added;
        a->r.existing += rows - added;
      }
      if (--a->c.remaining == 0) a->cb(a->c.ec, a->c.ec ? import_result{} : a->r);
    };
    auto by_script = [s, done](std::shared_ptr<call> c) {
      const auto n = static_cast<std::int64_t>(c->rows);
      s->eval(script::import, std::move(c->keys), std::move(c->args), [done, n](std::error_code ec, redis_value v) {
        if (!ec && v.is_error()) ec = store_errc::io_error;
        done(ec, n, ec ? 0 : v.integer);
      });
    };
    // A refused DUMP/RESTORE/swap: NOPERM (an ACL without them) or ERR (a server that cannot
    // load the payload) sends this and every later bucket to import.lua, until the next connect;
    // anything else (OOM, READONLY, LOADING, ...) would refuse the script too: the call fails.
    auto refused = [s, done, by_script](const std::shared_ptr<call>& c, const redis_value& v) {
      if (v.str.rfind("NOPERM", 0) != 0 && v.str.rfind("ERR", 0) != 0) {
        return done(store_errc::io_error, static_cast<std::int64_t>(c->rows), 0);
      }
      s->import_restore = false;
      by_script(c);
    };
    // The call's records as (field, value) pairs (args 4, 5, ...).
    auto records = [](const call& c) {
      std::vector<field_value> pairs;
      pairs.reserve(c.rows);
      for (std::size_t j = 4; j + 1 < c.args.size(); j += 2) pairs.emplace_back(c.args[j], c.args[j + 1]);
      return pairs;
    };
    auto restore_new = [s, done, by_script, refused, records](std::shared_ptr<call> c) {
      s->conn->command_on_strand({"RESTORE", c->keys[0], "0", detail::dump_hash(records(*c))},
                                 [done, by_script, refused, c](std::error_code ec, redis_value v) {
                                   const auto n = static_cast<std::int64_t>(c->rows);
                                   if (ec) return done(ec, n, 0);
                                   if (!v.is_error()) return done({}, n, n);
                                   if (v.str.rfind("BUSYKEY", 0) == 0) return by_script(c);  // written in between
                                   refused(c, v);
                                 });
    };
    auto merge_into = [s, done, by_script, refused, records](std::shared_ptr<call> c, std::string stored) {
      std::vector<std::pair<std::string, std::string>> have;
      if (!detail::read_hash_dump(stored, have)) return by_script(c);
      std::unordered_set<std::string_view> present;
      present.reserve(have.size());
      std::vector<field_value> merged;
      merged.reserve(have.size() + c->rows);
      for (const auto& [f, v] : have) {
        present.insert(f);
        merged.emplace_back(f, v);
      }
      const std::size_t stored_count = merged.size();
      for (const auto& fv : records(*c)) {
        if (!present.count(fv.first)) merged.push_back(fv);
      }
      const auto n = static_cast<std::int64_t>(c->rows);
      const auto added = static_cast<std::int64_t>(merged.size() - stored_count);
      if (added == 0) return done({}, n, 0);
      auto payload = detail::dump_hash(merged);
      s->eval(script::import_swap, {c->keys[0]}, {std::move(stored), std::move(payload)},
              [done, by_script, refused, c, n, added](std::error_code ec, redis_value v) {
                if (ec) return done(ec, n, 0);
                if (v.is_error()) return refused(c, v);
                if (v.integer == 1) return done({}, n, added);
                by_script(c);  // the bucket changed after DUMP
              });
    };
    for (auto& c : calls) {
      auto shared = std::make_shared<call>(std::move(c));
      if (!shared->whole_bucket) {
        by_script(std::move(shared));
        continue;
      }
      s->conn->command_on_strand(
          {"DUMP", shared->keys[0]},
          [done, refused, restore_new, merge_into, shared](std::error_code ec, redis_value v) {
            if (ec) return done(ec, static_cast<std::int64_t>(shared->rows), 0);
            if (v.is_error()) return refused(shared, v);
            if (v.is_nil()) return restore_new(shared);
            merge_into(shared, std::move(v.str));
          });
    }
  });
}

void redis_store::import_consents(std::vector<consent_record> recs, store_callback<import_result> cb) {
  std::vector<std::string> sealed;
  sealed.reserve(recs.size());
  for (const auto& r : recs) sealed.push_back(s_->seal(r.e164));
  on_strand(s_, [s = s_, recs = std::move(recs), sealed = std::move(sealed), cb = std::move(cb)]() mutable {
    if (recs.empty()) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb({}, import_result{}); });
      return;
    }
    auto a = std::make_shared<import_progress>();
    a->c.remaining = recs.size();
    a->cb = std::move(cb);
    for (std::size_t i = 0; i < recs.size(); ++i) {
      const auto& rec = recs[i];
      std::string field = join_fields({rec.category, rec.sender});
      std::string value = join_fields({rec.source, rec.evidence, num(rec.at_ms), sealed[i]});
      std::string ledger = join_fields({"1", rec.category, rec.sender, rec.source, rec.evidence, num(rec.at_ms), sealed[i]});
      s->eval(script::consent, {s->num_key(rec.number_key, "con"), s->num_key(rec.number_key, "ledger")},
              {"import", std::move(field), std::move(value), std::move(ledger)}, [a](std::error_code ec, redis_value v) {
                if (!ec && v.is_error()) ec = store_errc::io_error;
                if (ec && !a->c.ec) a->c.ec = ec;
                if (!ec) (v.integer > 0 ? a->r.added : a->r.existing)++;
                if (--a->c.remaining == 0) a->cb(a->c.ec, a->c.ec ? import_result{} : a->r);
              });
    }
  });
}

}  // namespace policy
