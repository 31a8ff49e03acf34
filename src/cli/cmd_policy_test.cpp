// kt policy test [--json] [--pack-dir <dir>] [--policy-config <file>]
//
// Runs golden tests through the INPUT policy chain only, never calling a provider (product-spec
// §2): every `<pack-dir>/tests/*.json` (one case object, or an array of them:
// {name, input:{messages, headers?}, expected:{verdict, reason_code?}}) and every inline
// `testing.suites[].cases[]` of the config. Exit codes: 0 all passed, 1 a test failed or none
// were found or the config could not be read, 2 the config is invalid.
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "config/lint.h"
#include "config/loader.h"
#include "gateway/exchange.h"
#include "policies/chain.h"

namespace kt::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct GoldenCase {
  std::string name;
  json::value input;  // {messages, headers?}
  std::string expected_verdict, expected_reason_code;
  std::string error;  // the case could not be read; it fails with this message
};

struct CaseResult {
  std::string name, verdict, reason_code;
  bool passed = false;
  json::object details;
};

bool is_verdict(std::string_view v) {
  return v == "allow" || v == "redact" || v == "block" || v == "escalate";
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

GoldenCase case_from_json(const json::value& v, const std::string& fallback_name) {
  GoldenCase c;
  c.name = fallback_name;
  const auto* o = v.if_object();
  if (!o) {
    c.error = "a test case must be a JSON object";
    return c;
  }
  if (auto n = string_field(*o, "name"); !n.empty()) c.name = n;
  const auto* input = o->if_contains("input");
  if (!input || !input->is_object() || !input->as_object().contains("messages") ||
      !input->as_object().at("messages").is_array()) {
    c.error = "'input.messages' must be an array of messages";
    return c;
  }
  c.input = *input;
  const auto* expected = o->if_contains("expected");
  if (!expected || !expected->is_object()) {
    c.error = "'expected' must be an object with a 'verdict'";
    return c;
  }
  c.expected_verdict = string_field(expected->as_object(), "verdict");
  c.expected_reason_code = string_field(expected->as_object(), "reason_code");
  if (!is_verdict(c.expected_verdict)) {
    c.error = "'expected.verdict' must be one of allow, redact, block, escalate";
  }
  return c;
}

// Reads <dir>/tests/*.json in file-name order.
std::vector<GoldenCase> load_golden_files(const fs::path& dir) {
  std::vector<GoldenCase> cases;
  fs::path tests = dir / "tests";
  std::error_code ec;
  if (!fs::is_directory(tests, ec)) return cases;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(tests, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string label = "tests/" + file.filename().string();
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    json::error_code jec;
    json::value doc = json::parse(ss.str(), jec);
    if (!in || jec) {
      GoldenCase bad;
      bad.name = label;
      bad.error = "cannot parse " + label + ": " + (jec ? jec.message() : "unreadable");
      cases.push_back(std::move(bad));
      continue;
    }
    if (const auto* arr = doc.if_array()) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        cases.push_back(case_from_json((*arr)[i], label + "[" + std::to_string(i) + "]"));
      }
    } else {
      cases.push_back(case_from_json(doc, label));
    }
  }
  return cases;
}

