// `kt policy lint` text and JSON output, byte for byte (product-spec §2).
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "config/lint.h"
#include "config_test_util.h"

namespace kt::config {
namespace {

const char* kValid = R"(pack: {name: demo, version: 2.1.0, enabled: true}
policies:
  chain: [prompt-injection, audit-logger]
policy:
  audit-logger: {retention_days: 90}
)";

const char* kInvalid = R"(pack:
  name: demo
  version: 2.1.0
  enabled: true
policies:
  chain:
    - prompt-injections
    - audit-logger
policy:
  audit-logger: {retension_days: 90}
)";

TEST(LintText, ValidWithWarning) {
  auto report = lint_text(kValid, "policy-config.yaml");
  EXPECT_EQ(report.exit_code(), 0);
  EXPECT_EQ(format_lint_text(report),
            "OK policy-config.yaml is valid\n"
            "Pack: demo (v2.1.0)\n"
            "Chain: prompt-injection -> audit-logger\n"
            "Policies validated: 2\n"
            "\n"
            "warning[W001]: Policy 'prompt-injection' has no policy.prompt-injection block; its "
            "defaults apply\n"
            "  --> policies.chain[0] (line 3, column 11)\n"
            "  help: Add a policy.prompt-injection block to configure it\n");
}

TEST(LintText, Invalid) {
  auto report = lint_text(kInvalid, "policy-config.yaml");
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_EQ(format_lint_text(report),
            "X policy-config.yaml has 2 errors\n"
            "\n"
            "error[E001]: Unknown policy kind 'prompt-injections'\n"
            "  --> policies.chain[0] (line 7, column 7)\n"
            "  help: Did you mean 'prompt-injection'?\n"
            "\n"
            "error[E002]: Unknown key 'retension_days'\n"
            "  --> policy.audit-logger.retension_days (line 10, column 18)\n"
            "  help: Did you mean 'retention_days'? Valid keys: immutable, retention_days, "
            "log_all_access, hipaa_audit_controls\n");
}

TEST(LintJson, Invalid) {
  auto report = lint_text(kInvalid, "policy-config.yaml");
  EXPECT_EQ(
      boost::json::serialize(lint_json(report)),
      R"({"valid":false,"file":"policy-config.yaml","pack":{"name":"demo","version":"2.1.0"},)"
      R"("chain":["audit-logger"],"policy_count":1,"errors":[)"
      R"({"code":"E001","path":"policies.chain[0]","line":7,"column":7,)"
      R"("message":"Unknown policy kind 'prompt-injections'",)"
      R"("suggestion":"Did you mean 'prompt-injection'?"},)"
      R"({"code":"E002","path":"policy.audit-logger.retension_days","line":10,"column":18,)"
      R"("message":"Unknown key 'retension_days'","suggestion":"Did you mean 'retention_days'? )"
      R"(Valid keys: immutable, retention_days, log_all_access, hipaa_audit_controls"}],)"
      R"("warnings":[]})");
}

TEST(LintJson, ValidNullSuggestion) {
  auto report = lint_text("pack: {name: p, version: 0.0.1, enabled: false}\n", "c.yaml");
  EXPECT_EQ(boost::json::serialize(lint_json(report)),
            R"({"valid":true,"file":"c.yaml","pack":{"name":"p","version":"0.0.1"},)"
            R"("chain":[],"policy_count":0,"errors":[],"warnings":[]})");
  EXPECT_EQ(format_lint_text(report),
            "OK c.yaml is valid\nPack: p (v0.0.1)\nChain: (empty)\nPolicies validated: 0\n");
}

TEST(LintReadError, ExitCodeOne) {
  auto report = lint_files({"/nonexistent/kt/policy-config.yaml"});
  EXPECT_EQ(report.exit_code(), 1);
  EXPECT_FALSE(report.valid());
  EXPECT_EQ(report.read_error,
            "cannot read '/nonexistent/kt/policy-config.yaml': No such file or directory");
}

}  // namespace
}  // namespace kt::config
