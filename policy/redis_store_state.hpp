#pragma once

// The state shared by the Redis store's files (internal to policy_redis): the connection, the
// scripts, the key names, and the admission queue. Every member runs on the connection's strand
// unless it says otherwise.
//   redis_store.cpp          create, connect-time checks, numbers, messages, idempotency, outbox
//   redis_store_admit.cpp    admissions coalesced into admit.lua calls
//   redis_store_queue.cpp    claim, complete, ack, nack, reschedule
//   redis_store_import.cpp   bulk imports (smsgwctl import)
//   redis_store_tooling.cpp  exports, erasure, purge

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "policy/redis_connection.hpp"
#include "policy/redis_fields.hpp"
#include "policy/redis_store.hpp"
#include "policy/redis_suppression_layout.hpp"

namespace policy {

namespace redis_detail {

// The Lua scripts (policy/lua/*.lua), in the order of redis_store::create().
enum class script {
  admit, claim, release, set_status, consent, idempotency_put, stats, outbox, outbox_read, purge, erase, import, suppression,
  complete, import_swap, count_
};

struct script_def {
  std::string_view body;
  std::string sha;
};

}  // namespace redis_detail

struct redis_store::state : std::enable_shared_from_this<redis_store::state> {
  using script = redis_detail::script;

  redis_options opts;
  std::shared_ptr<redis_connection> conn;
  std::array<redis_detail::script_def, static_cast<std::size_t>(script::count_)> scripts;
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
  std::string sup_bucket(const redis_detail::sup_location& l) const { return sup_prefix() + l.bucket_tail; }
  std::string sup_senders() const { return opts.key_prefix + "sup:senders"; }
  std::string sup_ids() const { return opts.key_prefix + "sup:ids"; }
  // A stream (suppression_feed). Not under sup:, where "feed" (four hex digits) names a bucket.
  std::string sup_feed() const { return opts.key_prefix + "feed:sup"; }
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

  // --- sealing (any thread) ---
  std::string seal(const std::string& e164) const { return e164.empty() ? std::string() : opts.secrets->seal(e164); }
  std::string unseal(const std::string& s) const {
    return s.empty() ? std::string() : opts.secrets->open(s).value_or(std::string());
  }
  // Suppression values keep the sealed E.164 as bytes (docs/stores.md, "Suppressions").
  std::string seal_bytes(const std::string& e164) const;
  std::string open_bytes(const std::string& b) const;
  suppression_record sup_from(const std::string& nk, const std::string& sender, std::string_view packed) const;

  // --- records ---
  message_record message_from(const redis_detail::field_map& f) const;
  static webhook_event event_from(const redis_detail::field_map& f);

  // EVALSHA of a script (EVAL when the server lost it).
  void eval(script sc, std::vector<std::string> keys, std::vector<std::string> args, redis_connection::reply_handler h);

  // outbox.lua (put, ack, retry, replay) and outbox_read.lua (claim, dead).
  void outbox_write(std::vector<std::string> args, std::function<void(std::error_code, long long)> cb);
  void outbox_read(const char* mode, std::int64_t now, int max, std::int64_t lease_ms,
                   store_callback<std::vector<webhook_event>> cb);

  // Runs INFO checks and loads the scripts; called by the connection at every connect.
  void init(std::function<void(std::error_code, std::string)> done);

  // --- admissions (redis_store_admit.cpp) ---
  // Admissions issued in the same strand turn are coalesced into one EVALSHA of admit.lua
  // (at most max_admits_per_call requests each): one script call instead of N.
  struct pending_admit {
    // On the heap: an admit_request is about 25 strings (each move of one costs about 825
    // instructions), and a pending admission moves several times between admit() and its reply.
    std::unique_ptr<admit_request> req;
    std::function<void(std::error_code, admit_result)> cb;
    bool fields = false;            // write the message hash with HSET (RESTORE was refused for it)
    redis_detail::sup_location loc;  // the number's suppression bucket (set by flush_admits)
  };
  static constexpr std::size_t max_admits_per_call = 128;
  // The queue keeps its capacity between flushes (admit_spare), and a flush groups the requests
  // by index instead of moving them into one vector per kind.
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

  struct admit_plan;  // what the client decides alone: the outcome when accepted, the send time
  struct admit_call;  // one admit.lua call being built

  void admit_on_strand(std::unique_ptr<admit_request> r, std::function<void(std::error_code, admit_result)>&& cb,
                       bool fields = false);
  void flush_admits();
  // The requests all[which[...]] (moved out of `all`), in calls of up to max_admits_per_call.
  void send_admits(std::vector<pending_admit>& all, const std::vector<std::size_t>& which, bool restore);
  void append_admit(const admit_request& r, const redis_detail::sup_location& loc, const admit_plan& p,
                    admit_call& call) const;
};

namespace redis_detail {

// Runs fn on the strand (inline when already there); fn issues commands, never completes inline.
template <class F>
void on_strand(const std::shared_ptr<redis_store::state>& s, F&& fn) {
  boost::asio::dispatch(s->conn->strand(), std::forward<F>(fn));
}

template <class R>
void fail_or(store_callback<R>& cb, std::error_code ec, const redis_value& v, auto&& make) {
  if (!ec && v.is_error()) ec = store_errc::io_error;
  if (ec) return cb(ec, R{});
  cb({}, make());
}

// Completes a callback once `remaining` parts have reported (first error wins).
struct countdown {
  std::size_t remaining = 0;
  std::error_code ec;
};

}  // namespace redis_detail

}  // namespace policy