std::vector<GoldenCase> inline_cases(const config::Config& cfg) {
  std::vector<GoldenCase> cases;
  for (const auto& suite : cfg.testing) {
    for (const auto& tc : suite.cases) {
      GoldenCase c;
      c.name = suite.name + "/" + tc.name;
      json::error_code ec;
      c.input = json::parse(tc.input_json, ec);
      if (ec) c.error = "invalid input: " + ec.message();
      c.expected_verdict = tc.expected_verdict;
      c.expected_reason_code = tc.expected_reason_code;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

json::array policy_results_json(const gateway::Exchange& ex) {
  json::array out;
  for (const auto& r : ex.policies) {
    out.push_back(json::object{{"kind", r.kind},
                               {"phase", gateway::to_string(r.phase)},
                               {"verdict", r.verdict},
                               {"reason_code", r.reason_code},
                               {"latency_us", r.latency_us},
                               {"findings", r.findings},
                               {"degraded", r.degraded}});
  }
  return out;
}

CaseResult run_case(const GoldenCase& c, const policies::PolicyChain& chain,
                    const config::ConfigPtr& cfg, std::size_t index) {
  CaseResult r;
  r.name = c.name;
  if (!c.error.empty()) {
    r.verdict = "error";
    r.details["error"] = c.error;
    return r;
  }
  gateway::Exchange ex;
  ex.request_id = "policy-test-" + std::to_string(index);
  ex.config = cfg;
  ex.model = "policy-test";
  ex.body = json::object{{"model", ex.model}, {"messages", c.input.at("messages")}};
  if (const auto* headers = c.input.as_object().if_contains("headers"); headers && headers->is_object()) {
    if (const auto* user = headers->as_object().if_contains("x-user-id"); user && user->is_string()) {
      ex.user_id = std::string(user->get_string());
    }
  }
  chain.run_input(ex, policies::FailMode::block);
  r.verdict = gateway::to_string(ex.verdict);
  r.reason_code = ex.reason_code;
  r.passed = r.verdict == c.expected_verdict &&
             (c.expected_reason_code.empty() || r.reason_code == c.expected_reason_code);
  r.details["policy_results"] = policy_results_json(ex);
  if (!r.passed) {
    r.details["expected"] = json::object{{"verdict", c.expected_verdict},
                                         {"reason_code", c.expected_reason_code}};
  }
  return r;
}

void print_table(const std::vector<CaseResult>& results, const std::vector<GoldenCase>& cases) {
  std::size_t width = 4;
  for (const auto& r : results) width = std::max(width, r.name.size());
  std::size_t passed = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    passed += r.passed ? 1 : 0;
    std::cout << (r.passed ? "PASS  " : "FAIL  ") << r.name
              << std::string(width - r.name.size() + 2, ' ') << r.verdict;
    if (!r.reason_code.empty()) std::cout << " (" << r.reason_code << ")";
    if (!r.passed) {
      if (!cases[i].error.empty()) {
        std::cout << "  error: " << cases[i].error;
      } else {
        std::cout << "  expected " << cases[i].expected_verdict;
        if (!cases[i].expected_reason_code.empty()) {
          std::cout << " (" << cases[i].expected_reason_code << ")";
        }
      }
    }
    std::cout << "\n";
  }
  std::cout << "\n" << passed << " passed, " << results.size() - passed << " failed\n";
}

int run(bool as_json, const std::string& pack_dir, std::string config_file) {
  if (config_file.empty()) config_file = (fs::path(pack_dir) / "policy-config.yaml").string();
  config::LoadResult loaded = config::load_config({config_file});
  if (!loaded.read_error.empty()) {
    std::cerr << "kt policy test: " << loaded.read_error << "\n";
    return 1;
  }
  if (!loaded.ok()) {
    std::cerr << config::format_lint_text(config::lint_files({config_file}));
    return 2;
  }
  std::unique_ptr<policies::PolicyChain> chain;
  try {
    chain = std::make_unique<policies::PolicyChain>(*loaded.config);
  } catch (const std::exception& e) {
    std::cerr << "kt policy test: " << config_file << ": " << e.what() << "\n";
    return 2;
  }
  std::vector<GoldenCase> cases = load_golden_files(pack_dir);
  std::vector<GoldenCase> inline_ones = inline_cases(*loaded.config);
  cases.insert(cases.end(), inline_ones.begin(), inline_ones.end());
  if (cases.empty()) {
    std::cerr << "kt policy test: no tests found (neither " << (fs::path(pack_dir) / "tests")
              << "/*.json nor testing.suites in " << config_file << ")\n";
    return 1;
  }
  std::vector<CaseResult> results;
  bool ok = true;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    results.push_back(run_case(cases[i], *chain, loaded.config, i));
    ok = ok && results.back().passed;
  }
  if (as_json) {
    json::array arr;
    for (auto& r : results) {
      arr.push_back(json::object{{"name", r.name},
                                 {"verdict", r.verdict},
                                 {"reason_code", r.reason_code},
                                 {"passed", r.passed},
                                 {"details", std::move(r.details)}});
    }
    std::cout << json::serialize(json::object{{"ok", ok}, {"results", std::move(arr)}}) << "\n";
  } else {
    print_table(results, cases);
  }
  return ok ? 0 : 1;
}

const Command policy_test_cmd{
    "policy", [](CLI::App& group) {
      auto* sub = group.add_subcommand(
          "test", "Run golden tests (tests/*.json and testing.suites) through the input chain");
      static bool as_json = false;
      static std::string pack_dir = ".";
      static std::string config_file;
      sub->add_flag("--json", as_json, "Print {ok, results} as JSON");
      sub->add_option("--pack-dir", pack_dir, "Directory with policy-config.yaml and tests/")
          ->capture_default_str();
      sub->add_option("--policy-config", config_file,
                      "Config file (default: <pack-dir>/policy-config.yaml)");
      sub->footer(
          "No provider is called. Exit codes: 0 all passed, 1 a test failed, no tests were found "
          "or the config could not be read, 2 the config is invalid.");
      sub->callback([] { set_exit_code(run(as_json, pack_dir, config_file)); });
    }};

}  // namespace
}  // namespace kt::cli
