// The seed configs of product-spec §1 (examples/) and the demo config load and lint clean.
#include <gtest/gtest.h>

#include "config/lint.h"
#include "config/loader.h"
#include "config_test_util.h"

namespace kt::config {
namespace {

std::string example(const char* name) { return std::string(KT_SOURCE_DIR) + "/examples/" + name; }

TEST(Seeds, ReplicateGateway) {
  testing::ScopedEnv token("REPLICATE_API_TOKEN", "r8_test");
  auto r = load_config({example("replicate.yaml")});
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.pack.name, "replicate-gateway");
  EXPECT_EQ(c.pack.version, "0.1.0");
  EXPECT_TRUE(c.pack.enabled);
  EXPECT_EQ(c.policies.chain,
            (std::vector<std::string>{"prompt-injection", "pii-detector", "audit-logger"}));
  // No policy blocks: every chained kind runs with its defaults and lint says so.
  EXPECT_TRUE(c.policies.prompt_injection && c.policies.pii_detector && c.policies.audit_logger);
  EXPECT_EQ(r.warnings.size(), 3u) << testing::codes(r.warnings);
  for (const auto& w : r.warnings) EXPECT_EQ(w.code, "W001");
  ASSERT_EQ(c.providers.targets.size(), 1u);
  const auto& t = c.providers.targets[0];
  EXPECT_EQ(t.id, "replicate-llama");
  EXPECT_EQ(t.provider, "replicate");
  EXPECT_EQ(t.endpoint, Endpoint::chat);
  EXPECT_EQ(t.model, "meta/llama-3.3-70b-instruct");
  EXPECT_EQ(t.base_url, "https://api.replicate.com/v1");
  EXPECT_EQ(t.secret_env, "REPLICATE_API_TOKEN");
  EXPECT_EQ(t.format, WireFormat::replicate);
  EXPECT_TRUE(t.credential_present);
}

TEST(Seeds, CustomFineTune) {
  testing::ScopedEnv token("REPLICATE_API_TOKEN", nullptr);
  auto r = load_config({example("replicate-fine-tune.yaml")});
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.pack.name, "replicate-providers-2");
  EXPECT_EQ(c.policies.chain, std::vector<std::string>{"audit-logger"});
  EXPECT_TRUE(c.policies.audit_logger->immutable);
  EXPECT_EQ(c.policies.audit_logger->retention_days, 365);
  EXPECT_TRUE(c.policies.audit_logger->log_all_access);
  const auto& t = c.providers.targets[0];
  EXPECT_EQ(t.model, "your-org/your-fine-tuned-model");
  EXPECT_EQ(t.base_url, "https://api.replicate.com/v1");  // provider default
  EXPECT_FALSE(t.credential_present);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].code, "W002");
}

TEST(Seeds, ReplicatePrimaryOpenAIFallback) {
  testing::ScopedEnv r8("REPLICATE_API_TOKEN", "r8_test");
  testing::ScopedEnv sk("OPENAI_API_KEY", "sk-test");
  auto r = load_config({example("replicate-openai-fallback.yaml")});
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  EXPECT_TRUE(r.warnings.empty()) << testing::codes(r.warnings);
  const auto& targets = r.config->providers.targets;
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[1].id, "openai-fallback");
  EXPECT_EQ(targets[1].provider, "openai");
  EXPECT_EQ(targets[1].model, "gpt-4o");
  EXPECT_FALSE(targets[1].endpoint.has_value());
  EXPECT_EQ(targets[1].base_url, "https://api.openai.com/v1");
  EXPECT_EQ(targets[1].format, WireFormat::openai);
  EXPECT_EQ(r.config->providers.fallback.triggers.size(), 4u);
  EXPECT_EQ(r.config->providers.fallback.max_fallback_attempts, 3);
}

TEST(Seeds, AllExamplesLintClean) {
  testing::ScopedEnv demo("KT_DEMO_KEY", "demo");
  for (const char* name : {"replicate.yaml", "replicate-fine-tune.yaml",
                           "replicate-openai-fallback.yaml", "demo.yaml"}) {
    auto report = lint_files({example(name)});
    EXPECT_EQ(report.exit_code(), 0) << name << "\n" << format_lint_text(report);
    for (const auto& w : report.warnings) {
      EXPECT_TRUE(w.code == "W001" || w.code == "W002") << name << ": " << w.code;
    }
  }
}

TEST(Seeds, DemoPointsAtTheSimulator) {
  testing::ScopedEnv replicate("REPLICATE_API_TOKEN", "r8_demo");
  testing::ScopedEnv openai("OPENAI_API_KEY", "sk-demo");
  auto r = load_config({example("demo.yaml")});
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  EXPECT_TRUE(r.warnings.empty()) << testing::codes(r.warnings);
  const auto& targets = r.config->providers.targets;
  ASSERT_EQ(targets.size(), 3u);
  for (const auto& t : targets) EXPECT_EQ(t.base_url, "http://127.0.0.1:41080/v1") << t.id;
  EXPECT_EQ(targets[0].provider, "replicate");
  EXPECT_EQ(targets[0].model, "meta/meta-llama-3-70b-instruct");
  EXPECT_EQ(targets[1].model, "gpt-4o-mini");
  EXPECT_EQ(r.config->policies.chain.size(), 3u);
}

}  // namespace
}  // namespace kt::config
