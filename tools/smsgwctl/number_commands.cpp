// lookup, suppress, unsuppress, consent grant|revoke|show: one number at a time.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "tools/smsgwctl/cli_checks.hpp"
#include "tools/smsgwctl/commands.hpp"
#include "tools/smsgwctl/context.hpp"

namespace smsgwctl {
namespace {

using nlohmann::json;

struct number_options {
  std::string number;
  std::string region;
  std::string sender;
  std::string reason;
  std::string category;
  std::string source;
  std::string evidence;
  bool as_json = false;
};

// Resolves the NUMBER argument; prints the error (naming the argument) when invalid.
std::optional<policy::phone_number_info> resolve(context& ctx, const number_options& o) {
  std::string error;
  auto n = number_argument(o.number, o.region.empty() ? ctx.default_region() : o.region, error);
  if (!n) std::cerr << error << "\n";
  return n;
}

std::string who(const std::string& sender) { return sender.empty() ? "all senders (global)" : "sender " + sender; }

int report_store_error(std::error_code ec) {
  std::cerr << "store: " << ec.message() << "\n";
  return exit_usage;
}

json facts_json(context& ctx, const policy::phone_number_info& n, const policy::number_facts& f) {
  json out;
  out["e164"] = n.e164;
  out["valid"] = n.valid;
  out["region"] = n.region;
  out["type"] = policy::to_string(n.type);
  out["timezones"] = n.timezones;
  out["jurisdiction"] = n.jurisdiction;
  out["can_receive_sms"] = policy::check_number(n, ctx.policy().sms_types) == policy::reason::none;
  json suppressions = json::array();
  for (const auto& s : f.suppressions) {
    suppressions.push_back({{"sender", s.sender.empty() ? json(nullptr) : json(s.sender)},
                            {"reason", s.reason},
                            {"source", s.source},
                            {"at", format_time(s.at_ms)}});
  }
  json consents = json::array();
  for (const auto& c : f.consents) {
    consents.push_back({{"category", c.category},
                        {"sender", c.sender.empty() ? json(nullptr) : json(c.sender)},
                        {"source", c.source},
                        {"at", format_time(c.at_ms)}});
  }
  json ledger = json::array();
  for (const auto& e : f.ledger) {
    ledger.push_back({{"event", e.granted ? "granted" : "revoked"},
                      {"category", e.record.category},
                      {"sender", e.record.sender.empty() ? json(nullptr) : json(e.record.sender)},
                      {"source", e.record.source},
                      {"evidence", e.record.evidence},
                      {"at", format_time(e.record.at_ms)}});
  }
  out["suppressed"] = !f.suppressions.empty();
  out["suppressions"] = std::move(suppressions);
  out["consents"] = std::move(consents);
  out["consent_ledger"] = std::move(ledger);
  return out;
}

int lookup(context& ctx, const number_options& o) {
  auto n = resolve(ctx, o);
  if (!n) return exit_usage;
  auto [ec, f] = ctx.call<policy::number_facts>(
      [&](auto cb) { ctx.store().lookup_number(ctx.secrets().key(n->e164), cb); });
  if (ec) return report_store_error(ec);
  json j = facts_json(ctx, *n, f);
  if (o.as_json) {
    std::cout << j.dump(2) << "\n";
    return exit_ok;
  }
  std::cout << n->e164 << "\n";
  std::cout << "  region:       " << n->region << " (" << n->jurisdiction << ")\n";
  std::cout << "  type:         " << policy::to_string(n->type)
            << (j["can_receive_sms"].get<bool>() ? " (can receive SMS)" : " (cannot receive SMS)") << "\n";
  std::cout << "  time zones:   ";
  for (std::size_t i = 0; i < n->timezones.size(); ++i) std::cout << (i ? ", " : "") << n->timezones[i];
  std::cout << "\n  suppressed:   " << (f.suppressions.empty() ? "no" : "yes") << "\n";
  for (const auto& s : f.suppressions) {
    std::cout << "    " << who(s.sender) << ": reason " << s.reason << ", source " << s.source << ", at "
              << format_time(s.at_ms) << "\n";
  }
  std::cout << "  consents:     " << (f.consents.empty() ? "none" : "") << "\n";
  for (const auto& c : f.consents) {
    std::cout << "    " << c.category << " for " << who(c.sender) << ": source " << c.source << ", at "
              << format_time(c.at_ms) << "\n";
  }
  if (!f.ledger.empty()) std::cout << "  consent ledger:\n";
  for (const auto& e : f.ledger) {
    std::cout << "    " << format_time(e.record.at_ms) << " " << (e.granted ? "granted " : "revoked ")
              << e.record.category << " for " << who(e.record.sender) << " (source " << e.record.source
              << (e.record.evidence.empty() ? "" : ", evidence " + e.record.evidence) << ")\n";
  }
  return exit_ok;
}

int suppress(context& ctx, const number_options& o) {
  auto n = resolve(ctx, o);
  if (!n) return exit_usage;
  policy::suppression_record rec;
  rec.number_key = ctx.secrets().key(n->e164);
  rec.e164 = n->e164;
  rec.sender = o.sender;
  rec.reason = o.reason.empty() ? "cli" : o.reason;
  rec.source = "cli:" + ctx.actor();
  rec.at_ms = ctx.now_ms();
  auto [ec, d] = ctx.call<policy::done>([&](auto cb) { ctx.store().suppress(rec, cb); });
  if (ec) return report_store_error(ec);
  std::cout << "suppressed " << n->e164 << " for " << who(o.sender) << " (reason " << rec.reason << ", by "
            << ctx.actor() << " at " << format_time(rec.at_ms) << ")\n";
  return exit_ok;
}

int unsuppress(context& ctx, const number_options& o) {
  auto n = resolve(ctx, o);
  if (!n) return exit_usage;
  auto [ec, removed] = ctx.call<bool>(
      [&](auto cb) { ctx.store().unsuppress(ctx.secrets().key(n->e164), o.sender, cb); });
  if (ec) return report_store_error(ec);
  if (!removed) {
    std::cout << "no suppression of " << n->e164 << " for " << who(o.sender) << ": nothing changed\n";
    return exit_ok;
  }
  std::cout << "removed the suppression of " << n->e164 << " for " << who(o.sender) << " (by " << ctx.actor()
            << " at " << format_time(ctx.now_ms()) << ")\n";
  return exit_ok;
}

int consent(context& ctx, const number_options& o, const std::string& action) {
  auto n = resolve(ctx, o);
  if (!n) return exit_usage;
  const std::string nk = ctx.secrets().key(n->e164);
  if (action == "show") {
    auto [ec, f] = ctx.call<policy::number_facts>([&](auto cb) { ctx.store().lookup_number(nk, cb); });
    if (ec) return report_store_error(ec);
    bool any = false;
    for (const auto& c : f.consents) {
      if (!o.category.empty() && c.category != o.category) continue;
      if (!o.sender.empty() && c.sender != o.sender && !c.sender.empty()) continue;
      any = true;
      std::cout << n->e164 << " " << c.category << " for " << who(c.sender) << ": granted at " << format_time(c.at_ms)
                << " (source " << c.source << (c.evidence.empty() ? "" : ", evidence " + c.evidence) << ")\n";
    }
    if (!any) std::cout << n->e164 << ": no active consent" << (o.category.empty() ? "" : " for " + o.category) << "\n";
    for (const auto& e : f.ledger) {
      if (!o.category.empty() && e.record.category != o.category) continue;
      std::cout << "  ledger " << format_time(e.record.at_ms) << " " << (e.granted ? "granted " : "revoked ")
                << e.record.category << " for " << who(e.record.sender) << " (source " << e.record.source << ")\n";
    }
    return exit_ok;
  }
  if (o.category.empty()) {
    std::cerr << "--category: required for consent " << action << "\n";
    return exit_usage;
  }
  if (!ctx.config().policy.find_category(o.category)) {
    std::cerr << "--category: \"" << o.category << "\" is not a category of the configuration\n";
    return exit_usage;
  }
  policy::consent_record rec;
  rec.number_key = nk;
  rec.e164 = n->e164;
  rec.category = o.category;
  rec.sender = o.sender;
  rec.source = o.source.empty() ? "cli:" + ctx.actor() : o.source;
  rec.evidence = o.evidence.empty() ? "smsgwctl consent " + action + " by " + ctx.actor() : o.evidence;
  rec.at_ms = ctx.now_ms();
  if (action == "grant") {
    auto [ec, d] = ctx.call<policy::done>([&](auto cb) { ctx.store().grant_consent(rec, cb); });
    if (ec) return report_store_error(ec);
    std::cout << "granted " << o.category << " consent for " << n->e164 << " (" << who(o.sender) << ")\n";
    return exit_ok;
  }
  auto [ec, removed] = ctx.call<bool>([&](auto cb) { ctx.store().revoke_consent(rec, cb); });
  if (ec) return report_store_error(ec);
  std::cout << (removed ? "revoked " : "no active consent to revoke; recorded the revocation of ") << o.category
            << " consent for " << n->e164 << " (" << who(o.sender) << ")\n";
  return exit_ok;
}

void number_arg(CLI::App* sub, number_options& o) {
  sub->add_option("NUMBER", o.number, "phone number (E.164, or national with --region)")->required();
  sub->add_option("--region", o.region, "region for a national number (default: policy.default_region)")
      ->transform(country_region());
}

}  // namespace

void add_number_commands(CLI::App& app, command& chosen) {
  auto o = std::make_shared<number_options>();

  auto* lk = app.add_subcommand("lookup", "what is stored for a number (as GET /v1/numbers/{n})");
  number_arg(lk, *o);
  lk->add_flag("--json", o->as_json, "JSON output");
  lk->callback([o, &chosen] { chosen.run = [o](context& c) { return lookup(c, *o); }; });

  auto* su = app.add_subcommand("suppress", "suppress a number (source cli:<actor>)");
  number_arg(su, *o);
  su->add_option("--sender", o->sender, "only for this sender (default: global)")
      ->check(non_empty_sender());
  su->add_option("--reason", o->reason, "reason recorded (default: cli)");
  su->callback([o, &chosen] { chosen.run = [o](context& c) { return suppress(c, *o); }; });

  auto* un = app.add_subcommand("unsuppress", "remove a suppression");
  number_arg(un, *o);
  un->add_option("--sender", o->sender, "the sender's suppression (default: the global one)")
      ->check(non_empty_sender());
  un->callback([o, &chosen] { chosen.run = [o](context& c) { return unsuppress(c, *o); }; });

  auto* co = app.add_subcommand("consent", "the consent ledger: grant, revoke, show");
  co->require_subcommand(1);
  for (const char* action : {"grant", "revoke", "show"}) {
    auto* a = co->add_subcommand(action, std::string(action) + " consent");
    number_arg(a, *o);
    a->add_option("--category", o->category, "consent category (required for grant and revoke)");
    a->add_option("--sender", o->sender, "per-sender consent (default: every sender)")
        ->check(non_empty_sender());
    a->add_option("--source", o->source, "source recorded (default: cli:<actor>)");
    a->add_option("--evidence", o->evidence, "evidence recorded (form id, call recording, ...)");
    std::string act = action;
    a->callback([o, a, act, &chosen] {
      if (act == "show") {  // show records nothing: a --source or --evidence would be lost
        for (const char* option : {"--source", "--evidence"}) {
          refuse_if_given(*a, option, "only applies to consent grant and revoke (consent show records nothing)");
        }
      }
      chosen.run = [o, act](context& c) { return consent(c, *o, act); };
    });
  }
}

}  // namespace smsgwctl
