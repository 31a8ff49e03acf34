// Builders for pack, testing and audit (sections.h).
#include <boost/json/serialize.hpp>
#include <regex>

#include "config/sections.h"
#include "config/suggest.h"

namespace kt::config {
namespace {

// SemVer 2.0.0 (semver.org's recommended expression).
bool is_semver(const std::string& v) {
  static const std::regex semver(
      R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))"
      R"((?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?)"
      R"((?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$)");
  return std::regex_match(v, semver);
}

void build_case(Checker& check, const YAML::Node& node, const std::string& path, TestCase& out) {
  if (!check.check_keys(node, path, {"name", "input", "expected"})) return;
  if (check.require(node, "name", path)) check.read_string(node, "name", path, out.name, 200);
  if (check.require(node, "input", path)) {
    std::string input_path = child_path(path, "input");
    YAML::Node input = Checker::get(node, "input");
    if (check.check_keys(input, input_path, {"messages", "headers"}) &&
        check.require(input, "messages", input_path)) {
      YAML::Node messages = Checker::get(input, "messages");
      std::string messages_path = child_path(input_path, "messages");
      if (!messages.IsSequence() || messages.size() == 0) {
        check.error("E004", messages, messages_path,
                    "'" + messages_path + "' must be a non-empty list of messages");
      } else {
        for (std::size_t i = 0; i < messages.size(); ++i) {
          if (!messages[i].IsMap()) {
            check.error("E004", messages[i], index_path(messages_path, i),
                        "A message must be a map such as {role: user, content: \"...\"}");
          }
        }
      }
      YAML::Node headers = Checker::get(input, "headers");
      if (headers.IsDefined() && !headers.IsMap() && !headers.IsNull()) {
        check.error("E004", headers, child_path(input_path, "headers"),
                    "'" + child_path(input_path, "headers") + "' must be a map of header values");
      }
      out.input_json = boost::json::serialize(yaml_to_json(input));
    }
  }
  if (check.require(node, "expected", path)) {
    std::string expected_path = child_path(path, "expected");
    YAML::Node expected = Checker::get(node, "expected");
    if (check.check_keys(expected, expected_path, {"verdict", "reason_code"})) {
      if (check.require(expected, "verdict", expected_path)) {
        check.read_enum(expected, "verdict", expected_path, out.expected_verdict,
                        {"allow", "redact", "block", "escalate"});
      }
      check.read_string(expected, "reason_code", expected_path, out.expected_reason_code, 200);
    }
  }
}

void build_suite(Checker& check, const YAML::Node& node, const std::string& path,
                 const Providers& providers, TestSuite& out) {
  if (!check.check_keys(node, path, {"name", "description", "target", "cases"})) return;
  if (check.require(node, "name", path)) check.read_string(node, "name", path, out.name, 200);
  check.read_string(node, "description", path, out.description, 2000);
  if (check.read_string(node, "target", path, out.target, 200)) {
    std::vector<std::string_view> ids;
    for (const auto& t : providers.targets) ids.push_back(t.id);
    if (std::find(ids.begin(), ids.end(), out.target) == ids.end()) {
      check.error("E004", Checker::get(node, "target"), child_path(path, "target"),
                  "Test suite target '" + out.target + "' is not a target id",
                  did_you_mean(out.target, ids));
    }
  }
  if (!check.require(node, "cases", path)) return;
  YAML::Node cases = Checker::get(node, "cases");
  std::string cases_path = child_path(path, "cases");
  if (!cases.IsSequence()) {
    check.error("E004", cases, cases_path, "'" + cases_path + "' must be a list of test cases");
    return;
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    build_case(check, cases[i], index_path(cases_path, i), out.cases.emplace_back());
  }
}

}  // namespace

void build_pack(Checker& check, const YAML::Node& root, Pack& out) {
  if (!check.require(root, "pack", "")) return;
  YAML::Node pack = Checker::get(root, "pack");
  const std::string path = "pack";
  if (!check.check_keys(pack, path, {"name", "version", "enabled", "description", "author", "id"}))
    return;
  if (pack.IsNull()) {
    check.error("E004", pack, path, "'pack' must give name, version and enabled");
    return;
  }
  if (check.require(pack, "name", path) && check.read_string(pack, "name", path, out.name, 200) &&
      out.name.empty()) {
    check.error("E004", Checker::get(pack, "name"), "pack.name", "'pack.name' must not be empty");
  }
  if (check.require(pack, "version", path)) {
    std::string version;
    if (check.read_string(pack, "version", path, version, 200)) {
      if (is_semver(version)) {
        out.version = version;
      } else {
        check.error("E004", Checker::get(pack, "version"), "pack.version",
                    "'pack.version' is '" + version + "', which is not a SemVer version",
                    "Use MAJOR.MINOR.PATCH, e.g. 1.0.0");
      }
    }
  }
  if (check.require(pack, "enabled", path)) check.read_bool(pack, "enabled", path, out.enabled);
  check.read_string(pack, "description", path, out.description, 2000);
  check.read_string(pack, "author", path, out.author, 200);
  check.read_string(pack, "id", path, out.id, 200);
}

void build_testing(Checker& check, const YAML::Node& root, const Providers& providers,
                   std::vector<TestSuite>& out) {
  YAML::Node testing = Checker::get(root, "testing");
  if (!check.check_keys(testing, "testing", {"suites"})) return;
  YAML::Node suites = Checker::get(testing, "suites");
  if (!suites.IsDefined() || suites.IsNull()) return;
  if (!suites.IsSequence()) {
    check.error("E004", suites, "testing.suites", "'testing.suites' must be a list of suites");
    return;
  }
  for (std::size_t i = 0; i < suites.size(); ++i) {
    build_suite(check, suites[i], index_path("testing.suites", i), providers, out.emplace_back());
  }
}

void build_audit(Checker& check, const YAML::Node& root, Audit& out) {
  YAML::Node audit = Checker::get(root, "audit");
  const std::string path = "audit";
  if (!check.check_keys(audit, path, {"store", "path", "url_env", "durability", "content"})) return;
  check.read_enum(audit, "store", path, out.store, {"sqlite", "postgres"});
  check.read_string(audit, "path", path, out.path);
  if (check.read_string(audit, "url_env", path, out.url_env, 200)) {
    static const std::regex env_name("[A-Za-z_][A-Za-z0-9_]*");
    if (!std::regex_match(out.url_env, env_name)) {
      check.error(
          "E004", Checker::get(audit, "url_env"), "audit.url_env",
          "'audit.url_env' must be an environment variable name, not '" + out.url_env + "'");
    }
  }
  check.read_enum(audit, "durability", path, out.durability, {"sync", "fsync", "async"});
  check.read_enum(audit, "content", path, out.content, {"redacted", "none"});
}

}  // namespace kt::config
