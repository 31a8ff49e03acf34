// kt version
#include <iostream>

#include "cli/command.h"

namespace kt::cli {
namespace {
const Command version_cmd{"", [](CLI::App& app) {
  auto* sub = app.add_subcommand("version", "Print the kt version");
  sub->callback([] { std::cout << "kt " << KT_VERSION << "\n"; });
}};
}  // namespace
}  // namespace kt::cli
