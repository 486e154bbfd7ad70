#include "policy/redis_store.hpp"

#include <openssl/sha.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "policy/redis_connection.hpp"
#include "policy/hex.hpp"
#include "policy/redis_dump.hpp"
#include "policy/redis_lua_scripts.hpp"  // generated from policy/lua/*.lua

namespace policy {

namespace asio = boost::asio;

namespace {

enum class script {
  admit, claim, release, set_status, consent, idempotency_put, stats, outbox, outbox_read, purge, erase, import, suppression,
  complete, import_swap, count_
};

struct script_def {
  std::string_view body;
  std::string sha;
};

std::string sha1_hex(std::string_view s) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string num(std::int64_t v) { return std::to_string(v); }

std::int64_t to_i64(std::string_view s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// An integer reply, or a string holding one (unused since admit.lua answers with integers; kept
// for the other operations' replies).
[[maybe_unused]] std::int64_t value_i64(const redis_value& v) {
  if (v.k == redis_value::kind::integer) return v.integer;
  return to_i64(v.str);
}

constexpr char sep = '\x1f';

std::vector<std::string> split(std::string_view s, std::size_t n) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() + 1 < n) {
    auto p = s.find(sep, start);
    if (p == std::string_view::npos) break;
    out.emplace_back(s.substr(start, p - start));
    start = p + 1;
  }
  out.emplace_back(s.substr(start));
  out.resize(n);
  return out;
}

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (auto p : parts) {
    if (!first) out += sep;
    out.append(p);
    first = false;
  }
  return out;
}

// Immutable message fields in one hash field: "<len>:<bytes>" repeated (any byte may appear).
void pack_into(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out.append(v);
}

// DUMP payloads (policy/redis_dump.hpp): admit.lua writes a message hash with one RESTORE
// instead of an HSET of ten fields (docs/stores.md, "Admission script"); imports write a new
// suppression bucket with one RESTORE.
using detail::field_value;

std::vector<std::string> unpack(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto colon = s.find(':');
    if (colon == std::string_view::npos) break;
    std::size_t len = static_cast<std::size_t>(to_i64(s.substr(0, colon)));
    if (colon + 1 + len > s.size()) break;
    out.emplace_back(s.substr(colon + 1, len));
    s.remove_prefix(colon + 1 + len);
  }
  return out;
}

using field_map = std::unordered_map<std::string, std::string>;

field_map to_map(const redis_value& v, std::size_t from = 0) {
  field_map m;
  for (std::size_t i = from; i + 1 < v.elements.size(); i += 2) m[v.elements[i].str] = v.elements[i + 1].str;
  return m;
}

// --- Suppression buckets (docs/stores.md, "Suppressions") ---
// A number key (64 hex digits of its HMAC) lives in bucket "P sup:<first 4 hex digits>" under the
// field "<the other 30 bytes, binary>[<sender id bytes>]"; the value is packed:
//   at_ms (6 bytes, big-endian) | source (1 byte: 0x80 + code of a common source, or the length
//   of the literal that follows) | reason length (1 byte) | reason | sealed E.164 (binary, rest).
// The E.164 is sealed as packed digits (two per byte, 0xF pad) to keep the value short.

constexpr std::size_t bucket_hex = 4;
constexpr std::size_t suffix_bytes = 30;
constexpr std::size_t at_bytes = 6;
constexpr std::array<std::string_view, 4> common_sources = {"keyword", "api", "cli", "import"};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Where a number's suppressions live; nullopt when the key is not 64 hex digits.
struct sup_location {
  std::string bucket_tail;  // 4 lowercase hex digits
  std::string suffix;       // 30 bytes
};

