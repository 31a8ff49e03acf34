// kt — entry point. Subcommands live in cmd_*.cpp and register themselves (command.h).
#include <iostream>
#include <map>

#include "cli/command.h"

namespace kt::cli {

namespace {
int g_exit_code = 0;
}

Command::Command(std::string g, std::function<void(CLI::App&)> a)
    : group(std::move(g)), attach(std::move(a)) {
  commands().push_back(this);
}

std::vector<const Command*>& commands() {
  static std::vector<const Command*> all;
  return all;
}
void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

}  // namespace kt::cli

int main(int argc, char** argv) {
  CLI::App app{"kt — a policy-enforcing AI gateway (OpenAI-compatible, Replicate-native)", "kt"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kt ") + KT_VERSION);
  std::map<std::string, CLI::App*> groups{{"", &app}};
  groups["gateway"] = app.add_subcommand("gateway", "Run the gateway")->require_subcommand(1);
  groups["policy"] =
      app.add_subcommand("policy", "Validate and test policy configurations")->require_subcommand(1);
  groups["events"] =
      app.add_subcommand("events", "Read the local decision-event store")->require_subcommand(1);
  groups["audit"] = app.add_subcommand("audit", "Verify the audit hash chain")->require_subcommand(1);
  for (const auto* cmd : kt::cli::commands()) {
    auto it = groups.find(cmd->group);
    if (it != groups.end()) cmd->attach(*it->second);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return kt::cli::exit_code();
}
