// command.h — how a subcommand plugs into `kt`. Each src/cli/cmd_*.cpp defines one static
// `Command` that attaches its subcommand to a group ("" = top level, "gateway", "policy",
// "events", "audit"). main() creates the groups, lets every registered command attach itself,
// parses, and exits with the code the command's callback stored through set_exit_code().
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace kt::cli {

struct Command {
  std::string group;
  std::function<void(CLI::App& group_app)> attach;
  Command(std::string group, std::function<void(CLI::App&)> attach);
};

std::vector<const Command*>& commands();
void set_exit_code(int code);
int exit_code();

}  // namespace kt::cli