std::optional<sup_location> locate(std::string_view nk) {
  if (nk.size() != bucket_hex + 2 * suffix_bytes) return std::nullopt;
  sup_location loc;
  loc.bucket_tail.resize(bucket_hex);  // written in place: no push_back per character
  for (std::size_t i = 0; i < bucket_hex; ++i) {
    if (hex_value(nk[i]) < 0) return std::nullopt;
    loc.bucket_tail[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(nk[i])));
  }
  loc.suffix.resize(suffix_bytes);
  for (std::size_t i = bucket_hex, o = 0; i < nk.size(); i += 2, ++o) {
    int hi = hex_value(nk[i]), lo = hex_value(nk[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    loc.suffix[o] = static_cast<char>(hi * 16 + lo);
  }
  return loc;
}

// "+<1..15 digits>" -> digits two per byte (0xF pads an odd count); anything else -> 0xFE + bytes.
std::string pack_e164(std::string_view e164) {
  bool digits = e164.size() >= 2 && e164.size() <= 16 && e164[0] == '+';
  for (std::size_t i = 1; digits && i < e164.size(); ++i) digits = e164[i] >= '0' && e164[i] <= '9';
  if (!digits) return std::string(1, '\xfe') + std::string(e164);
  std::string out;
  for (std::size_t i = 1; i < e164.size(); i += 2) {
    int hi = e164[i] - '0';
    int lo = i + 1 < e164.size() ? e164[i + 1] - '0' : 15;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string unpack_e164(std::string_view p) {
  if (p.empty()) return {};
  if (static_cast<unsigned char>(p[0]) == 0xfe) return std::string(p.substr(1));
  std::string out = "+";
  for (unsigned char c : p) {
    for (int nib : {c >> 4, c & 15}) {
      if (nib > 9) return out;
      out += static_cast<char>('0' + nib);
    }
  }
  return out;
}

std::string pack_sup_value(std::string_view reason_s, std::string_view source, std::int64_t at_ms,
                           std::string_view sealed_bytes) {
  std::string v;
  v.reserve(at_bytes + 2 + reason_s.size() + source.size() + sealed_bytes.size());
  auto at = static_cast<std::uint64_t>(std::max<std::int64_t>(0, at_ms));
  for (int i = static_cast<int>(at_bytes) - 1; i >= 0; --i) v += static_cast<char>((at >> (8 * i)) & 0xff);
  auto common = std::find(common_sources.begin(), common_sources.end(), source);
  if (common != common_sources.end()) {
    v += static_cast<char>(0x80 + (common - common_sources.begin()));
  } else {
    source = source.substr(0, 127);  // longer sources are cut (documented)
    v += static_cast<char>(source.size());
    v.append(source);
  }
  reason_s = reason_s.substr(0, 255);
  v += static_cast<char>(reason_s.size());
  v.append(reason_s);
  v.append(sealed_bytes);
  return v;
}

struct sup_value {
  std::string reason, source, sealed_bytes;
  std::int64_t at_ms = 0;
};

sup_value unpack_sup_value(std::string_view v) {
  sup_value out;
  if (v.size() < at_bytes + 2) return out;
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < at_bytes; ++i) at = (at << 8) | static_cast<unsigned char>(v[i]);
  out.at_ms = static_cast<std::int64_t>(at);
  std::size_t pos = at_bytes;
  unsigned char src = static_cast<unsigned char>(v[pos++]);
  if (src >= 0x80) {
    if (src - 0x80u < common_sources.size()) out.source = common_sources[src - 0x80];
  } else {
    out.source = std::string(v.substr(pos, src));
    pos += src;
  }
  if (pos >= v.size()) return out;
  std::size_t rlen = static_cast<unsigned char>(v[pos++]);
  out.reason = std::string(v.substr(pos, rlen));
  pos = std::min(v.size(), pos + rlen);
  out.sealed_bytes = std::string(v.substr(pos));
  return out;
}

}  // namespace

struct redis_store::state : std::enable_shared_from_this<redis_store::state> {
  redis_options opts;
  std::shared_ptr<redis_connection> conn;
  std::array<script_def, static_cast<std::size_t>(script::count_)> scripts;
  std::string server_info;  // strand only

  // --- keys ---
  std::string num_key(std::string_view nk, std::string_view suffix) const {
    std::string k = opts.key_prefix;
    k += '{';
    k += nk;
    k += "}:";
    k += suffix;
    return k;
  }
  std::string sup_prefix() const { return opts.key_prefix + "sup:"; }
  std::string sup_bucket(const sup_location& l) const { return sup_prefix() + l.bucket_tail; }
  std::string sup_senders() const { return opts.key_prefix + "sup:senders"; }
  std::string sup_ids() const { return opts.key_prefix + "sup:ids"; }
  std::string msg_prefix() const { return opts.key_prefix + "msg:{"; }
  std::string msg_key(std::string_view id) const { return msg_prefix() + std::string(id) + "}"; }
  std::string queue_key(std::string_view carrier, std::string_view suffix) const {
    return opts.key_prefix + "q:{" + std::string(carrier) + "}:" + std::string(suffix);
  }
  std::string corr_prefix() const { return opts.key_prefix + "corr:"; }
  std::string idem_key(std::string_view key) const { return opts.key_prefix + "idem:{" + std::string(key) + "}"; }
  std::string wh_key(std::string_view suffix) const { return opts.key_prefix + "{wh}:" + std::string(suffix); }
  std::string wh_event_prefix() const { return opts.key_prefix + "wh:ev:{"; }
  std::string wh_event_key(std::string_view id) const { return wh_event_prefix() + std::string(id) + "}"; }

  static webhook_event event_from(const field_map& f) {
    auto get = [&](const char* k) -> std::string {
      auto it = f.find(k);
      return it == f.end() ? std::string() : it->second;
    };
    return {get("id"),  get("kind"),  get("tgt"),  get("body"), static_cast<int>(to_i64(get("att"))),
            to_i64(get("next")), to_i64(get("cr")), get("err"), get("lease")};
  }

  void outbox_write(std::vector<std::string> args, std::function<void(std::error_code, long long)> cb) {
    std::vector<std::string> keys{wh_key("pending"), wh_key("dead"), wh_event_key(args[1])};
    eval(script::outbox, std::move(keys), std::move(args),
         [cb = std::move(cb)](std::error_code ec, redis_value v) {
           if (!ec && v.is_error()) ec = store_errc::io_error;
           cb(ec, ec ? 0 : v.integer);
         });
  }

  void outbox_read(const char* mode, std::int64_t now, int max, std::int64_t lease_ms,
                   store_callback<std::vector<webhook_event>> cb) {
    eval(script::outbox_read, {wh_key("pending"), wh_key("dead"), wh_key("seq")},
         {mode, num(now), num(std::max(0, max)), num(lease_ms), wh_event_prefix()},
         [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
           if (!ec && v.is_error()) ec = store_errc::io_error;
           if (ec) return cb(ec, {});
           std::vector<webhook_event> out;
           for (const auto& e : v.elements) out.push_back(event_from(to_map(e)));
           cb({}, std::move(out));
         });
  }

  std::string seal(const std::string& e164) const { return e164.empty() ? std::string() : opts.secrets->seal(e164); }
  std::string unseal(const std::string& s) const {
    return s.empty() ? std::string() : opts.secrets->open(s).value_or(std::string());
  }

  // Suppression values keep the sealed E.164 as bytes (docs/stores.md, "Suppressions").
  std::string seal_bytes(const std::string& e164) const {
    return e164.empty() ? std::string() : opts.secrets->seal_bytes(pack_e164(e164));
  }
  std::string open_bytes(const std::string& b) const {
    return b.empty() ? std::string() : unpack_e164(opts.secrets->open_bytes(b).value_or(std::string()));
  }
  suppression_record sup_from(const std::string& nk, const std::string& sender, std::string_view packed) const {
    auto v = unpack_sup_value(packed);
    return {nk, open_bytes(v.sealed_bytes), sender, std::move(v.reason), std::move(v.source), v.at_ms};
  }

  // Runs on the strand.
  void eval(script sc, std::vector<std::string> keys, std::vector<std::string> args,
            redis_connection::reply_handler h) {
    const auto& def = scripts[static_cast<std::size_t>(sc)];
    auto argv = std::make_shared<std::vector<std::string>>();
    argv->reserve(3 + keys.size() + args.size());
    argv->push_back("EVALSHA");
    argv->push_back(def.sha);
    argv->push_back(std::to_string(keys.size()));
    for (auto& k : keys) argv->push_back(std::move(k));
    for (auto& a : args) argv->push_back(std::move(a));
    auto self = shared_from_this();
    conn->command_on_strand(*argv, [self, sc, argv, h = std::move(h)](std::error_code ec, redis_value v) mutable {
      if (!ec && v.is_error() && v.str.rfind("NOSCRIPT", 0) == 0) {
        // Script cache flushed (restart, SCRIPT FLUSH): EVAL sends the body and caches it again.
        (*argv)[0] = "EVAL";
        (*argv)[1] = std::string(self->scripts[static_cast<std::size_t>(sc)].body);
        self->conn->command_on_strand(std::move(*argv), std::move(h));
        return;
      }
      h(ec, std::move(v));
    });
  }

  message_record message_from(const field_map& f) const {
    message_record m;
    auto get = [&](const char* k) -> std::string {
      auto it = f.find(k);
      return it == f.end() ? std::string() : it->second;
    };
    auto d = unpack(get("d"));
    d.resize(10);
    m.id = d[0];
    m.e164 = unseal(d[1]);
    m.text = d[2];
    m.campaign = d[3];
    m.client_ref = d[4];
    m.segments = static_cast<int>(to_i64(d[5]));
    m.encoding = d[6];
    m.created_at_ms = to_i64(d[7]);
    m.valid_until_ms = to_i64(d[8]);
    m.api_key = d[9];  // absent in records written before it existed: empty
    m.number_key = get("nk");
    m.carrier = get("car");
    m.sender = get("snd");
    m.category = get("cat");
    m.status = parse_message_status(get("st")).value_or(message_status::queued);
    m.carrier_message_id = get("cmid");
    m.error = get("err");
    m.updated_at_ms = to_i64(get("up"));
    m.send_at_ms = to_i64(get("sa"));
    m.attempts = static_cast<int>(to_i64(get("att")));
    m.scope = get("scope") == "global" ? opt_out_scope::global : opt_out_scope::sender;
    return m;
  }

  // Admissions issued in the same strand turn are coalesced into one EVALSHA of admit.lua
  // (at most max_admits_per_call requests each): one script call instead of N.
  struct pending_admit {
    admit_request req;
    std::function<void(std::error_code, admit_result)> cb;
    bool fields = false;  // write the message hash with HSET (RESTORE was refused for it)
    sup_location loc;     // the number's suppression bucket (set by flush_admits)
  };
  static constexpr std::size_t max_admits_per_call = 64;
  // An admit_request is about 25 strings (each move of one costs about 1,000 instructions): the
  // queue keeps its capacity between flushes (admit_spare), and a flush groups the requests by
  // index instead of moving them into one vector per kind.
  std::vector<pending_admit> admit_queue;
  std::vector<pending_admit> admit_spare;
  bool admit_flush_posted = false;
  // Message hashes are written with RESTORE until the server refuses one for another reason than
  // an existing key (e.g. an ACL without RESTORE): from then on with HSET, until the next connect.
  bool admit_restore = true;
  // RESTORE payloads of message hashes are listpacks (RDB type 16, format version 10) on Redis 7
  // and later (the server's version, read at connect); after a refusal of one, in the hashtable
  // form (type 4, version 9) until the next connect, and after a refusal of that, HSET.
  bool admit_listpack = true;
  // The same for bulk imports (import_suppressions): a new bucket is written with one RESTORE.
  bool import_restore = true;

  void admit_on_strand(admit_request&& r, std::function<void(std::error_code, admit_result)>&& cb, bool fields = false) {
    if (admit_queue.capacity() == 0) admit_queue.reserve(max_admits_per_call);
    admit_queue.push_back({std::move(r), std::move(cb), fields, {}});
    if (admit_flush_posted) return;
    admit_flush_posted = true;
    asio::post(conn->strand(), [self = shared_from_this()] { self->flush_admits(); });
  }

  // What the client decides alone (the script gets it as ready strings): the outcome when
  // accepted and the send time.
  struct admit_plan {
    // "queued", "scheduled", "leased" (queued and leased to the caller at once: direct
    // hand-off) or "r" (refused by quiet hours)
    const char* outcome;
    std::int64_t send_at;
  };
  static admit_plan plan(const admit_request& r) {
    if (r.quiet.k == quiet_outcome::kind::reject) return {"r", r.now_ms};
    std::int64_t send_at = std::max(r.now_ms, r.message.send_at_ms);
    if (r.quiet.k == quiet_outcome::kind::defer) send_at = std::max(send_at, r.quiet.defer_until_ms);
    if (send_at > r.now_ms) return {"scheduled", send_at};
    return {r.lease_ms > 0 ? "leased" : "queued", send_at};
  }
  // The lease id of a message leased at admission. Claims number their leases from the queue's
  // counter; a message is leased at admission at most once (its first lease), so one fixed id
  // cannot be confused with a later claim's lease of the same message.
  static constexpr std::string_view admission_lease = "a";

  void flush_admits() {
    admit_flush_posted = false;
    std::vector<pending_admit> queued;
    queued.swap(admit_queue);
    admit_queue.swap(admit_spare);  // empty, with the capacity of an earlier flush
    std::vector<std::size_t> by_restore, by_fields;
    for (std::size_t i = 0; i < queued.size(); ++i) {
      auto& p = queued[i];
      // The number key must be an HMAC (it names the suppression bucket) and now must fit the
      // 13-digit admission times of the cap keys.
      auto loc = locate(p.req.message.number_key);
      if (loc && p.req.now_ms >= 0 && p.req.now_ms <= max_admit_now_ms) {
        p.loc = std::move(*loc);
        (p.fields || !admit_restore ? by_fields : by_restore).push_back(i);
      } else {
        asio::post(conn->strand(), [cb = std::move(p.cb)] { cb(store_errc::invalid_argument, admit_result{}); });
      }
    }
    send_admits(queued, by_restore, true);
    send_admits(queued, by_fields, false);
    queued.clear();
    if (admit_spare.capacity() < queued.capacity()) admit_spare.swap(queued);
  }

  // The requests all[which[...]] (moved out of `all`), in calls of up to max_admits_per_call.
  void send_admits(std::vector<pending_admit>& all, const std::vector<std::size_t>& which, bool restore) {
    for (std::size_t first = 0; first < which.size(); first += max_admits_per_call) {
      std::size_t n = std::min(max_admits_per_call, which.size() - first);
      admit_call call;
      call.restore = restore;
      call.listpack = restore && admit_listpack;
      call.keys.reserve(4 * n);
      call.args.reserve(10 * n);
      struct waiting {
        pending_admit p;
        admit_plan plan;
      };
      auto ws = std::make_shared<std::vector<waiting>>();
      ws->reserve(n);
      for (std::size_t k = first; k < first + n; ++k) {
        auto& one = all[which[k]];
        auto p = plan(one.req);
        append_admit(one.req, one.loc, p, call);
        ws->push_back({std::move(one), p});
      }
      std::vector<std::string> keys = std::move(call.profile_keys);
      keys.reserve(keys.size() + call.keys.size());
      std::move(call.keys.begin(), call.keys.end(), std::back_inserter(keys));
      std::vector<std::string> args;
      args.reserve(4 + call.profile_args.size() + call.args.size());
      args.push_back(std::to_string(n));
      args.push_back(sup_senders());
      args.push_back(restore ? "r" : "h");
      args.push_back(std::to_string(call.profile_keys_count));
      std::move(call.profile_args.begin(), call.profile_args.end(), std::back_inserter(args));
      // With one profile the requests do not name it (admit.lua).
      const bool named = call.profile_keys_count > 1;
      std::size_t next_name = 0;
      for (std::size_t a = 0; a < call.args.size(); ++a) {
        if (next_name < call.profile_refs.size() && call.profile_refs[next_name] == a) {
          ++next_name;
          if (!named) continue;
        }
        args.push_back(std::move(call.args[a]));
      }
      eval(script::admit, std::move(keys), std::move(args),
           [self = shared_from_this(), ws, listpack = call.listpack](std::error_code ec, redis_value v) {
             if (!ec && (v.is_error() || v.elements.size() != ws->size())) ec = store_errc::io_error;
             for (std::size_t i = 0; i < ws->size(); ++i) {
               auto& w = (*ws)[i];
               if (ec) {
                 w.p.cb(ec, admit_result{});
                 continue;
               }
               const auto& e = v.elements[i];
               if (e.k == redis_value::kind::integer && (e.integer == 5 || e.integer == 6)) {
                 // RESTORE refused (nothing written for it): decide it again, a listpack payload
                 // refused otherwise than for an existing key in the hashtable form, else with HSET.
                 if (e.integer == 6 && listpack) {
                   self->admit_listpack = false;
                   self->admit_on_strand(std::move(w.p.req), std::move(w.p.cb), false);
                   continue;
                 }
                 if (e.integer == 6) self->admit_restore = false;
                 self->admit_on_strand(std::move(w.p.req), std::move(w.p.cb), true);
                 continue;
               }
               auto [ec_i, res] = parse_admit(e, w.plan);
               w.p.cb(ec_i, std::move(res));
             }
           });
    }
  }

  // The largest now_ms admit accepts: admission times are stored as 13 decimal digits.
  static constexpr std::int64_t max_admit_now_ms = 9'999'999'999'999;
  // A cap key whose rules all have a max up to this is a string of admission times (GET + SET
  // per admission); above, a zset (ZCOUNT per rule + ZREMRANGEBYSCORE, ZADD, PEXPIRE).
  static constexpr std::uint32_t string_cap_max = 32;

  // Unix ms as the 13 digits (zero-padded) of the cap keys; negative bounds count from 0.
  static std::string ms13(std::int64_t v) {
    std::string out(13, '0');
    if (v <= 0) return out;
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    auto len = static_cast<std::size_t>(end - buf);
    if (len >= out.size()) return std::string(buf, len);
    std::copy(buf, end, out.end() - static_cast<std::ptrdiff_t>(len));
    return out;
  }

  // One admit.lua call being built: what requests share goes once into a profile
  // (admit.lua's header), the rest per request.
  struct admit_call {
    bool restore = true;    // message hashes as RESTORE payloads, else as HSET fields
    bool listpack = false;  // those payloads as listpacks (else in the hashtable form)
    std::unordered_map<std::string, std::string> profiles;  // profile arguments joined -> its number
    std::size_t profile_keys_count = 0;
    std::vector<std::string> profile_keys;  // the queue of each profile
    std::vector<std::string> profile_args;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    std::vector<std::size_t> profile_refs;  // where in args each request names its profile
  };

  // The cap keys a request uses: its category key when it has rules that are not per campaign,
  // its campaign key when it has per-campaign rules and a campaign.
  static bool has_caps(const admit_request& r, bool per_campaign) {
    if (per_campaign && r.campaign.empty()) return false;
    return std::any_of(r.caps.begin(), r.caps.end(), [&](const cap_rule& c) { return c.per_campaign == per_campaign; });
  }

  // One cap key in a profile: mode, expiry (the longest window), then the rules.
  static void append_cap_profile(const admit_request& r, bool per_campaign, std::vector<std::string>& out) {
    std::int64_t longest = 0;
    std::uint32_t largest = 0;
    std::size_t rules = 0;
    for (const auto& c : r.caps) {
      if (c.per_campaign != per_campaign) continue;
      longest = std::max(longest, c.window_seconds * 1000);
      largest = std::max(largest, c.max);
      ++rules;
    }
    out.push_back(largest <= string_cap_max ? "s" : "z");
    out.push_back(num(longest));
    out.push_back(num(static_cast<std::int64_t>(rules)));
    for (const auto& c : r.caps) {
      if (c.per_campaign != per_campaign) continue;
      out.push_back(num(c.window_seconds * 1000));
      out.push_back(num(c.max));
    }
  }

  // A zset-mode cap key's per-request arguments: the oldest admission kept, then per rule the
  // oldest admission that counts.
  static void append_zset_bounds(const admit_request& r, bool per_campaign, std::vector<std::string>& out) {
    std::int64_t longest = 0;
    std::uint32_t largest = 0;
    for (const auto& c : r.caps) {
      if (c.per_campaign != per_campaign) continue;
      longest = std::max(longest, c.window_seconds * 1000);
      largest = std::max(largest, c.max);
    }
    if (largest <= string_cap_max) return;
    out.push_back(ms13(r.now_ms - longest + 1));
    for (const auto& c : r.caps) {
      if (c.per_campaign == per_campaign) out.push_back(ms13(r.now_ms - c.window_seconds * 1000 + 1));
    }
  }

  void append_admit(const admit_request& r, const sup_location& loc, const admit_plan& p, admit_call& call) const {
    const auto& m = r.message;
    const bool category_caps = has_caps(r, false), campaign_caps = has_caps(r, true);
    const bool idem = !r.idempotency_key.empty();
    const bool scheduled = p.outcome[0] == 's';
    const bool leased = p.outcome[0] == 'l';
    // The profile: everything the script needs that does not depend on the message or now.
    std::vector<std::string> prof;
    prof.reserve(16);
    prof.push_back(r.sender);
    const char* scope = r.scope == opt_out_scope::global ? "global" : "sender";
    prof.push_back(scope);
    prof.push_back(!r.consent_required ? "0" : r.consent_per_sender ? "s" : "1");
    prof.push_back(r.category);
    prof.push_back(p.outcome);
    prof.push_back(idem ? "1" : "0");
    prof.push_back(m.carrier);
    prof.push_back(num(int{category_caps} + int{campaign_caps}));
    if (category_caps) append_cap_profile(r, false, prof);
    if (campaign_caps) append_cap_profile(r, true, prof);
    std::string id_key;
    for (const auto& a : prof) {
      id_key += a;
      id_key += '\0';
    }
    auto [it, inserted] = call.profiles.try_emplace(std::move(id_key));
    if (inserted) {
      it->second = std::to_string(++call.profile_keys_count);
      call.profile_keys.push_back(queue_key(m.carrier, scheduled ? "sched" : leased ? "lease" : "ready"));
      std::move(prof.begin(), prof.end(), std::back_inserter(call.profile_args));
    }
    call.keys.push_back(sup_bucket(loc));
    if (r.consent_required) call.keys.push_back(num_key(m.number_key, "con"));
    if (category_caps) call.keys.push_back(num_key(m.number_key, "cap:" + r.category));
    if (campaign_caps) call.keys.push_back(num_key(m.number_key, "capc:" + r.category + sep + r.campaign));
    call.keys.push_back(msg_key(m.id));
    if (idem) call.keys.push_back(idem_key(r.idempotency_key));
    std::string packed;
    packed.reserve(64 + m.text.size() + m.id.size());
    pack_into(packed, m.id);
    pack_into(packed, seal(m.e164));
    pack_into(packed, m.text);
    pack_into(packed, r.campaign);
    pack_into(packed, m.client_ref);
    pack_into(packed, num(m.segments));
    pack_into(packed, m.encoding);
    pack_into(packed, num(m.created_at_ms ? m.created_at_ms : r.now_ms));
    pack_into(packed, num(m.valid_until_ms));
    pack_into(packed, m.api_key);
    std::string now = ms13(r.now_ms);
    // Scheduled: when it becomes sendable; leased: when the lease expires (the score of both zsets).
    std::string send_at = num(leased ? r.now_ms + r.lease_ms : p.send_at);
    auto& args = call.args;
    call.profile_refs.push_back(args.size());
    args.push_back(it->second);
    if (call.restore) {
      // The message hash with the fields and values of admit.lua's HSET. Leased: as a claim
      // leaves it (queued, leased, delivered once). Order: in a listpack each lookup walks the
      // entries from the first, so the fields completions read and write come first, 'd' last.
      std::string record;
      if (p.outcome[0] != 'r') {
        const std::string_view st = leased ? "queued" : p.outcome;
        const std::string_view sa = scheduled ? std::string_view(send_at) : std::string_view(now);
        const field_value queued[] = {{"st", st},           {"car", m.carrier}, {"up", now},
                                      {"sa", sa},           {"nk", m.number_key}, {"snd", r.sender},
                                      {"cat", r.category},  {"scope", scope},   {"ns", loc.suffix},
                                      {"d", packed}};
        const field_value leased_fields[] = {{"st", st},          {"car", m.carrier},   {"lease", admission_lease},
                                             {"up", now},         {"dlv", "1"},         {"sa", sa},
                                             {"nk", m.number_key}, {"snd", r.sender},   {"cat", r.category},
                                             {"scope", scope},    {"ns", loc.suffix},   {"d", packed}};
        const std::span<const field_value> all = leased ? std::span<const field_value>(leased_fields)
                                                        : std::span<const field_value>(queued);
        if (call.listpack) record = detail::dump_hash_listpack(all);
        if (record.empty()) record = detail::dump_hash(all);  // not listpack, or too large for one
      }
      args.push_back(std::move(now));
      if (scheduled || leased) args.push_back(std::move(send_at));
      args.push_back(std::move(record));
      args.push_back(m.id);
      args.push_back(loc.suffix);
    } else {
      args.push_back(std::move(now));
      if (scheduled || leased) args.push_back(std::move(send_at));
      args.push_back(std::move(packed));
      args.push_back(m.id);
      args.push_back(loc.suffix);
      args.push_back(m.number_key);
    }
    if (idem) {
      args.push_back(num(r.now_ms + r.idempotency_ttl_ms));
      args.push_back(r.request_hash);
    }
    if (category_caps) append_zset_bounds(r, false, args);
    if (campaign_caps) append_zset_bounds(r, true, args);
  }

  static std::pair<std::error_code, admit_result> parse_admit(const redis_value& v, const admit_plan& p) {
    admit_result res;
    if (v.k == redis_value::kind::array) {
      if (v.elements.size() < 2) return {store_errc::io_error, {}};
      res.duplicate = true;
      res.existing_request_hash = v.elements[0].str;
      res.existing_message_id = v.elements[1].str;
      return {{}, std::move(res)};
    }
    if (v.k != redis_value::kind::integer) return {store_errc::io_error, {}};
    switch (v.integer) {
      case 0:
        res.admitted = true;
        res.status = p.outcome[0] == 's' ? message_status::scheduled : message_status::queued;
        res.send_at_ms = p.send_at;
        if (p.outcome[0] == 'l') res.lease_id = admission_lease;
        break;
      case 1: res.refused = reason::recipient_opted_out; break;
      case 2: res.refused = reason::no_consent; break;
      case 3: res.refused = reason::frequency_capped; break;
      case 4: res.refused = reason::quiet_hours; break;
      default: return {store_errc::io_error, {}};
    }
    return {{}, std::move(res)};
  }

  // Runs INFO checks and loads the scripts; called by the connection at every connect.
  void init(std::function<void(std::error_code, std::string)> done) {
    admit_restore = true;  // a new server (or a changed ACL) may accept RESTORE again
    admit_listpack = false;  // until INFO tells the version
    import_restore = true;
    auto self = shared_from_this();
    conn->command_on_strand(
        {"INFO"},
        [self, done](std::error_code ec, redis_value v) {
          if (ec) return done(ec, "INFO failed");
          if (v.is_error()) return done(store_errc::not_ready, "Redis INFO failed: " + v.str);
          auto field = [&](std::string_view name) -> std::string {
            std::string needle = std::string(name) + ":";
            auto p = v.str.find("\n" + needle);
            std::size_t start = p == std::string::npos ? (v.str.rfind(needle, 0) == 0 ? 0 : std::string::npos) : p + 1;
            if (start == std::string::npos) return {};
            start += needle.size();
            auto end = v.str.find_first_of("\r\n", start);
            return v.str.substr(start, end == std::string::npos ? std::string::npos : end - start);
          };
          std::string version = field("redis_version");
          // Redis 7.0 loads listpack payloads (format version 10); older versions refuse them.
          self->admit_listpack = self->opts.listpack_payloads && to_i64(version.substr(0, version.find('.'))) >= 7;
          std::string aof = field("aof_enabled");
          std::string policy_name = field("maxmemory_policy");
          if (self->opts.require_durability) {
            if (aof != "1") {
              return done(store_errc::not_ready,
                          "Redis at " + self->opts.url +
                              " does not persist every write: smsgw requires 'appendonly yes' (STOPs and accepted "
                              "messages must survive a restart); set it with CONFIG SET appendonly yes and in "
                              "redis.conf");
            }
            if (policy_name != "noeviction") {
              return done(store_errc::not_ready,
                          "Redis at " + self->opts.url + " has maxmemory-policy " + policy_name +
                              ": smsgw requires 'maxmemory-policy noeviction' (an evicted suppression would let "
                              "messages reach people who said STOP)");
            }
          }
          self->server_info = "redis " + version + ", appendonly " + (aof == "1" ? "yes" : "no") +
                              ", maxmemory-policy " + policy_name;
          // Suppression buckets stay compact (listpack) only below these limits: check, warn in
          // health() (docs/stores.md, "Suppressions"). Never refuses: the cost is memory only.
          self->conn->command_on_strand(
              {"CONFIG", "GET", "hash-max-*"},
              [self](std::error_code ec2, redis_value r) {
                if (ec2) return;
                if (r.is_error()) {
                  self->server_info += "; warning: CONFIG GET refused (" + r.str + "): cannot check hash-max-listpack-*";
                  return;
                }
                std::int64_t entries = -1, value = -1;
                for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
                  const std::string& name = r.elements[i].str;
                  bool listpack = name.find("listpack") != std::string::npos;
                  auto take = [&](std::int64_t& slot) {
                    if (listpack || slot < 0) slot = to_i64(r.elements[i + 1].str);
                  };
                  if (name.ends_with("-entries")) take(entries);
                  if (name.ends_with("-value")) take(value);
                }
                self->server_info += ", hash-max-listpack-entries " + num(entries) + ", hash-max-listpack-value " + num(value);
                if (entries < redis_store::min_hash_max_listpack_entries ||
                    value < redis_store::min_hash_max_listpack_value) {
                  self->server_info += "; warning: suppression buckets need hash-max-listpack-entries >= " +
                                       num(redis_store::min_hash_max_listpack_entries) +
                                       " and hash-max-listpack-value >= " +
                                       num(redis_store::min_hash_max_listpack_value) +
                                       " to stay compact (about 4x the memory per suppressed number otherwise)";
                }
              },
              true);
          auto remaining = std::make_shared<std::size_t>(self->scripts.size());
          auto failed = std::make_shared<bool>(false);
          for (const auto& def : self->scripts) {
            self->conn->command_on_strand(
                {"SCRIPT", "LOAD", std::string(def.body)},
                [done, remaining, failed, sha = def.sha](std::error_code ec2, redis_value r) {
                  if (*failed) return;
                  if (ec2 || r.is_error() || r.str != sha) {
                    *failed = true;
                    return done(ec2 ? ec2 : make_error_code(store_errc::not_ready),
                                "SCRIPT LOAD failed: " + (ec2 ? ec2.message() : r.str));
                  }
                  if (--*remaining == 0) done({}, {});
                },
                true);
          }
        },
        true);
  }
};

