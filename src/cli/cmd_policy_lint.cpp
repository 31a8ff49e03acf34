// kt policy lint --file <path> [--file <overlay> ...] [--json]
#include <boost/json/serialize.hpp>
#include <iostream>

#include "cli/command.h"
#include "config/lint.h"

namespace kt::cli {
namespace {

int run(const std::vector<std::string>& files, bool json) {
  auto report = kt::config::lint_files(files);
  if (!report.read_error.empty()) {
    std::cerr << "kt policy lint: " << report.read_error << "\n";
    return report.exit_code();
  }
  if (json) {
    std::cout << boost::json::serialize(kt::config::lint_json(report)) << "\n";
  } else {
    std::cout << kt::config::format_lint_text(report);
  }
  return report.exit_code();
}

const Command lint_cmd{
    "policy", [](CLI::App& group) {
      auto* sub =
          group.add_subcommand("lint", "Validate a policy-config.yaml without starting anything");
      static std::vector<std::string> files;
      static bool json = false;
      sub->add_option("--file,-f", files,
                      "Config file; repeat to layer files (later ones override earlier ones)")
          ->required();
      sub->add_flag("--json", json, "Print the result as JSON");
      sub->footer("Exit codes: 0 valid (warnings allowed), 2 invalid, 1 could not run.");
      sub->callback([] { set_exit_code(run(files, json)); });
    }};

}  // namespace
}  // namespace kt::cli
