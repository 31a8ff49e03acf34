// Provider shorthand parsing and the per-provider defaults.
#include "config/provider_catalog.h"

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace kt::config {
namespace {

const std::string kHash(64, 'a');

TEST(ParseProvider, BareId) {
  auto p = parse_provider("openai");
  EXPECT_TRUE(p.error.empty());
  EXPECT_EQ(p.provider, "openai");
  EXPECT_FALSE(p.endpoint.has_value());
  EXPECT_EQ(p.model, "");
}

TEST(ParseProvider, OwnerModel) {
  auto p = parse_provider("replicate:chat:meta/llama-3.3-70b-instruct");
  EXPECT_TRUE(p.error.empty());
  EXPECT_EQ(p.provider, "replicate");
  EXPECT_EQ(p.endpoint, Endpoint::chat);
  EXPECT_EQ(p.model, "meta/llama-3.3-70b-instruct");
}

TEST(ParseProvider, VersionedModelKeepsItsColon) {
  auto p = parse_provider("replicate:image:stability-ai/sdxl:" + kHash);
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.endpoint, Endpoint::image);
  EXPECT_EQ(p.model, "stability-ai/sdxl:" + kHash);
}

TEST(ParseProvider, DeploymentAndPlainAndOtherEndpoints) {
  auto d = parse_provider("replicate:completion:deployments/acme/my-llm");
  EXPECT_EQ(d.endpoint, Endpoint::completion);
  EXPECT_EQ(d.model, "deployments/acme/my-llm");
  auto plain = parse_provider("openai:chat:gpt-4o");
  EXPECT_EQ(plain.provider, "openai");
  EXPECT_EQ(plain.model, "gpt-4o");
  auto embedding = parse_provider("openai:embedding:text-embedding-3-small");
  EXPECT_EQ(embedding.endpoint, Endpoint::embedding);
  auto tagged = parse_provider("ollama:chat:llama3.2:3b");
  EXPECT_EQ(tagged.model, "llama3.2:3b");
}

TEST(ParseProvider, Malformed) {
  for (const char* bad :
       {"", ":chat:x", "replicate:", "replicate:chat", "replicate:chat:", "replicate:video:a/b",
        "Replicate:chat:a/b", "open ai", "replicate:chat:a b"}) {
    auto p = parse_provider(bad);
    EXPECT_FALSE(p.error.empty()) << "'" << bad << "' should be rejected";
    EXPECT_TRUE(p.provider.empty()) << bad;
  }
}

TEST(ReplicateModel, Forms) {
  std::string error;
  auto official = parse_replicate_model("meta/llama-3.3-70b-instruct", &error);
  ASSERT_TRUE(official);
  EXPECT_EQ(official->kind, ReplicateModel::Kind::official);
  EXPECT_EQ(official->owner, "meta");
  EXPECT_EQ(official->name, "llama-3.3-70b-instruct");

  auto versioned = parse_replicate_model("stability-ai/sdxl:" + kHash, &error);
  ASSERT_TRUE(versioned);
  EXPECT_EQ(versioned->kind, ReplicateModel::Kind::version);
  EXPECT_EQ(versioned->version, kHash);

  auto deployment = parse_replicate_model("deployments/acme/my-llm", &error);
  ASSERT_TRUE(deployment);
  EXPECT_EQ(deployment->kind, ReplicateModel::Kind::deployment);
  EXPECT_EQ(deployment->owner, "acme");
  EXPECT_EQ(deployment->name, "my-llm");

  for (std::string bad :
       {std::string("llama"), std::string("a/b:123"), std::string("/b"), std::string("a/"),
        std::string("deployments/a/b:") + kHash, std::string("a/b:") + std::string(64, 'G')}) {
    EXPECT_FALSE(parse_replicate_model(bad, &error)) << bad;
    EXPECT_NE(error.find("expected owner/name"), std::string::npos);
  }
}

TEST(ProviderDefaults, Catalog) {
  struct Expect {
    const char *id, *base_url, *env;
    WireFormat format;
  };
  for (const auto& e : std::vector<Expect>{
           {"replicate", "https://api.replicate.com/v1", "REPLICATE_API_TOKEN",
            WireFormat::replicate},
           {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY", WireFormat::openai},
           {"together", "https://api.together.xyz/v1", "TOGETHER_API_KEY", WireFormat::openai},
           {"mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", WireFormat::openai},
           {"groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", WireFormat::openai},
           {"fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY",
            WireFormat::openai},
           {"deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", WireFormat::openai},
           {"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", WireFormat::openai},
           {"perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY", WireFormat::openai},
           {"xai", "https://api.x.ai/v1", "XAI_API_KEY", WireFormat::openai},
           {"ollama", "http://localhost:11434/v1", "", WireFormat::openai}}) {
    const auto* d = provider_defaults(e.id);
    ASSERT_NE(d, nullptr) << e.id;
    EXPECT_EQ(d->base_url, e.base_url) << e.id;
    EXPECT_EQ(d->secret_env, e.env) << e.id;
    EXPECT_EQ(d->format, e.format) << e.id;
  }
  EXPECT_EQ(provider_defaults("anthropic-ish"), nullptr);
  EXPECT_EQ(provider_defaults("replicate")->stream_hosts.size(), 3u);
}

TEST(Targets, DefaultsAreResolvedIntoTheTarget) {
  testing::ScopedEnv key("TOGETHER_API_KEY", "x");
  auto r = load_config_text(std::string(testing::kPack) +
                                "providers:\n"
                                "  targets:\n"
                                "    - {id: t, provider: 'together:chat:meta-llama/Llama-3-8b'}\n"
                                "    - {id: o, provider: ollama, model: 'llama3.2:3b'}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  const auto& t = r.config->providers.targets[0];
  EXPECT_EQ(t.provider, "together");
  EXPECT_EQ(t.provider_type, "together");
  EXPECT_EQ(t.base_url, "https://api.together.xyz/v1");
  EXPECT_EQ(t.secret_env, "TOGETHER_API_KEY");
  EXPECT_TRUE(t.credential_present);
  EXPECT_EQ(t.format, WireFormat::openai);
  EXPECT_EQ(t.endpoint, Endpoint::chat);
  EXPECT_EQ(t.model, "meta-llama/Llama-3-8b");
  EXPECT_EQ(t.timeout_ms, 60000);
  const auto& o = r.config->providers.targets[1];
  EXPECT_EQ(o.secret_env, "");
  EXPECT_TRUE(o.credential_present);
  EXPECT_EQ(o.model, "llama3.2:3b");
  EXPECT_EQ(o.base_url, "http://localhost:11434/v1");
}

TEST(Targets, AllFields) {
  auto r = load_config_text(std::string(testing::kPack) +
                                "providers:\n"
                                "  targets:\n"
                                "    - id: vllm\n"
                                "      provider: my-vllm\n"
                                "      provider_type: openai\n"
                                "      base_url: http://10.0.0.5:8000/v1/\n"
                                "      secret_key_ref: {env: KT_TEST_VLLM}\n"
                                "      timeout_seconds: 90\n"
                                "      api_key_header: x-api-key\n"
                                "      api_key_prefix: ''\n"
                                "      max_tokens_cap: 512\n"
                                "      stream_hosts: [files.example.com, '*.cdn.example.com']\n"
                                "      tls: {ca_file: " KT_SOURCE_DIR "/CMakeLists.txt}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  const auto& t = r.config->providers.targets[0];
  EXPECT_EQ(t.provider, "my-vllm");
  EXPECT_EQ(t.provider_type, "openai");
  EXPECT_EQ(t.base_url, "http://10.0.0.5:8000/v1");
  EXPECT_EQ(t.secret_env, "KT_TEST_VLLM");
  EXPECT_EQ(t.timeout_ms, 90000);
  EXPECT_EQ(t.api_key_header, "x-api-key");
  EXPECT_EQ(t.api_key_prefix, "");
  EXPECT_EQ(t.max_tokens_cap, 512);
  EXPECT_EQ(t.stream_hosts.size(), 2u);
  EXPECT_EQ(t.tls_ca_file, KT_SOURCE_DIR "/CMakeLists.txt");
}

TEST(Targets, CustomProviderWithBaseUrlAndFormat) {
  auto r = load_config_text(std::string(testing::kPack) +
                                "providers: {targets: [{id: r, provider: replicate-proxy, "
                                "base_url: 'https://proxy.internal/v1', format: replicate, "
                                "model: 'meta/llama-3-8b'}]}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  const auto& t = r.config->providers.targets[0];
  EXPECT_EQ(t.format, WireFormat::replicate);
  EXPECT_EQ(t.provider_type, "replicate");
  EXPECT_EQ(t.secret_env, "");
}

}  // namespace
}  // namespace kt::config