namespace {

// Runs fn on the strand (inline when already there); fn issues commands, never completes inline.
template <class F>
void on_strand(const std::shared_ptr<redis_store::state>& s, F&& fn) {
  asio::dispatch(s->conn->strand(), std::forward<F>(fn));
}

template <class R>
void fail_or(store_callback<R>& cb, std::error_code ec, const redis_value& v, auto&& make) {
  if (!ec && v.is_error()) ec = store_errc::io_error;
  if (ec) return cb(ec, R{});
  cb({}, make());
}

}  // namespace

redis_store::redis_store(std::shared_ptr<state> s) : s_(std::move(s)) {}

redis_store::~redis_store() { s_->conn->stop(); }

redis_store::create_result redis_store::create(asio::any_io_executor ex, redis_options opts) {
  create_result r;
  if (!opts.secrets) {
    r.ec = store_errc::invalid_argument;
    r.error = "redis store: number secrets are required";
    return r;
  }
  std::string err;
  auto ep = parse_redis_url(opts.url, &err);
  if (!ep) {
    r.ec = store_errc::invalid_argument;
    r.error = err;
    return r;
  }
  if (!opts.password.empty()) ep->password = opts.password;
  auto s = std::make_shared<state>();
  s->opts = std::move(opts);
  const std::string_view bodies[] = {detail::lua_admit,   detail::lua_claim,           detail::lua_release,
                                     detail::lua_set_status, detail::lua_consent, detail::lua_idempotency_put,
                                     detail::lua_stats,   detail::lua_outbox,  detail::lua_outbox_read,
                                     detail::lua_purge,   detail::lua_erase,   detail::lua_import, detail::lua_suppression,
                                     detail::lua_complete, detail::lua_import_swap};
  static_assert(std::size(bodies) == static_cast<std::size_t>(script::count_));
  for (std::size_t i = 0; i < s->scripts.size(); ++i) s->scripts[i] = {bodies[i], sha1_hex(bodies[i])};
  redis_connection_options co;
  co.endpoint = *ep;
  co.connect_timeout = s->opts.connect_timeout;
  co.request_timeout = s->opts.request_timeout;
  co.backoff_min = s->opts.backoff_min;
  co.backoff_max = s->opts.backoff_max;
  s->conn = redis_connection::create(std::move(ex), co);
  std::weak_ptr<state> weak = s;
  s->conn->set_init_hook([weak](std::function<void(std::error_code, std::string)> done) {
    if (auto st = weak.lock()) return st->init(std::move(done));
    done(store_errc::shutting_down, "store destroyed");
  });
  s->conn->start();
  r.store.reset(new redis_store(std::move(s)));
  return r;
}

