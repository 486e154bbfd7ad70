// Admissions on Redis (docs/stores.md, "Admission script"): requests issued in the same strand
// turn are coalesced into admit.lua calls; what the requests of a call share goes once as a
// profile, the rest as ready strings (the message hash as a RESTORE payload).

#include <algorithm>
#include <charconv>
#include <iterator>
#include <span>
#include <unordered_map>

#include "policy/redis_dump.hpp"
#include "policy/redis_store_state.hpp"
#include "policy/separated_fields.hpp"

namespace policy {

namespace asio = boost::asio;
using namespace redis_detail;
using detail::field_value;

// What the client decides alone (the script gets it as ready strings): the outcome when
// accepted and the send time.
struct redis_store::state::admit_plan {
  // "queued", "scheduled", "leased" (queued and leased to the caller at once: direct
  // hand-off) or "r" (refused by quiet hours)
  const char* outcome;
  std::int64_t send_at;
};

// One admit.lua call being built: what requests share goes once into a profile
// (admit.lua's header), the rest per request.
struct redis_store::state::admit_call {
  bool restore = true;    // message hashes as RESTORE payloads, else as HSET fields
  bool listpack = false;  // those payloads as listpacks (else in the hashtable form)
  std::unordered_map<std::string, std::string> profiles;  // profile arguments joined -> its number
  std::size_t profile_keys_count = 0;
  std::vector<std::string> profile_keys;  // the queue of each profile
  std::vector<std::string> profile_args;
  std::vector<std::string> keys;
  std::vector<std::string> args;
  std::vector<std::size_t> profile_refs;  // where in args each request names its profile
  // Scratch of append_admit, kept across the call's requests (their capacity is reused): the
  // profile's arguments and their concatenation, the key of `profiles`.
  std::vector<std::string> prof;
  std::string prof_key;
};

namespace {

// The largest now_ms admit accepts: admission times are stored as 13 decimal digits.
constexpr std::int64_t max_admit_now_ms = 9'999'999'999'999;
// A cap key whose rules all have a max up to this is a string of admission times (GET + SET
// per admission); above, a zset (ZCOUNT per rule + ZREMRANGEBYSCORE, ZADD, PEXPIRE).
constexpr std::uint32_t string_cap_max = 32;

// The lease id of a message leased at admission. Claims number their leases from the queue's
// counter; a message is leased at admission at most once (its first lease), so one fixed id
// cannot be confused with a later claim's lease of the same message.
constexpr std::string_view admission_lease = "a";

redis_store::state::admit_plan plan(const admit_request& r) {
  if (r.quiet.k == quiet_outcome::kind::reject) return {"r", r.now_ms};
  std::int64_t send_at = std::max(r.now_ms, r.message.send_at_ms);
  if (r.quiet.k == quiet_outcome::kind::defer) send_at = std::max(send_at, r.quiet.defer_until_ms);
  if (send_at > r.now_ms) return {"scheduled", send_at};
  return {r.lease_ms > 0 ? "leased" : "queued", send_at};
}

// Unix ms as the 13 digits (zero-padded) of the cap keys; negative bounds count from 0.
std::string ms13(std::int64_t v) {
  std::string out(13, '0');
  if (v <= 0) return out;
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  auto len = static_cast<std::size_t>(end - buf);
  if (len >= out.size()) return std::string(buf, len);
  std::copy(buf, end, out.end() - static_cast<std::ptrdiff_t>(len));
  return out;
}

// The cap keys a request uses: its category key when it has rules that are not per campaign,
// its campaign key when it has per-campaign rules and a campaign.
bool has_caps(const admit_request& r, bool per_campaign) {
  if (per_campaign && r.campaign.empty()) return false;
  return std::any_of(r.caps.begin(), r.caps.end(), [&](const cap_rule& c) { return c.per_campaign == per_campaign; });
}

// The rules of one cap key: their longest window, their largest max and how many there are.
struct cap_key_rules {
  std::int64_t longest_ms = 0;
  std::uint32_t largest = 0;
  std::size_t count = 0;
};

cap_key_rules rules_of(const admit_request& r, bool per_campaign) {
  cap_key_rules k;
  for (const auto& c : r.caps) {
    if (c.per_campaign != per_campaign) continue;
    k.longest_ms = std::max(k.longest_ms, c.window_seconds * 1000);
    k.largest = std::max(k.largest, c.max);
    ++k.count;
  }
  return k;
}

// One cap key in a profile: mode, expiry (the longest window), then the rules.
void append_cap_profile(const admit_request& r, bool per_campaign, std::vector<std::string>& out) {
  const auto k = rules_of(r, per_campaign);
  out.push_back(k.largest <= string_cap_max ? "s" : "z");
  out.push_back(num(k.longest_ms));
  out.push_back(num(static_cast<std::int64_t>(k.count)));
  for (const auto& c : r.caps) {
    if (c.per_campaign != per_campaign) continue;
    out.push_back(num(c.window_seconds * 1000));
    out.push_back(num(c.max));
  }
}

// A zset-mode cap key's per-request arguments: the oldest admission kept, then per rule the
// oldest admission that counts.
void append_zset_bounds(const admit_request& r, bool per_campaign, std::vector<std::string>& out) {
  const auto k = rules_of(r, per_campaign);
  if (k.largest <= string_cap_max) return;
  out.push_back(ms13(r.now_ms - k.longest_ms + 1));
  for (const auto& c : r.caps) {
    if (c.per_campaign == per_campaign) out.push_back(ms13(r.now_ms - c.window_seconds * 1000 + 1));
  }
}

// The rule `rule` (1-based) of the request's cap key `key` (1-based, as append_admit sends them:
// the category key when the request has category rules, then the campaign key).
std::optional<cap_rule> cap_rule_of(const admit_request& r, long long key, long long rule) {
  const bool category_caps = has_caps(r, false);
  const bool per_campaign = !(key == 1 && category_caps);
  long long n = 0;
  for (const auto& c : r.caps) {
    if (c.per_campaign == per_campaign && ++n == rule) return c;
  }
  return std::nullopt;
}

std::pair<std::error_code, admit_result> parse_admit(const redis_value& v, const admit_request& r,
                                                     const redis_store::state::admit_plan& p) {
  admit_result res;
  if (v.k == redis_value::kind::array && !v.elements.empty() && v.elements[0].k == redis_value::kind::integer) {
    // Capped: {cap key number, rule number, free at ms}.
    const auto& e = v.elements;
    if (e.size() != 4 || e[0].integer != 3 || e[1].k != redis_value::kind::integer ||
        e[2].k != redis_value::kind::integer || e[3].k != redis_value::kind::integer) {
      return {store_errc::io_error, {}};
    }
    auto rule = cap_rule_of(r, e[1].integer, e[2].integer);
    if (!rule) return {store_errc::io_error, {}};
    res.refused = reason::frequency_capped;
    res.cap = admit_result::cap_reached{*rule, e[3].integer};
    return {{}, std::move(res)};
  }
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
    case 4: res.refused = reason::quiet_hours; break;
    default: return {store_errc::io_error, {}};
  }
  return {{}, std::move(res)};
}

}  // namespace

