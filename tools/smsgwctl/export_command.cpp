// export suppressions|consents [--format csv|jsonl] [--out FILE]: every record, numbers in E.164,
// page by page (bounded memory). The CSV reads back with `import`.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "tools/smsgwctl/commands.hpp"
#include "tools/smsgwctl/context.hpp"
#include "tools/smsgwctl/csv_reader.hpp"
#include "tools/smsgwctl/number_file.hpp"

namespace smsgwctl {
namespace {

struct export_options {
  std::string kind;
  std::string format = "csv";
  std::string out;
  int page = 1000;
};

using nlohmann::json;

int run_export(context& ctx, const export_options& o) {
  std::ofstream file;
  if (!o.out.empty()) {
    file.open(o.out, std::ios::trunc);
    if (!file) {
      std::cerr << "--out " << o.out << ": cannot write: " << std::strerror(errno) << "\n";
      return exit_usage;
    }
  }
  std::ostream& out = o.out.empty() ? std::cout : file;
  const bool csv = o.format == "csv";
  const bool consents = o.kind == "consents";
  if (csv) out << (consents ? "e164,category,sender,source,evidence,at\n" : "e164,sender,reason,source,at\n");
  std::int64_t written = 0;
  std::int64_t without_number = 0;
  std::string cursor;
  do {
    std::error_code ec;
    if (consents) {
      auto [e, page] = ctx.call<policy::export_page<policy::consent_record>>(
          [&](auto cb) { ctx.store().export_consents(cursor, o.page, cb); });
      ec = e;
      cursor = page.cursor;
      for (const auto& c : page.items) {
        if (c.e164.empty()) {
          ++without_number;
          continue;
        }
        ++written;
        if (csv) {
          out << c.e164 << ',' << csv_escape(c.category) << ',' << csv_escape(c.sender) << ',' << csv_escape(c.source)
              << ',' << csv_escape(c.evidence) << ',' << format_time(c.at_ms) << '\n';
        } else {
          out << json{{"e164", c.e164}, {"category", c.category}, {"sender", c.sender}, {"source", c.source},
                      {"evidence", c.evidence}, {"at", format_time(c.at_ms)}}
                     .dump()
              << '\n';
        }
      }
    } else {
      auto [e, page] = ctx.call<policy::export_page<policy::suppression_record>>(
          [&](auto cb) { ctx.store().export_suppressions(cursor, o.page, cb); });
      ec = e;
      cursor = page.cursor;
      for (const auto& s : page.items) {
        if (s.e164.empty()) {
          ++without_number;
          continue;
        }
        ++written;
        if (csv) {
          out << s.e164 << ',' << csv_escape(s.sender) << ',' << csv_escape(s.reason) << ',' << csv_escape(s.source)
              << ',' << format_time(s.at_ms) << '\n';
        } else {
          out << json{{"e164", s.e164}, {"sender", s.sender}, {"reason", s.reason}, {"source", s.source},
                      {"at", format_time(s.at_ms)}}
                     .dump()
              << '\n';
        }
      }
    }
    if (ec) {
      std::cerr << "store: " << ec.message() << "\n";
      return exit_usage;
    }
  } while (!cursor.empty());
  out.flush();
  std::cerr << "exported " << thousands(written) << " " << o.kind;
  if (without_number > 0) {
    std::cerr << "; " << thousands(without_number)
              << " without a readable number skipped (erased numbers keep only their key)";
  }
  std::cerr << "\n";
  return exit_ok;
}

}  // namespace

void add_export_command(CLI::App& app, command& chosen) {
  auto o = std::make_shared<export_options>();
  auto* ex = app.add_subcommand("export", "write every suppression or consent with its E.164 number");
  ex->add_option("KIND", o->kind, "suppressions | consents")
      ->required()
      ->check(CLI::IsMember({"suppressions", "consents"}));
  ex->add_option("--format", o->format, "csv (default) or jsonl")->check(CLI::IsMember({"csv", "jsonl"}));
  ex->add_option("--out", o->out, "output file (default: stdout)");
  ex->add_option("--page", o->page, "records read per store call")->check(CLI::Range(1, 100000));
  ex->callback([o, &chosen] { chosen.run = [o](context& c) { return run_export(c, *o); }; });
}

}  // namespace smsgwctl