void redis_store::admit(admit_request req, store_callback<admit_result> cb) {
  on_strand(s_, [s = s_, req = std::move(req), cb = std::move(cb)]() mutable {
    s->admit_on_strand(std::move(req), std::move(cb));
  });
}

void redis_store::admit_batch(std::vector<admit_request> reqs, store_callback<std::vector<admit_result>> cb) {
  on_strand(s_, [s = s_, reqs = std::move(reqs), cb = std::move(cb)]() mutable {
    struct agg {
      std::vector<admit_result> results;
      std::size_t remaining;
      std::error_code ec;
      store_callback<std::vector<admit_result>> cb;
    };
    if (reqs.empty()) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb({}, {}); });
      return;
    }
    auto a = std::make_shared<agg>(agg{std::vector<admit_result>(reqs.size()), reqs.size(), {}, std::move(cb)});
    // Coalesced into admit.lua calls of up to max_admits_per_call requests, in order.
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      s->admit_on_strand(std::move(reqs[i]), [a, i](std::error_code ec, admit_result r) {
        if (ec && !a->ec) a->ec = ec;
        a->results[i] = std::move(r);
        if (--a->remaining == 0) {
          if (a->ec) return a->cb(a->ec, {});
          a->cb({}, std::move(a->results));
        }
      });
    }
  });
}

