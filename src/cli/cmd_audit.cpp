// kt audit verify [--db <path> | --postgres <url>] [--json] — walks every hash chain in the event
// store. Exit 0 when every chain verifies, 2 when one is broken, 1 when the store cannot be read.
#include <cstdlib>
#include <iostream>

#include "audit/open.h"
#include "cli/command.h"

namespace kt::cli {
namespace {

struct VerifyArgs {
  std::string db;
  std::string postgres;
  bool json = false;
};

int run_verify(const VerifyArgs& args) {
  audit::StoreLocation where;
  if (!args.postgres.empty()) {
    where.kind = audit::StoreLocation::Kind::postgres;
    where.url = args.postgres;
  } else {
    const char* env = std::getenv("KT_AUDIT_DB");
    where.path = !args.db.empty() ? args.db : env && *env ? env : audit::kDefaultDbPath;
  }
  audit::VerifyReport report;
  try {
    report = audit::open_store(where, audit::OpenOptions{.read_only = true})->verify();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  if (args.json) {
    boost::json::array breaks;
    for (const auto& b : report.breaks) {
      breaks.push_back(boost::json::object{{"gateway_id", b.gateway_id},
                                           {"event_id", b.event_id},
                                           {"position", b.position},
                                           {"reason", b.reason},
                                           {"detail", b.detail}});
    }
    std::cout << boost::json::serialize(boost::json::object{{"ok", report.ok()},
                                                            {"verified", report.verified},
                                                            {"chains", report.chains},
                                                            {"breaks", std::move(breaks)}})
              << "\n";
  } else if (report.ok()) {
    std::cout << "OK " << report.verified << " events verified in " << report.chains
              << (report.chains == 1 ? " chain" : " chains") << "\n";
  } else {
    std::cout << "X hash chain broken: " << report.verified << " events verified in "
              << report.chains << (report.chains == 1 ? " chain" : " chains") << "\n";
    for (const auto& b : report.breaks) {
      std::cout << "  gateway " << b.gateway_id << ": first broken link at position "
                << b.position << " (event " << b.event_id << "): " << b.reason << "\n"
                << "    " << b.detail << "\n";
    }
  }
  return report.ok() ? 0 : 2;
}

const Command audit_verify_cmd{"audit", [](CLI::App& group) {
  auto args = std::make_shared<VerifyArgs>();
  auto* sub = group.add_subcommand("verify", "Walk the audit hash chain(s) and report any break");
  auto* db = sub->add_option("--db", args->db,
                             "SQLite event store (default: $KT_AUDIT_DB or ./kt-events.db)");
  auto* pg = sub->add_option("--postgres", args->postgres, "PostgreSQL connection string");
  db->excludes(pg);
  sub->add_flag("--json", args->json, "Print the report as JSON");
  sub->callback([args] { set_exit_code(run_verify(*args)); });
}};

}  // namespace
}  // namespace kt::cli
