// sections.h — the builders that turn each top-level section of the merged document into its
// typed part of Config. Internal to the config module (loader.cpp calls them in this order).
// Each records its problems in the Checker and fills what it could read, defaults elsewhere.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/checker.h"
#include "config/config.h"

namespace kt::config {

void build_pack(Checker& check, const YAML::Node& root, Pack& out);
void build_policies(Checker& check, const YAML::Node& root, Policies& out);
// Reads `providers` and the deprecated top-level aliases `provider_fallback`/`provider_routing`.
void build_providers(Checker& check, const YAML::Node& root, Providers& out);
// Needs the targets to check `suites[].target`.
void build_testing(Checker& check, const YAML::Node& root, const Providers& providers,
                   std::vector<TestSuite>& out);
void build_audit(Checker& check, const YAML::Node& root, Audit& out);

// Rejects a regex list entry that is empty, too long, or not a syntactically valid regular
// expression (ECMAScript grammar; a leading inline-flag group such as `(?i)` is allowed).
void check_patterns(Checker& check, const YAML::Node& list, const std::string& path,
                    const std::vector<std::string>& patterns);

}  // namespace kt::config