namespace {

// suppression.lua for one number; invalid_argument when the number key is not an HMAC.
void sup_eval(const std::shared_ptr<redis_store::state>& s, const char* mode, const std::string& nk,
              std::string sender, std::string arg, redis_connection::reply_handler h) {
  auto loc = locate(nk);
  if (!loc) {
    asio::post(s->conn->strand(), [h = std::move(h)] { h(store_errc::invalid_argument, redis_value{}); });
    return;
  }
  s->eval(script::suppression, {s->sup_bucket(*loc), s->sup_senders(), s->sup_ids()},
          {mode, std::move(loc->suffix), std::move(sender), std::move(arg)}, std::move(h));
}

}  // namespace

void redis_store::suppress(suppression_record rec, store_callback<done> cb) {
  // Sealing (AES-GCM) happens on the caller's thread, the strand only writes.
  std::string value = pack_sup_value(rec.reason, rec.source, rec.at_ms, s_->seal_bytes(rec.e164));
  on_strand(s_, [s = s_, rec = std::move(rec), value = std::move(value), cb = std::move(cb)]() mutable {
    sup_eval(s, "put", rec.number_key, rec.sender, std::move(value),
             [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
               fail_or<done>(cb, ec, v, [] { return done{}; });
             });
  });
}

void redis_store::unsuppress(std::string number_key, std::string sender, store_callback<bool> cb) {
  on_strand(s_, [s = s_, number_key = std::move(number_key), sender = std::move(sender), cb = std::move(cb)]() mutable {
    sup_eval(s, "del", number_key, std::move(sender), "", [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
      fail_or<bool>(cb, ec, v, [&] { return v.integer > 0; });
    });
  });
}

void redis_store::is_suppressed(std::string number_key, std::string sender, opt_out_scope scope,
                                store_callback<bool> cb) {
  on_strand(s_, [s = s_, number_key = std::move(number_key), sender = std::move(sender), scope,
                 cb = std::move(cb)]() mutable {
    sup_eval(s, "check", number_key, std::move(sender), scope == opt_out_scope::global ? "global" : "sender",
             [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
               fail_or<bool>(cb, ec, v, [&] { return v.integer > 0; });
             });
  });
}

namespace {

void consent_op(const std::shared_ptr<redis_store::state>& s, bool grant, consent_record rec,
                std::function<void(std::error_code, bool)> cb) {
  std::string sealed = s->seal(rec.e164);
  std::string field = join({rec.category, rec.sender});
  std::string value = join({rec.source, rec.evidence, num(rec.at_ms), sealed});
  std::string ledger = join({grant ? "1" : "0", rec.category, rec.sender, rec.source, rec.evidence, num(rec.at_ms), sealed});
  s->eval(script::consent, {s->num_key(rec.number_key, "con"), s->num_key(rec.number_key, "ledger")},
          {grant ? "grant" : "revoke", field, value, ledger}, [cb = std::move(cb)](std::error_code ec, redis_value v) {
            if (!ec && v.is_error()) ec = store_errc::io_error;
            cb(ec, !ec && v.integer > 0);
          });
}

}  // namespace

void redis_store::grant_consent(consent_record rec, store_callback<done> cb) {
  on_strand(s_, [s = s_, rec = std::move(rec), cb = std::move(cb)]() mutable {
    consent_op(s, true, std::move(rec), [cb = std::move(cb)](std::error_code ec, bool) { cb(ec, done{}); });
  });
}

void redis_store::revoke_consent(consent_record rec, store_callback<bool> cb) {
  on_strand(s_, [s = s_, rec = std::move(rec), cb = std::move(cb)]() mutable {
    consent_op(s, false, std::move(rec), std::move(cb));
  });
}

void redis_store::lookup_number(std::string number_key, store_callback<number_facts> cb) {
  on_strand(s_, [s = s_, nk = std::move(number_key), cb = std::move(cb)]() mutable {
    struct agg {
      redis_value sup, con, ledger;
      int remaining = 3;
      std::error_code ec;
    };
    auto a = std::make_shared<agg>();
    auto finish = [s, nk, a, cb = std::move(cb)]() mutable {
      if (a->ec) return cb(a->ec, number_facts{});
      number_facts f;
      for (std::size_t i = 0; i + 1 < a->sup.elements.size(); i += 2)
        f.suppressions.push_back(s->sup_from(nk, a->sup.elements[i].str, a->sup.elements[i + 1].str));
      std::sort(f.suppressions.begin(), f.suppressions.end(),
                [](const auto& x, const auto& y) { return x.sender < y.sender; });
      for (const auto& [field, val] : to_map(a->con)) {
        auto k = split(field, 2);
        auto p = split(val, 4);
        f.consents.push_back({nk, s->unseal(p[3]), k[0], k[1], p[0], p[1], to_i64(p[2])});
      }
      std::sort(f.consents.begin(), f.consents.end(), [](const auto& x, const auto& y) {
        return std::tie(x.category, x.sender) < std::tie(y.category, y.sender);
      });
      for (const auto& e : a->ledger.elements) {
        auto p = split(e.str, 7);
        f.ledger.push_back({p[0] == "1", {nk, s->unseal(p[6]), p[1], p[2], p[3], p[4], to_i64(p[5])}});
      }
      cb({}, std::move(f));
    };
    auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
    auto part = [a, shared_finish](redis_value agg::*slot) {
      return [a, shared_finish, slot](std::error_code ec, redis_value v) {
        if (!ec && v.is_error()) ec = store_errc::io_error;
        if (ec && !a->ec) a->ec = ec;
        (*a).*slot = std::move(v);
        if (--a->remaining == 0) (*shared_finish)();
      };
    };
    sup_eval(s, "read", nk, "", "", part(&agg::sup));
    s->conn->command_on_strand({"HGETALL", s->num_key(nk, "con")}, part(&agg::con));
    s->conn->command_on_strand({"LRANGE", s->num_key(nk, "ledger"), "0", "-1"}, part(&agg::ledger));
  });
}

void redis_store::get_message(std::string id, store_callback<std::optional<message_record>> cb) {
  on_strand(s_, [s = s_, id = std::move(id), cb = std::move(cb)]() mutable {
    s->conn->command_on_strand({"HGETALL", s->msg_key(id)}, [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
      fail_or<std::optional<message_record>>(cb, ec, v, [&]() -> std::optional<message_record> {
        if (v.elements.empty()) return std::nullopt;
        return s->message_from(to_map(v));
      });
    });
  });
}

void redis_store::set_status(status_update u, store_callback<status_result> cb) {
  on_strand(s_, [s = s_, u = std::move(u), cb = std::move(cb)]() mutable {
    std::int64_t expires = u.correlation_expires_at_ms ? u.correlation_expires_at_ms : u.at_ms + 7LL * 86400 * 1000;
    s->eval(script::set_status, {s->msg_key(u.message_id)},
            {std::string(to_string(u.status)), u.carrier_message_id, u.error, num(u.at_ms), s->corr_prefix(), num(expires),
             u.message_id},
            [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.elements.size() < 3) ec = store_errc::io_error;
              fail_or<status_result>(cb, ec, v, [&] {
                status_result r;
                r.found = v.elements[0].integer == 1;
                r.applied = v.elements[1].integer == 1;
                r.current = parse_message_status(v.elements[2].str).value_or(message_status::queued);
                return r;
              });
            });
  });
}

void redis_store::correlate(std::string carrier, std::string carrier_message_id, std::int64_t,
                            store_callback<std::optional<std::string>> cb) {
  on_strand(s_, [s = s_, carrier = std::move(carrier), cmid = std::move(carrier_message_id), cb = std::move(cb)]() mutable {
    s->conn->command_on_strand({"GET", s->corr_prefix() + "{" + carrier + "}:" + cmid},
                               [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
                                 fail_or<std::optional<std::string>>(cb, ec, v, [&]() -> std::optional<std::string> {
                                   if (v.is_nil()) return std::nullopt;
                                   return v.str;
                                 });
                               });
  });
}