void redis_store::state::admit_on_strand(std::unique_ptr<admit_request> r,
                                         std::function<void(std::error_code, admit_result)>&& cb,
                                         bool fields) {
  if (admit_queue.capacity() == 0) admit_queue.reserve(max_admits_per_call);
  admit_queue.push_back({std::move(r), std::move(cb), fields, {}});
  if (admit_flush_posted) return;
  admit_flush_posted = true;
  asio::post(conn->strand(), [self = shared_from_this()] { self->flush_admits(); });
}

void redis_store::state::flush_admits() {
  admit_flush_posted = false;
  std::vector<pending_admit> queued;
  queued.swap(admit_queue);
  admit_queue.swap(admit_spare);  // empty, with the capacity of an earlier flush
  std::vector<std::size_t> by_restore, by_fields;
  for (std::size_t i = 0; i < queued.size(); ++i) {
    auto& p = queued[i];
    // The number key must be an HMAC (it names the suppression bucket) and now must fit the
    // 13-digit admission times of the cap keys.
    auto loc = locate(p.req->message.number_key);
    if (loc && p.req->now_ms >= 0 && p.req->now_ms <= max_admit_now_ms) {
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

void redis_store::state::send_admits(std::vector<pending_admit>& all, const std::vector<std::size_t>& which, bool restore) {
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
      auto p = plan(*one.req);
      append_admit(*one.req, one.loc, p, call);
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
             auto [ec_i, res] = parse_admit(e, *w.p.req, w.plan);
             w.p.cb(ec_i, std::move(res));
           }
         });
  }
}

void redis_store::state::append_admit(const admit_request& r, const sup_location& loc, const admit_plan& p,
                                      admit_call& call) const {
  const auto& m = r.message;
  const bool category_caps = has_caps(r, false), campaign_caps = has_caps(r, true);
  const bool idem = !r.idempotency_key.empty();
  const bool scheduled = p.outcome[0] == 's';
  const bool leased = p.outcome[0] == 'l';
  // The profile: everything the script needs that does not depend on the message or now.
  auto& prof = call.prof;
  prof.clear();
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
  auto& id_key = call.prof_key;
  id_key.clear();
  for (const auto& a : prof) {
    id_key += a;
    id_key += '\0';
  }
  auto it = call.profiles.find(id_key);
  if (it == call.profiles.end()) {
    it = call.profiles.emplace(id_key, std::to_string(++call.profile_keys_count)).first;
    call.profile_keys.push_back(queue_key(m.carrier, scheduled ? "sched" : leased ? "lease" : "ready"));
    call.profile_args.insert(call.profile_args.end(), prof.begin(), prof.end());
  }
  call.keys.push_back(sup_bucket(loc));
  if (r.consent_required) call.keys.push_back(num_key(m.number_key, "con"));
  if (category_caps) call.keys.push_back(num_key(m.number_key, "cap:" + r.category));
  if (campaign_caps) call.keys.push_back(num_key(m.number_key, "capc:" + r.category + field_separator + r.campaign));
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

void redis_store::admit(admit_request req, store_callback<admit_result> cb) {
  on_strand(s_, [s = s_, req = std::make_unique<admit_request>(std::move(req)), cb = std::move(cb)]() mutable {
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
      s->admit_on_strand(std::make_unique<admit_request>(std::move(reqs[i])), [a, i](std::error_code ec, admit_result r) {
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

}  // namespace policy
