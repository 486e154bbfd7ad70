// purge, erase, queue stats, dead-letters list|replay.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "gateway/store_setup.hpp"
#include "tools/smsgwctl/cli_checks.hpp"
#include "tools/smsgwctl/commands.hpp"
#include "tools/smsgwctl/context.hpp"
#include "tools/smsgwctl/number_file.hpp"

namespace smsgwctl {
namespace {

struct maintenance_options {
  bool dry_run = false;
  std::string number;
  std::string region;
  bool yes = false;
  std::string id;
  int max = 100;
};

int store_failed(std::error_code ec) {
  std::cerr << "store: " << ec.message() << "\n";
  return exit_usage;
}

int purge(context& ctx, const maintenance_options& o) {
  auto req = gateway::make_purge_request(ctx.config(), ctx.now_ms(), o.dry_run);
  auto [ec, r] = ctx.call<policy::purge_result>([&](auto cb) { ctx.store().purge(req, cb); });
  if (ec) return store_failed(ec);
  const auto& ret = ctx.config().retention;
  std::cout << (o.dry_run ? "purge --dry-run (nothing removed) at " : "purge at ") << format_time(ctx.now_ms()) << "\n"
            << "  message bodies (final > " << ret.message_bodies.count() / 86400 << " d):    " << thousands(r.bodies)
            << "\n"
            << "  message records (final > " << ret.message_records.count() / 86400 << " d):  " << thousands(r.records)
            << "\n"
            << "  idempotency keys (expired):       " << thousands(r.idempotency_keys) << "\n"
            << "  receipt correlations (expired):   " << thousands(r.correlations) << "\n"
            << "  cap reservations (outside every window): " << thousands(r.cap_events) << "\n";
  if (ctx.redis()) {
    std::cout << "  (Redis expires idempotency keys, correlations and cap sets by itself)\n";
  }
  std::cout << "  suppressions and consent revocations never expire\n";
  return exit_ok;
}

int erase(context& ctx, const maintenance_options& o) {
  std::string error;
  auto n = number_argument(o.number, o.region.empty() ? ctx.default_region() : o.region, error);
  if (!n) {
    std::cerr << error << "\n";
    return exit_usage;
  }
  auto [ec, r] = ctx.call<policy::erase_result>(
      [&](auto cb) { ctx.store().erase_number(ctx.secrets().key(n->e164), "cli:" + ctx.actor(), ctx.now_ms(), cb); });
  if (ec) return store_failed(ec);
  std::cout << "erased " << n->e164 << " (by " << ctx.actor() << " at " << format_time(ctx.now_ms()) << ")\n"
            << "  consents removed:        " << r.consents << "\n"
            << "  ledger entries removed:  " << r.ledger_entries << "\n"
            << "  messages removed:        " << r.messages << "\n"
            << "  suppressions replaced:   " << r.suppressions << "\n"
            << "  kept: one global suppression with reason \"erased\" (keyed by HMAC, no readable number)\n";
  return exit_ok;
}

int queue_stats(context& ctx) {
  if (ctx.config().carriers.empty()) {
    std::cout << "no carriers configured\n";
    return exit_ok;
  }
  std::printf("%-20s %10s %10s %10s %14s\n", "carrier", "ready", "scheduled", "leased", "oldest age (s)");
  for (const auto& c : ctx.config().carriers) {
    auto [ec, s] = ctx.call<policy::store::queue_stats>([&](auto cb) { ctx.store().stats(c.name, ctx.now_ms(), cb); });
    if (ec) return store_failed(ec);
    const double age = s.oldest_ready_ms > 0 ? static_cast<double>(ctx.now_ms() - s.oldest_ready_ms) / 1000.0 : 0.0;
    std::printf("%-20s %10lld %10lld %10lld %14.1f\n", c.name.c_str(), static_cast<long long>(s.ready),
                static_cast<long long>(s.scheduled), static_cast<long long>(s.leased), age);
  }
  return exit_ok;
}

int dead_letters_list(context& ctx, const maintenance_options& o) {
  auto [ec, events] = ctx.call<std::vector<policy::webhook_event>>(
      [&](auto cb) { ctx.store().dead_letters(o.max, cb); });
  if (ec) return store_failed(ec);
  if (events.empty()) std::cout << "no dead letters\n";
  for (const auto& e : events) {
    std::cout << e.event_id << "  " << e.kind << "  " << e.target << "  attempts " << e.attempts << "  created "
              << format_time(e.created_at_ms) << "  last error: " << e.last_error << "\n";
  }
  return exit_ok;
}

int dead_letters_replay(context& ctx, const maintenance_options& o) {
  std::vector<std::string> ids;
  if (!o.id.empty()) {
    ids.push_back(o.id);
  } else {
    auto [ec, events] = ctx.call<std::vector<policy::webhook_event>>(
        [&](auto cb) { ctx.store().dead_letters(o.max, cb); });
    if (ec) return store_failed(ec);
    for (const auto& e : events) ids.push_back(e.event_id);
  }
  int replayed = 0;
  for (const auto& id : ids) {
    auto [ec, ok] = ctx.call<bool>([&](auto cb) { ctx.store().replay_dead_letter(id, ctx.now_ms(), cb); });
    if (ec) return store_failed(ec);
    if (!ok) {
      std::cerr << "--id " << id << ": not a dead letter\n";
      return exit_usage;
    }
    ++replayed;
  }
  std::cout << "replayed " << replayed << " dead letter" << (replayed == 1 ? "" : "s")
            << " (the gateway delivers them again)\n";
  return exit_ok;
}

}  // namespace

void add_maintenance_commands(CLI::App& app, command& chosen) {
  auto o = std::make_shared<maintenance_options>();

  auto* pu = app.add_subcommand("purge", "apply the retention policy now (the gateway also does it every purge_interval)");
  pu->add_flag("--dry-run", o->dry_run, "count what would be removed, remove nothing");
  pu->callback([o, &chosen] { chosen.run = [o](context& c) { return purge(c, *o); }; });

  auto* er = app.add_subcommand("erase", "right to erasure: delete consents, message history and bodies of a number");
  er->add_option("NUMBER", o->number, "phone number (E.164, or national with --region)")->required();
  er->add_option("--region", o->region, "region for a national number (default: policy.default_region)")
      ->transform(country_region());
  er->callback([o, &chosen] { chosen.run = [o](context& c) { return erase(c, *o); }; });

  auto* qu = app.add_subcommand("queue", "the outbound queue");
  qu->require_subcommand(1);
  auto* st = qu->add_subcommand("stats", "queue depth and oldest age per carrier");
  st->callback([&chosen] { chosen.run = [](context& c) { return queue_stats(c); }; });

  auto* dl = app.add_subcommand("dead-letters", "webhook events that exhausted their retries");
  dl->require_subcommand(1);
  auto* li = dl->add_subcommand("list", "list dead letters, oldest first");
  li->add_option("--max", o->max, "at most this many")->check(CLI::Range(1, 100000));
  li->callback([o, &chosen] { chosen.run = [o](context& c) { return dead_letters_list(c, *o); }; });
  auto* re = dl->add_subcommand("replay", "send dead letters again (one with --id, else all listed)");
  re->add_option("--id", o->id, "the event id to replay");
  re->add_option("--max", o->max, "without --id: at most this many")->check(CLI::Range(1, 100000));
  re->callback([o, re, &chosen] {
    if (re->count("--id") > 0) refuse_if_given(*re, "--max", "only applies without --id (--id replays that one event)");
    chosen.run = [o](context& c) { return dead_letters_replay(c, *o); };
  });
}

}  // namespace smsgwctl