void redis_store::claim(claim_request req, store_callback<claim_result> cb) {
  on_strand(s_, [s = s_, req = std::move(req), cb = std::move(cb)]() mutable {
    s->eval(script::claim,
            {s->queue_key(req.carrier, "ready"), s->queue_key(req.carrier, "sched"), s->queue_key(req.carrier, "lease")},
            {num(req.now_ms), num(req.max), num(req.lease_ms), s->msg_prefix(), s->sup_prefix(), s->sup_senders(),
             num(req.now_ms + req.lease_ms)},
            [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              // claim.lua answers per entry the message id and 2 x its delivery count + the
              // suppressed flag; the lease id is 'd' + that count (docs/stores.md, "Queue").
              // Each leased hash is then read with one HGETALL, all pipelined in this strand turn
              // (read outside the script, its fields are converted once instead of twice). If a
              // read fails, the whole claim fails, as when the script's reply is lost: its leases
              // expire and the entries are claimed again (counted as a redelivery).
              if (!ec && v.is_error()) ec = store_errc::io_error;
              if (ec) return cb(ec, claim_result{});
              if (v.elements.size() < 2) return cb({}, claim_result{});
              struct gather {
                claim_result out;
                std::vector<bool> present;
                std::size_t remaining = 0;
                std::error_code ec;
                store_callback<claim_result> cb;
              };
              auto g = std::make_shared<gather>();
              const std::size_t n = v.elements.size() / 2;
              g->out.entries.resize(n);
              g->present.assign(n, false);
              g->remaining = n;
              g->cb = std::move(cb);
              for (std::size_t i = 0; i < n; ++i) {
                auto& q = g->out.entries[i];
                q.message.id = std::move(v.elements[2 * i].str);
                const long long x = v.elements[2 * i + 1].integer;
                q.deliveries = static_cast<int>(x / 2);
                q.lease_id = "d" + std::to_string(x / 2);
                q.suppressed = (x & 1) != 0;
                auto read = [s, g, i](std::error_code e, redis_value h) {
                  if (!e && h.is_error()) e = store_errc::io_error;
                  if (e) {
                    if (!g->ec) g->ec = e;
                  } else if (!h.elements.empty()) {
                    // Empty: the hash was purged since the claim; its lease expires unused.
                    auto f = to_map(h);
                    auto& q = g->out.entries[i];
                    q.message = s->message_from(f);
                    g->present[i] = true;
                  }
                  if (--g->remaining > 0) return;
                  auto cb = std::move(g->cb);
                  if (g->ec) return cb(g->ec, claim_result{});
                  claim_result out;
                  out.entries.reserve(g->out.entries.size());
                  for (std::size_t j = 0; j < g->out.entries.size(); ++j) {
                    if (g->present[j]) out.entries.push_back(std::move(g->out.entries[j]));
                  }
                  cb({}, std::move(out));
                };
                s->conn->command_on_strand({"HGETALL", s->msg_key(q.message.id)}, std::move(read));
              }
            });
  });
}

void redis_store::complete(std::vector<completion> items, store_callback<std::vector<completion_result>> cb) {
  on_strand(s_, [s = s_, items = std::move(items), cb = std::move(cb)]() mutable {
    if (items.empty()) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb({}, {}); });
      return;
    }
    // One EVALSHA of complete.lua per max_completions_per_call items; the results are gathered
    // in order and the callback runs once, after the last reply (an error in any call fails the
    // whole: the caller's leases then expire and the messages are claimed again).
    constexpr std::size_t max_completions_per_call = 64;
    struct gather {
      std::vector<completion_result> results;
      std::size_t remaining = 0;
      std::error_code ec;
      store_callback<std::vector<completion_result>> cb;
    };
    auto g = std::make_shared<gather>();
    g->results.resize(items.size());
    g->remaining = (items.size() + max_completions_per_call - 1) / max_completions_per_call;
    g->cb = std::move(cb);
    for (std::size_t first = 0; first < items.size(); first += max_completions_per_call) {
      const std::size_t n = std::min(max_completions_per_call, items.size() - first);
      std::vector<std::string> keys;
      std::vector<std::string> args;
      // Per item 2 keys and 8 arguments, 1 key and 6 arguments more with an event (complete.lua).
      keys.reserve(1 + 3 * n);
      args.reserve(2 + 14 * n);
      keys.push_back(s->wh_key("pending"));
      args.push_back(num(static_cast<std::int64_t>(n)));
      args.push_back(s->corr_prefix());
      for (std::size_t i = first; i < first + n; ++i) {
        auto& c = items[i];
        const auto& u = c.update;
        const std::int64_t expires = u.correlation_expires_at_ms ? u.correlation_expires_at_ms : u.at_ms + 7LL * 86400 * 1000;
        keys.push_back(s->queue_key(c.carrier, "lease"));
        keys.push_back(s->msg_key(u.message_id));
        if (c.event) keys.push_back(s->wh_event_key(c.event->event_id));
        args.push_back(u.message_id);
        args.push_back(std::move(c.lease_id));
        args.push_back(std::string(to_string(u.status)));
        args.push_back(u.carrier_message_id);
        args.push_back(u.error);
        args.push_back(num(u.at_ms));
        args.push_back(num(expires));
        if (c.event) {
          auto& ev = *c.event;
          args.push_back("1");
          args.push_back(ev.event_id);
          args.push_back(std::move(ev.kind));
          args.push_back(std::move(ev.target));
          args.push_back(std::move(ev.body));
          args.push_back(num(ev.next_attempt_ms));
          args.push_back(num(ev.created_at_ms));
        } else {
          args.push_back("0");
        }
      }
      s->eval(script::complete, std::move(keys), std::move(args), [g, first, n](std::error_code ec, redis_value v) {
        // complete.lua answers one integer per item: found 1 + applied 2 + event stored 4 +
        // released 8 + 16 x (1 + the current status' enumerator; 0: none or unknown).
        if (!ec && (v.is_error() || v.elements.size() != n)) ec = store_errc::io_error;
        if (ec) {
          if (!g->ec) g->ec = ec;
        } else {
          // The codes of complete.lua: the enumerators in this order (queued 1 ... failed 8).
          static_assert(static_cast<int>(message_status::queued) == 0 &&
                        static_cast<int>(message_status::scheduled) == 1 &&
                        static_cast<int>(message_status::submitted) == 2 &&
                        static_cast<int>(message_status::failed) == 7);
          constexpr long long statuses = static_cast<long long>(message_status::failed) + 1;
          for (std::size_t i = 0; i < n; ++i) {
            const long long x = v.elements[i].integer;
            auto& r = g->results[first + i];
            r.found = (x & 1) != 0;
            r.applied = (x & 2) != 0;
            r.event_stored = (x & 4) != 0;
            r.released = (x & 8) != 0;
            const long long status = x >> 4;
            r.current = status >= 1 && status <= statuses ? static_cast<message_status>(status - 1)
                                                          : message_status::queued;
          }
        }
        if (--g->remaining > 0) return;
        auto cb = std::move(g->cb);
        if (g->ec) return cb(g->ec, {});
        cb({}, std::move(g->results));
      });
    }
  });
}

namespace {

void release(const std::shared_ptr<redis_store::state>& s, std::string carrier, std::string id, std::string lease,
             const char* mode, std::int64_t at, std::string error, store_callback<done> cb) {
  on_strand(s, [s, carrier = std::move(carrier), id = std::move(id), lease = std::move(lease), mode, at,
                error = std::move(error), cb = std::move(cb)]() mutable {
    s->eval(script::release, {s->queue_key(carrier, "lease"), s->queue_key(carrier, "sched"), s->msg_key(id)},
            {id, lease, mode, num(at), error}, [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.is_error()) ec = store_errc::io_error;
              if (!ec && v.integer != 1) ec = store_errc::lease_lost;
              cb(ec, done{});
            });
  });
}

}  // namespace

void redis_store::ack(std::string carrier, std::string message_id, std::string lease_id, store_callback<done> cb) {
  release(s_, std::move(carrier), std::move(message_id), std::move(lease_id), "ack", 0, {}, std::move(cb));
}

void redis_store::nack(std::string carrier, std::string message_id, std::string lease_id, std::int64_t retry_at_ms,
                       std::string error, store_callback<done> cb) {
  release(s_, std::move(carrier), std::move(message_id), std::move(lease_id), "nack", retry_at_ms, std::move(error),
          std::move(cb));
}

void redis_store::reschedule(std::string carrier, std::string message_id, std::string lease_id, std::int64_t at_ms,
                             store_callback<done> cb) {
  release(s_, std::move(carrier), std::move(message_id), std::move(lease_id), "reschedule", at_ms, {}, std::move(cb));
}

void redis_store::idempotency_get(std::string key, std::int64_t now_ms,
                                  store_callback<std::optional<idempotency_record>> cb) {
  on_strand(s_, [s = s_, key = std::move(key), now_ms, cb = std::move(cb)]() mutable {
    s->conn->command_on_strand(
        {"HMGET", s->idem_key(key), "hash", "mid", "resp", "cr", "exp"},
        [key, now_ms, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
          fail_or<std::optional<idempotency_record>>(cb, ec, v, [&]() -> std::optional<idempotency_record> {
            if (v.elements.size() < 5 || v.elements[0].is_nil()) return std::nullopt;
            idempotency_record r{key, v.elements[0].str, v.elements[1].str, v.elements[2].str,
                                 to_i64(v.elements[3].str), to_i64(v.elements[4].str)};
            if (r.expires_at_ms <= now_ms) return std::nullopt;
            return r;
          });
        });
  });
}

