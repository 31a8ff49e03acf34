// config_to_json: the active config for GET /keeptrusts/config, never with a secret value.
#include "config/config_json.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "config/loader.h"
#include "config_test_util.h"

namespace kt::config {
namespace {

TEST(ConfigJson, HoldsNoSecretValue) {
  const char* secret = "r8_SuperSecretTokenValue_9f8e7d";
  testing::ScopedEnv token("KT_TEST_JSON_TOKEN", secret);
  testing::ScopedEnv openai("OPENAI_API_KEY", "sk-another-secret-value-123");
  auto r = load_config_text(R"(pack: {name: j, version: 1.0.0, enabled: true}
policies: {chain: [pii-detector, audit-logger]}
policy:
  pii-detector: {redaction: {custom_markers: {EMAIL: '[email]'}}}
  audit-logger: {}
providers:
  targets:
    - {id: r, provider: 'replicate:chat:meta/llama-3-8b', secret_key_ref: {env: KT_TEST_JSON_TOKEN}}
    - {id: o, provider: openai, model: gpt-4o}
)",
                            "j.yaml");
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  std::string json = boost::json::serialize(config_to_json(*r.config));
  EXPECT_EQ(json.find(secret), std::string::npos);
  EXPECT_EQ(json.find("sk-another-secret-value-123"), std::string::npos);
  EXPECT_NE(json.find(R"("secret_key_ref":{"env":"KT_TEST_JSON_TOKEN"})"), std::string::npos);
  EXPECT_NE(json.find(R"("secret_key_ref":{"env":"OPENAI_API_KEY"})"), std::string::npos);
}

TEST(ConfigJson, Shape) {
  auto r = load_config_text(R"(pack: {name: j, version: 1.0.0, enabled: true}
policies: {chain: [prompt-injection]}
providers:
  targets: [{id: o, provider: 'ollama:chat:llama3'}]
  fallback: {triggers: [timeout]}
testing:
  suites:
    - name: s
      cases:
        - name: hello
          input: {messages: [{role: user, content: "hi"}], headers: {x-user: "42"}}
          expected: {verdict: allow}
)",
                            "j.yaml");
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  auto v = config_to_json(*r.config).as_object();
  EXPECT_EQ(v.at("pack").at("name"), "j");
  EXPECT_EQ(v.at("policies").at("chain").as_array().size(), 1u);
  EXPECT_DOUBLE_EQ(v.at("policy").at("prompt-injection").at("threshold").as_double(), 0.5);
  const auto& target = v.at("providers").at("targets").at(0).as_object();
  EXPECT_EQ(target.at("endpoint"), "chat");
  EXPECT_EQ(target.at("base_url"), "http://localhost:11434/v1");
  EXPECT_TRUE(target.at("secret_key_ref").is_null());
  EXPECT_EQ(v.at("providers").at("fallback").at("triggers").at(0), "timeout");
  EXPECT_EQ(v.at("providers").at("routing").at("strategy"), "ordered");
  const auto& input = v.at("testing").at("suites").at(0).at("cases").at(0).at("input");
  EXPECT_EQ(input.at("messages").at(0).at("content"), "hi");
  EXPECT_EQ(input.at("headers").at("x-user"), "42");  // quoted: stays a string
  EXPECT_EQ(v.at("hash").as_string().size(), 64u);
}

}  // namespace
}  // namespace kt::config