void redis_store::idempotency_put(idempotency_record rec, std::int64_t now_ms, store_callback<idempotency_record> cb) {
  on_strand(s_, [s = s_, rec = std::move(rec), now_ms, cb = std::move(cb)]() mutable {
    if (rec.created_at_ms == 0) rec.created_at_ms = now_ms;
    if (rec.expires_at_ms == 0) rec.expires_at_ms = now_ms + 24LL * 3600 * 1000;
    s->eval(script::idempotency_put, {s->idem_key(rec.key)},
            {rec.request_hash, rec.message_id, rec.response, num(rec.created_at_ms), num(rec.expires_at_ms)},
            [key = rec.key, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.elements.size() < 5) ec = store_errc::io_error;
              fail_or<idempotency_record>(cb, ec, v, [&] {
                return idempotency_record{key, v.elements[0].str, v.elements[1].str, v.elements[2].str,
                                          to_i64(v.elements[3].str), to_i64(v.elements[4].str)};
              });
            });
  });
}

void redis_store::stats(std::string carrier, std::int64_t now_ms, store_callback<queue_stats> cb) {
  on_strand(s_, [s = s_, carrier = std::move(carrier), now_ms, cb = std::move(cb)]() mutable {
    s->eval(script::stats,
            {s->queue_key(carrier, "ready"), s->queue_key(carrier, "sched"), s->queue_key(carrier, "lease")},
            {num(now_ms), s->msg_prefix()}, [cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && v.elements.size() < 4) ec = store_errc::io_error;
              fail_or<queue_stats>(cb, ec, v, [&] {
                return queue_stats{v.elements[0].integer, v.elements[1].integer, v.elements[2].integer,
                                   v.elements[3].integer};
              });
            });
  });
}

void redis_store::outbox_put(webhook_event ev, store_callback<done> cb) {
  on_strand(s_, [s = s_, ev = std::move(ev), cb = std::move(cb)]() mutable {
    s->outbox_write({"put", ev.event_id, ev.kind, ev.target, ev.body, num(ev.next_attempt_ms), num(ev.created_at_ms)},
                    [cb = std::move(cb)](std::error_code ec, long long) { cb(ec, done{}); });
  });
}

void redis_store::outbox_claim(int max, std::int64_t lease_ms, std::int64_t now_ms,
                               store_callback<std::vector<webhook_event>> cb) {
  on_strand(s_, [s = s_, max, lease_ms, now_ms, cb = std::move(cb)]() mutable {
    s->outbox_read("claim", now_ms, max, lease_ms, std::move(cb));
  });
}

void redis_store::outbox_ack(std::string event_id, std::string lease_id, store_callback<done> cb) {
  on_strand(s_, [s = s_, id = std::move(event_id), lease = std::move(lease_id), cb = std::move(cb)]() mutable {
    s->outbox_write({"ack", id, lease}, [cb = std::move(cb)](std::error_code ec, long long r) {
      if (!ec && r != 1) ec = store_errc::lease_lost;
      cb(ec, done{});
    });
  });
}

void redis_store::outbox_retry(std::string event_id, std::string lease_id, std::int64_t next_attempt_ms,
                               std::string error, bool dead, store_callback<done> cb) {
  on_strand(s_, [s = s_, id = std::move(event_id), lease = std::move(lease_id), next_attempt_ms,
                 error = std::move(error), dead, cb = std::move(cb)]() mutable {
    s->outbox_write({"retry", id, lease, num(next_attempt_ms), error, dead ? "1" : "0"},
                    [cb = std::move(cb)](std::error_code ec, long long r) {
                      if (!ec && r != 1) ec = store_errc::lease_lost;
                      cb(ec, done{});
                    });
  });
}

void redis_store::dead_letters(int max, store_callback<std::vector<webhook_event>> cb) {
  on_strand(s_, [s = s_, max, cb = std::move(cb)]() mutable { s->outbox_read("dead", 0, max, 0, std::move(cb)); });
}

void redis_store::replay_dead_letter(std::string event_id, std::int64_t now_ms, store_callback<bool> cb) {
  on_strand(s_, [s = s_, id = std::move(event_id), now_ms, cb = std::move(cb)]() mutable {
    s->outbox_write({"replay", id, num(now_ms)},
                    [cb = std::move(cb)](std::error_code ec, long long r) { cb(ec, !ec && r == 1); });
  });
}

void redis_store::health(store_callback<health_info> cb) {
  on_strand(s_, [s = s_, cb = std::move(cb)]() mutable {
    if (s->conn->current_state() != redis_connection::state::ready) {
      std::string why = s->conn->last_error().empty() ? "connecting to Redis" : s->conn->last_error();
      std::error_code ec = s->conn->current_state() == redis_connection::state::refused
                               ? make_error_code(store_errc::not_ready)
                               : make_error_code(store_errc::unavailable);
      asio::post(s->conn->strand(), [cb = std::move(cb), ec, why] { cb(ec, health_info{false, why}); });
      return;
    }
    s->conn->command_on_strand({"PING"}, [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
      if (!ec && (v.is_error() || v.str != "PONG")) ec = store_errc::io_error;
      if (ec) return cb(ec, health_info{false, "PING failed: " + ec.message()});
      cb({}, health_info{true, s->server_info});
    });
  });
}


// ---------------------------------------------------------------------------------------------
// Operator tooling (issue 7)

namespace {

// SCAN MATCH pattern: the prefix taken literally, then `tail` (which may hold glob characters).
std::string glob_literal(std::string_view prefix, std::string_view tail) {
  std::string out;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  out.append(tail);
  return out;
}

// The number key inside "P{nk}:suffix".
std::string number_key_of(std::string_view key, std::size_t prefix_len) {
  if (key.size() <= prefix_len + 1) return {};
  auto close = key.find('}', prefix_len + 1);
  if (close == std::string_view::npos) return {};
  return std::string(key.substr(prefix_len + 1, close - prefix_len - 1));
}

// Completes `cb` once `n` parts have reported (first error wins).
struct countdown {
  std::size_t remaining = 0;
  std::error_code ec;
};

// Iterates SCAN over message hashes and runs purge.lua on every page; on the strand.
struct message_sweep : std::enable_shared_from_this<message_sweep> {
  std::shared_ptr<redis_store::state> s;
  std::vector<std::string> args;  // purge.lua ARGV
  std::int64_t records = 0;
  std::int64_t bodies = 0;
  std::function<void(std::error_code, std::int64_t records, std::int64_t bodies)> done;

  void next(std::string cursor);
};

}  // namespace

namespace {

void message_sweep::next(std::string cursor) {
  auto self = shared_from_this();
  s->conn->command_on_strand(
      {"SCAN", cursor, "MATCH", glob_literal(s->msg_prefix(), "*"), "COUNT", "1000"},
      [self](std::error_code ec, redis_value v) {
        if (!ec && (v.is_error() || v.elements.size() != 2)) ec = store_errc::io_error;
        if (ec) return self->done(ec, 0, 0);
        std::string cursor = v.elements[0].str;
        std::vector<std::string> keys;
        for (auto& e : v.elements[1].elements) keys.push_back(std::move(e.str));
        auto after = [self, cursor](std::error_code ec2) {
          if (ec2) return self->done(ec2, 0, 0);
          if (cursor == "0") return self->done({}, self->records, self->bodies);
          self->next(cursor);
        };
        if (keys.empty()) return after({});
        self->s->eval(script::purge, std::move(keys), self->args, [self, after](std::error_code ec2, redis_value r) {
          if (!ec2 && (r.is_error() || r.elements.size() < 2)) ec2 = store_errc::io_error;
          if (!ec2) {
            self->records += r.elements[0].integer;
            self->bodies += r.elements[1].integer;
          }
          after(ec2);
        });
      });
}

}  // namespace

namespace {

// --- Bulk imports (import.lua; docs/performance.md, "Operator tooling") ---

// Records of one import.lua call at most, and of one bucket within a call (Lua's unpack()).
constexpr std::size_t import_rows_per_call = 2000;
constexpr std::size_t import_rows_per_group = 1000;

constexpr std::array<signed char, 256> make_hex_table() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = 0; c < 10; ++c) t[static_cast<std::size_t>('0' + c)] = static_cast<signed char>(c);
  for (int c = 0; c < 6; ++c) {
    t[static_cast<std::size_t>('a' + c)] = static_cast<signed char>(10 + c);
    t[static_cast<std::size_t>('A' + c)] = static_cast<signed char>(10 + c);
  }
  return t;
}
constexpr auto hex_table = make_hex_table();

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
    const int v = hex_table[static_cast<unsigned char>(nk[i])];
    if (v < 0) return false;
    bucket = bucket * 16 + static_cast<unsigned>(v);
  }
  out.bucket = static_cast<std::uint16_t>(bucket);
  for (std::size_t i = 0; i < suffix_bytes; ++i) {
    const int hi = hex_table[static_cast<unsigned char>(nk[bucket_hex + 2 * i])];
    const int lo = hex_table[static_cast<unsigned char>(nk[bucket_hex + 2 * i + 1])];
    if (hi < 0 || lo < 0) return false;
    out.suffix[i] = static_cast<char>(hi * 16 + lo);
  }
  return true;
}

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
    struct agg {
      countdown c;
      import_result r;
      store_callback<import_result> cb;
    };
    auto a = std::make_shared<agg>();
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
    struct agg {
      countdown c;
      import_result r;
      store_callback<import_result> cb;
    };
    auto a = std::make_shared<agg>();
    a->c.remaining = recs.size();
    a->cb = std::move(cb);
    for (std::size_t i = 0; i < recs.size(); ++i) {
      const auto& rec = recs[i];
      std::string field = join({rec.category, rec.sender});
      std::string value = join({rec.source, rec.evidence, num(rec.at_ms), sealed[i]});
      std::string ledger = join({"1", rec.category, rec.sender, rec.source, rec.evidence, num(rec.at_ms), sealed[i]});
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

namespace {

// SCAN one page of "P{*}:<suffix>" keys, then HGETALL each (pipelined); `add` turns one hash into
// items.
template <class T>
void export_hashes(const std::shared_ptr<redis_store::state>& s, std::string cursor, int limit, const char* suffix,
                   std::function<void(const std::string& nk, const field_map&, std::vector<T>&)> add,
                   store_callback<export_page<T>> cb) {
  on_strand(s, [s, cursor = std::move(cursor), limit, suffix, add = std::move(add), cb = std::move(cb)]() mutable {
    s->conn->command_on_strand(
        {"SCAN", cursor.empty() ? "0" : cursor, "MATCH", glob_literal(s->opts.key_prefix, std::string("{*}:") + suffix),
         "COUNT", num(std::max(1, limit))},
        [s, add = std::move(add), cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
          if (!ec && (v.is_error() || v.elements.size() != 2)) ec = store_errc::io_error;
          if (ec) return cb(ec, {});
          struct agg {
            export_page<T> page;
            std::vector<std::pair<std::string, redis_value>> hashes;
            std::size_t remaining = 0;
            std::error_code ec;
          };
          auto a = std::make_shared<agg>();
          a->page.cursor = v.elements[0].str == "0" ? std::string() : v.elements[0].str;
          auto keys = std::move(v.elements[1].elements);
          if (keys.empty()) {
            asio::post(s->conn->strand(), [a, cb = std::move(cb)] { cb({}, std::move(a->page)); });
            return;
          }
          a->remaining = keys.size();
          a->hashes.resize(keys.size());
          auto shared_cb = std::make_shared<store_callback<export_page<T>>>(std::move(cb));
          auto shared_add = std::make_shared<decltype(add)>(std::move(add));
          for (std::size_t i = 0; i < keys.size(); ++i) {
            a->hashes[i].first = number_key_of(keys[i].str, s->opts.key_prefix.size());
            s->conn->command_on_strand({"HGETALL", keys[i].str}, [a, i, shared_cb, shared_add](std::error_code e,
                                                                                                redis_value h) {
              if (!e && h.is_error()) e = store_errc::io_error;
              if (e && !a->ec) a->ec = e;
              a->hashes[i].second = std::move(h);
              if (--a->remaining > 0) return;
              if (a->ec) return (*shared_cb)(a->ec, {});
              for (const auto& [nk, hv] : a->hashes) (*shared_add)(nk, to_map(hv), a->page.items);
              (*shared_cb)({}, std::move(a->page));
            });
          }
        });
  });
}

}  // namespace

void redis_store::export_suppressions(std::string cursor, int limit,
                                      store_callback<export_page<suppression_record>> cb) {
  // SCAN over the buckets (a page holds every number of the buckets it visits), HGETALL of each
  // bucket and of the sender ids, pipelined.
  on_strand(s_, [s = s_, cursor = std::move(cursor), limit, cb = std::move(cb)]() mutable {
    s->conn->command_on_strand(
        {"SCAN", cursor.empty() ? "0" : cursor, "MATCH",
         glob_literal(s->sup_prefix(), "[0-9a-f][0-9a-f][0-9a-f][0-9a-f]"), "COUNT", num(std::max(1, limit))},
        [s, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
          if (!ec && (v.is_error() || v.elements.size() != 2)) ec = store_errc::io_error;
          if (ec) return cb(ec, {});
          struct agg {
            export_page<suppression_record> page;
            std::vector<std::string> buckets;
            std::vector<redis_value> contents;
            redis_value ids;
            std::size_t remaining = 0;
            std::error_code ec;
            store_callback<export_page<suppression_record>> cb;
          };
          auto a = std::make_shared<agg>();
          a->cb = std::move(cb);
          a->page.cursor = v.elements[0].str == "0" ? std::string() : v.elements[0].str;
          for (auto& k : v.elements[1].elements) a->buckets.push_back(std::move(k.str));
          if (a->buckets.empty()) {
            asio::post(s->conn->strand(), [a] { a->cb({}, std::move(a->page)); });
            return;
          }
          a->contents.resize(a->buckets.size());
          a->remaining = a->buckets.size() + 1;
          auto finish = [s, a] {
            if (a->ec) return a->cb(a->ec, {});
            std::unordered_map<std::string, std::string> names;
            for (std::size_t i = 0; i + 1 < a->ids.elements.size(); i += 2)
              names[a->ids.elements[i].str] = a->ids.elements[i + 1].str;
            const std::size_t tail_at = s->sup_prefix().size();
            for (std::size_t b = 0; b < a->buckets.size(); ++b) {
              const std::string head = a->buckets[b].substr(tail_at);
              const auto& els = a->contents[b].elements;
              for (std::size_t i = 0; i + 1 < els.size(); i += 2) {
                const std::string& field = els[i].str;
                if (field.size() < suffix_bytes) continue;
                std::string sender;
                if (field.size() > suffix_bytes) {
                  auto it = names.find(field.substr(suffix_bytes));
                  sender = it == names.end() ? "?" + to_hex(field.substr(suffix_bytes)) : it->second;
                }
                a->page.items.push_back(
                    s->sup_from(head + to_hex(std::string_view(field).substr(0, suffix_bytes)), sender, els[i + 1].str));
              }
            }
            a->cb({}, std::move(a->page));
          };
          auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
          auto part = [a, shared_finish](redis_value* slot) {
            return [a, shared_finish, slot](std::error_code e, redis_value h) {
              if (!e && h.is_error()) e = store_errc::io_error;
              if (e && !a->ec) a->ec = e;
              *slot = std::move(h);
              if (--a->remaining == 0) (*shared_finish)();
            };
          };
          s->conn->command_on_strand({"HGETALL", s->sup_ids()}, part(&a->ids));
          for (std::size_t i = 0; i < a->buckets.size(); ++i)
            s->conn->command_on_strand({"HGETALL", a->buckets[i]}, part(&a->contents[i]));
        });
  });
}

void redis_store::export_consents(std::string cursor, int limit, store_callback<export_page<consent_record>> cb) {
  auto s = s_;
  export_hashes<consent_record>(
      s_, std::move(cursor), limit, "con",
      [s](const std::string& nk, const field_map& m, std::vector<consent_record>& out) {
        std::vector<consent_record> recs;
        for (const auto& [field, val] : m) {
          auto k = split(field, 2);
          auto p = split(val, 4);
          recs.push_back({nk, s->unseal(p[3]), k[0], k[1], p[0], p[1], to_i64(p[2])});
        }
        std::sort(recs.begin(), recs.end(), [](const auto& x, const auto& y) {
          return std::tie(x.category, x.sender) < std::tie(y.category, y.sender);
        });
        for (auto& r : recs) out.push_back(std::move(r));
      },
      std::move(cb));
}

void redis_store::erase_number(std::string number_key, std::string source, std::int64_t at_ms,
                               store_callback<erase_result> cb) {
  on_strand(s_, [s = s_, nk = std::move(number_key), source = std::move(source), at_ms, cb = std::move(cb)]() mutable {
    auto loc = locate(nk);
    if (!loc) {
      asio::post(s->conn->strand(), [cb = std::move(cb)] { cb(store_errc::invalid_argument, erase_result{}); });
      return;
    }
    s->eval(script::erase, {s->sup_bucket(*loc), s->num_key(nk, "con"), s->num_key(nk, "ledger")},
            {loc->suffix, pack_sup_value("erased", source, at_ms, "")},
            [s, nk, cb = std::move(cb)](std::error_code ec, redis_value v) mutable {
              if (!ec && (v.is_error() || v.elements.size() < 3)) ec = store_errc::io_error;
              if (ec) return cb(ec, {});
              erase_result r;
              r.consents = v.elements[0].integer;
              r.ledger_entries = v.elements[1].integer;
              r.suppressions = v.elements[2].integer;
              // Message records: no index by number, so every message hash is scanned (docs/stores.md).
              auto sweep = std::make_shared<message_sweep>();
              sweep->s = s;
              sweep->args = {"erase", nk, "0", "0", "0"};
              sweep->done = [r, cb = std::move(cb)](std::error_code e, std::int64_t records, std::int64_t) mutable {
                if (e) return cb(e, {});
                r.messages = records;
                cb({}, r);
              };
              sweep->next("0");
            });
  });
}

void redis_store::purge(purge_request req, store_callback<purge_result> cb) {
  on_strand(s_, [s = s_, req, cb = std::move(cb)]() mutable {
    // Idempotency keys, receipt correlations and cap sets carry their own expiry in Redis.
    auto sweep = std::make_shared<message_sweep>();
    sweep->s = s;
    sweep->args = {"purge", "", num(req.bodies_final_before_ms), num(req.records_final_before_ms),
                   req.dry_run ? "1" : "0"};
    sweep->done = [cb = std::move(cb)](std::error_code e, std::int64_t records, std::int64_t bodies) mutable {
      if (e) return cb(e, {});
      purge_result r;
      r.records = records;
      r.bodies = bodies;
      cb({}, r);
    };
    sweep->next("0");
  });
}

}  // namespace policy
