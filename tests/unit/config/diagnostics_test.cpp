// Every error and warning code, with its path, position and suggestion.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace kt::config {
namespace {

using testing::codes;
using testing::find_code;
using testing::kPack;
using testing::ScopedEnv;

TEST(Diagnostics, E001UnknownKindInChainWithDidYouMean) {
  auto r = load_config_text(R"(pack:
  name: t
  version: 1.0.0
  enabled: true
policies:
  chain:
    - prompt-injections
    - audit-logger
)",
                            "t.yaml");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u) << codes(r.errors);
  const auto& e = r.errors[0];
  EXPECT_EQ(e.code, "E001");
  EXPECT_EQ(e.path, "policies.chain[0]");
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.column, 7);
  EXPECT_EQ(e.file, "t.yaml");
  EXPECT_EQ(e.message, "Unknown policy kind 'prompt-injections'");
  EXPECT_EQ(e.suggestion, "Did you mean 'prompt-injection'?");
}

TEST(Diagnostics, E001FarFromAnyKindListsKnownKinds) {
  auto r = load_config_text(std::string(kPack) + "policies: {chain: [toxicity-filter]}\n", "t");
  ASSERT_NE(find_code(r.errors, "E001"), nullptr);
  EXPECT_EQ(find_code(r.errors, "E001")->suggestion,
            "Known policy kinds: prompt-injection, pii-detector, audit-logger");
}

TEST(Diagnostics, E001UnknownKindUnderPolicy) {
  auto r = load_config_text(std::string(kPack) +
                                "policies: {chain: [audit-logger]}\n"
                                "policy:\n  audit-loger: {immutable: true}\n",
                            "t");
  const auto* e = find_code(r.errors, "E001");
  ASSERT_NE(e, nullptr) << codes(r.errors);
  EXPECT_EQ(e->path, "policy.audit-loger");
  EXPECT_EQ(e->line, 4);
  EXPECT_EQ(e->column, 3);
  EXPECT_EQ(e->suggestion, "Did you mean 'audit-logger'?");
}

TEST(Diagnostics, E002UnknownKeyAtTopLevel) {
  auto r = load_config_text(std::string(kPack) + "polices: {chain: [audit-logger]}\n", "t");
  ASSERT_EQ(r.errors.size(), 1u) << codes(r.errors);
  const auto& e = r.errors[0];
  EXPECT_EQ(e.code, "E002");
  EXPECT_EQ(e.path, "polices");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 1);
  EXPECT_EQ(e.message, "Unknown key 'polices'");
  EXPECT_EQ(e.suggestion,
            "Did you mean 'policies'? Valid keys: pack, policies, policy, providers, testing, "
            "audit, provider_fallback, provider_routing");
}

// E002 must be reported in every nested map, not only at the top.
struct NestedKeyCase {
  const char* yaml;
  const char* path;
};

class E002Nested : public ::testing::TestWithParam<NestedKeyCase> {};

TEST_P(E002Nested, ReportsPath) {
  auto r = load_config_text(std::string(kPack) + GetParam().yaml, "t");
  const auto* e = find_code(r.errors, "E002");
  ASSERT_NE(e, nullptr) << GetParam().yaml;
  EXPECT_EQ(e->path, GetParam().path) << codes(r.errors);
  EXPECT_NE(e->suggestion.find("Valid keys: "), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    EveryMap, E002Nested,
    ::testing::Values(
        NestedKeyCase{"policies: {chain: [], order: 1}\n", "policies.order"},
        NestedKeyCase{"policies: {chain: [prompt-injection]}\n"
                      "policy: {prompt-injection: {treshold: 0.4}}\n",
                      "policy.prompt-injection.treshold"},
        NestedKeyCase{"policies: {chain: [prompt-injection]}\n"
                      "policy: {prompt-injection: {encoding: {decode_hex: true}}}\n",
                      "policy.prompt-injection.encoding.decode_hex"},
        NestedKeyCase{"policies: {chain: [prompt-injection]}\n"
                      "policy: {prompt-injection: {boundaries: {reject: true}}}\n",
                      "policy.prompt-injection.boundaries.reject"},
        NestedKeyCase{"policies: {chain: [prompt-injection]}\n"
                      "policy: {prompt-injection: {response: {status: 403}}}\n",
                      "policy.prompt-injection.response.status"},
        NestedKeyCase{"policies: {chain: [prompt-injection]}\n"
                      "policy: {prompt-injection: {detection: {model: x}}}\n",
                      "policy.prompt-injection.detection.model"},
        NestedKeyCase{"policies: {chain: [pii-detector]}\n"
                      "policy: {pii-detector: {redaction: {marker: label}}}\n",
                      "policy.pii-detector.redaction.marker"},
        NestedKeyCase{"policies: {chain: [pii-detector]}\n"
                      "policy: {pii-detector: {redaction: {custom_markers: {EMAL: x}}}}\n",
                      "policy.pii-detector.redaction.custom_markers.EMAL"},
        NestedKeyCase{"policies: {chain: [audit-logger]}\n"
                      "policy: {audit-logger: {retention: 3}}\n",
                      "policy.audit-logger.retention"},
        NestedKeyCase{"pack2: 1\n", "pack2"},
        NestedKeyCase{"providers: {targets: [], fallbacks: {}}\n", "providers.fallbacks"},
        NestedKeyCase{"providers: {targets: [{id: a, provider: ollama, modle: x}]}\n",
                      "providers.targets[0].modle"},
        NestedKeyCase{"providers: {targets: [{id: a, provider: ollama, secret_key_ref: "
                      "{value: sk-123}}]}\n",
                      "providers.targets[0].secret_key_ref.value"},
        NestedKeyCase{"providers: {targets: [{id: a, provider: ollama, tls: {ca: x}}]}\n",
                      "providers.targets[0].tls.ca"},
        NestedKeyCase{"providers: {fallback: {enable: true}}\n", "providers.fallback.enable"},
        NestedKeyCase{"providers: {routing: {strategi: ordered}}\n", "providers.routing.strategi"},
        NestedKeyCase{"providers: {circuit_breaker: {threshold: 3}}\n",
                      "providers.circuit_breaker.threshold"},
        NestedKeyCase{"testing: {suite: []}\n", "testing.suite"},
        NestedKeyCase{"testing: {suites: [{name: s, cases: [], tags: [a]}]}\n",
                      "testing.suites[0].tags"},
        NestedKeyCase{"testing: {suites: [{name: s, cases: [{name: c, input: {messages: "
                      "[{role: user, content: hi}]}, expected: {verdict: allow}, skip: true}]}]}\n",
                      "testing.suites[0].cases[0].skip"},
        NestedKeyCase{"audit: {stor: sqlite}\n", "audit.stor"}));

TEST(Diagnostics, E002DidYouMeanOnNestedKey) {
  auto r = load_config_text(std::string(kPack) +
                                "policies: {chain: [audit-logger]}\n"
                                "policy: {audit-logger: {retention_day: 3}}\n",
                            "t");
  const auto* e = find_code(r.errors, "E002");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->suggestion,
            "Did you mean 'retention_days'? Valid keys: immutable, retention_days, "
            "log_all_access, hipaa_audit_controls");
}

TEST(Diagnostics, E003BlockForKindNotInChain) {
  auto r = load_config_text(std::string(kPack) +
                                "policies: {chain: [audit-logger]}\n"
                                "policy:\n"
                                "  audit-logger: {}\n"
                                "  pii-detector: {action: block}\n",
                            "t");
  ASSERT_EQ(r.errors.size(), 1u) << codes(r.errors);
  const auto& e = r.errors[0];
  EXPECT_EQ(e.code, "E003");
  EXPECT_EQ(e.path, "policy.pii-detector");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.suggestion, "Add 'pii-detector' to policies.chain, or remove policy.pii-detector");
}

struct InvalidValueCase {
  const char* yaml;
  const char* path;
  const char* message_part;
};

class E004Invalid : public ::testing::TestWithParam<InvalidValueCase> {};

TEST_P(E004Invalid, ReportsPathAndReason) {
  auto r = load_config_text(GetParam().yaml, "t");
  EXPECT_FALSE(r.ok());
  const auto* e = find_code(r.errors, "E004");
  ASSERT_NE(e, nullptr) << GetParam().yaml << codes(r.errors);
  EXPECT_EQ(e->path, GetParam().path) << codes(r.errors);
  EXPECT_NE(e->message.find(GetParam().message_part), std::string::npos) << e->message;
  EXPECT_GT(e->line, 0);
}

#define PACK "pack: {name: t, version: 1.0.0, enabled: true}\n"
#define TARGET(fields) "providers: {targets: [{id: a, " fields "}]}\n"
INSTANTIATE_TEST_SUITE_P(
    Values, E004Invalid,
    ::testing::Values(
        InvalidValueCase{"policies: {chain: []}\n", "pack", "Missing required key 'pack'"},
        InvalidValueCase{"pack: {version: 1.0.0, enabled: true}\n", "pack.name", "Missing"},
        InvalidValueCase{"pack: {name: t, enabled: true}\n", "pack.version", "Missing"},
        InvalidValueCase{"pack: {name: t, version: 1.0.0}\n", "pack.enabled", "Missing"},
        InvalidValueCase{"pack: {name: t, version: 1.0, enabled: true}\n", "pack.version",
                         "not a SemVer"},
        InvalidValueCase{"pack: {name: t, version: 1.0.0, enabled: maybe}\n", "pack.enabled",
                         "true or false"},
        InvalidValueCase{"pack: {name: '', version: 1.0.0, enabled: true}\n", "pack.name",
                         "must not be empty"},
        InvalidValueCase{"pack: [a]\n", "pack", "must be a map"},
        InvalidValueCase{PACK "policies: {chain: audit-logger}\n", "policies.chain",
                         "must be a list"},
        InvalidValueCase{PACK "policies: {chain: [audit-logger, audit-logger]}\n",
                         "policies.chain[1]", "listed twice"},
        InvalidValueCase{PACK "policies: {chain: [prompt-injection]}\n"
                              "policy: {prompt-injection: {threshold: 1.5}}\n",
                         "policy.prompt-injection.threshold", "between 0 and 1"},
        InvalidValueCase{PACK "policies: {chain: [prompt-injection]}\n"
                              "policy: {prompt-injection: {threshold: high}}\n",
                         "policy.prompt-injection.threshold", "must be a number"},
        InvalidValueCase{PACK "policies: {chain: [prompt-injection]}\n"
                              "policy: {prompt-injection: {attack_patterns: ['(unclosed']}}\n",
                         "policy.prompt-injection.attack_patterns[0]",
                         "not a valid regular expression"},
        InvalidValueCase{PACK
                         "policies: {chain: [prompt-injection]}\n"
                         "policy: {prompt-injection: {detection: {attack_patterns: ['a[']}}}\n",
                         "policy.prompt-injection.detection.attack_patterns[0]",
                         "not a valid regular expression"},
        InvalidValueCase{PACK "policies: {chain: [prompt-injection]}\n"
                              "policy: {prompt-injection: {response: {action: warn}}}\n",
                         "policy.prompt-injection.response.action", "invalid value 'warn'"},
        InvalidValueCase{PACK "policies: {chain: [pii-detector]}\n"
                              "policy: {pii-detector: {detect_patterns: ['x{2,1}']}}\n",
                         "policy.pii-detector.detect_patterns[0]", "not a valid regular"},
        InvalidValueCase{PACK "policies: {chain: [pii-detector]}\n"
                              "policy: {pii-detector: {action: mask}}\n",
                         "policy.pii-detector.action", "invalid value 'mask'"},
        InvalidValueCase{PACK "policies: {chain: [pii-detector]}\n"
                              "policy: {pii-detector: {entities: [EMAIL, SSN]}}\n",
                         "policy.pii-detector.entities[1]", "Unknown PII entity 'SSN'"},
        InvalidValueCase{PACK "policies: {chain: [pii-detector]}\n"
                              "policy: {pii-detector: {redaction: {marker_format: stars}}}\n",
                         "policy.pii-detector.redaction.marker_format", "invalid value"},
        InvalidValueCase{PACK "policies: {chain: [audit-logger]}\n"
                              "policy: {audit-logger: {retention_days: 0}}\n",
                         "policy.audit-logger.retention_days", "between 1 and 36500"},
        InvalidValueCase{PACK "policies: {chain: [audit-logger]}\n"
                              "policy: {audit-logger: {retention_days: 36501}}\n",
                         "policy.audit-logger.retention_days", "between 1 and 36500"},
        InvalidValueCase{PACK "policies: {chain: [audit-logger]}\n"
                              "policy: {audit-logger: {retention_days: 1.5}}\n",
                         "policy.audit-logger.retention_days", "whole number"},
        InvalidValueCase{PACK "providers: {targets: [{provider: ollama}]}\n",
                         "providers.targets[0].id", "Missing required key 'id'"},
        InvalidValueCase{PACK "providers: {targets: [{id: a}]}\n", "providers.targets[0].provider",
                         "Missing required key 'provider'"},
        InvalidValueCase{PACK "providers: {targets: [{id: a, provider: ollama}, "
                              "{id: a, provider: ollama}]}\n",
                         "providers.targets[1].id", "Duplicate target id 'a'"},
        InvalidValueCase{PACK TARGET("provider: 'replicate:video:owner/m'"),
                         "providers.targets[0].provider", "endpoint 'video'"},
        InvalidValueCase{PACK TARGET("provider: 'replicate:chat:'"),
                         "providers.targets[0].provider", "model is missing"},
        InvalidValueCase{PACK TARGET("provider: 'replicate:chat:llama'"),
                         "providers.targets[0].provider", "has no owner"},
        InvalidValueCase{PACK TARGET("provider: 'replicate:chat:owner/m:abc'"),
                         "providers.targets[0].provider", "64 lowercase hex"},
        InvalidValueCase{PACK TARGET("provider: replicat"), "providers.targets[0].provider",
                         "Unknown provider 'replicat'"},
        InvalidValueCase{PACK TARGET("provider: openai, base_url: 'ftp://x/v1'"),
                         "providers.targets[0].base_url", "http or https"},
        InvalidValueCase{PACK TARGET("provider: openai, base_url: 'not a url'"),
                         "providers.targets[0].base_url", "not an absolute URL"},
        InvalidValueCase{PACK TARGET("provider: my-host, provider_type: openia, base_url: "
                                     "'http://h/v1'"),
                         "providers.targets[0].provider_type", "Unknown provider_type"},
        InvalidValueCase{PACK TARGET("provider: openai, format: grpc"),
                         "providers.targets[0].format", "invalid value 'grpc'"},
        InvalidValueCase{PACK TARGET("provider: 'openai:chat:gpt-4o', model: gpt-4"),
                         "providers.targets[0].model", "shorthand names model 'gpt-4o'"},
        InvalidValueCase{PACK TARGET("provider: openai, timeout_ms: 0"),
                         "providers.targets[0].timeout_ms", "between 1 and 3600000"},
        InvalidValueCase{PACK TARGET("provider: openai, timeout_ms: 100, timeout_seconds: 2"),
                         "providers.targets[0].timeout_seconds", "Both"},
        InvalidValueCase{PACK TARGET("provider: openai, secret_key_ref: {env: 'sk-abc def'}"),
                         "providers.targets[0].secret_key_ref.env",
                         "not an environment variable name"},
        InvalidValueCase{PACK TARGET("provider: openai, secret_key_ref: OPENAI_API_KEY"),
                         "providers.targets[0].secret_key_ref", "must be a map"},
        InvalidValueCase{PACK TARGET("provider: openai, max_tokens_cap: -1"),
                         "providers.targets[0].max_tokens_cap", "between 1 and"},
        InvalidValueCase{PACK TARGET("provider: openai, stream_hosts: ['http://x/']"),
                         "providers.targets[0].stream_hosts[0]", "not a host name"},
        InvalidValueCase{PACK TARGET("provider: openai, tls: {ca_file: /nonexistent/ca.pem}"),
                         "providers.targets[0].tls.ca_file", "does not exist"},
        InvalidValueCase{PACK TARGET("provider: openai, api_key_header: 'X Key'"),
                         "providers.targets[0].api_key_header", "not a valid HTTP header"},
        InvalidValueCase{PACK "providers: {targets: {id: a}}\n", "providers.targets",
                         "must be a list"},
        InvalidValueCase{PACK "providers: {fallback: {triggers: [rate_limit, oom]}}\n",
                         "providers.fallback.triggers[1]", "Unknown fallback trigger 'oom'"},
        InvalidValueCase{PACK "providers: {fallback: {max_fallback_attempts: 99}}\n",
                         "providers.fallback.max_fallback_attempts", "between 0 and 20"},
        InvalidValueCase{PACK "providers: {routing: {strategy: random}}\n",
                         "providers.routing.strategy", "invalid value 'random'"},
        InvalidValueCase{PACK "providers: {circuit_breaker: {failure_threshold: 0}}\n",
                         "providers.circuit_breaker.failure_threshold", "between 1 and 1000"},
        InvalidValueCase{PACK "providers: {fallback: {enabled: true}}\n"
                              "provider_fallback: {enabled: false}\n",
                         "provider_fallback", "Both provider_fallback"},
        InvalidValueCase{PACK "testing: {suites: [{name: s, cases: [{name: c, input: "
                              "{messages: [{role: user, content: hi}]}, expected: {verdict: "
                              "deny}}]}]}\n",
                         "testing.suites[0].cases[0].expected.verdict", "invalid value 'deny'"},
        InvalidValueCase{PACK "testing: {suites: [{name: s, target: nope, cases: []}]}\n",
                         "testing.suites[0].target", "not a target id"},
        InvalidValueCase{PACK "testing: {suites: [{name: s, cases: [{name: c, input: "
                              "{messages: []}, expected: {verdict: allow}}]}]}\n",
                         "testing.suites[0].cases[0].input.messages", "non-empty list"},
        InvalidValueCase{PACK "audit: {store: mysql}\n", "audit.store", "invalid value 'mysql'"},
        InvalidValueCase{PACK "audit: {durability: later}\n", "audit.durability", "invalid value"},
        InvalidValueCase{PACK "audit: {content: full}\n", "audit.content", "invalid value"},
        InvalidValueCase{PACK "pack: {name: u, version: 1.0.0, enabled: true}\n", "pack",
                         "Duplicate key 'pack'"},
        InvalidValueCase{"- a\n- b\n", "", "must be a map"}));
#undef TARGET
#undef PACK

TEST(Diagnostics, E004EnumHasDidYouMean) {
  auto r = load_config_text(std::string(kPack) + "audit: {store: postgress}\n", "t");
  const auto* e = find_code(r.errors, "E004");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->suggestion, "Did you mean 'postgres'? Valid values: sqlite, postgres");
}

TEST(Diagnostics, E004UnknownProviderSuggestsClosest) {
  auto r = load_config_text(std::string(kPack) +
                                "providers: {targets: [{id: a, provider: "
                                "'replicat:chat:meta/llama'}]}\n",
                            "t");
  const auto* e = find_code(r.errors, "E004");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->suggestion.rfind("Did you mean 'replicate'?", 0), 0u) << e->suggestion;
}

TEST(Diagnostics, E005SyntaxErrorHasLineAndColumn) {
  auto r = load_config_text(
      "pack: {name: t, version: 1.0.0, enabled: true}\n"
      "policies:\n"
      "  chain: [audit-logger\n"
      "providers: {}\n",
      "bad.yaml");
  ASSERT_EQ(r.errors.size(), 1u) << codes(r.errors);
  EXPECT_EQ(r.errors[0].code, "E005");
  EXPECT_EQ(r.errors[0].file, "bad.yaml");
  EXPECT_GT(r.errors[0].line, 0);
  EXPECT_GT(r.errors[0].column, 0);
  EXPECT_NE(r.errors[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(Diagnostics, E005SeveralDocumentsInOneFile) {
  auto r = load_config_text(std::string(kPack) + "---\n" + kPack, "t");
  ASSERT_EQ(r.errors.size(), 1u) << codes(r.errors);
  EXPECT_EQ(r.errors[0].code, "E005");
  EXPECT_EQ(r.errors[0].line, 3);  // where the second document's content starts
}

TEST(Diagnostics, E005DeepNestingDoesNotCrash) {
  auto r = load_config_text(std::string(5000, '[') + std::string(5000, ']'), "t");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.errors.empty());
}

TEST(Diagnostics, E005TabIndentation) {
  auto r = load_config_text("pack:\n\tname: t\n", "t");
  ASSERT_NE(find_code(r.errors, "E005"), nullptr) << codes(r.errors);
  EXPECT_EQ(find_code(r.errors, "E005")->line, 2);
}

TEST(Diagnostics, ErrorsAreAllCollected) {
  auto r = load_config_text(R"(pack: {name: t, version: x, enabled: true}
policies: {chain: [prompt-injections, audit-logger]}
policy: {pii-detector: {}}
audit: {stor: sqlite}
)",
                            "t");
  EXPECT_EQ(r.errors.size(), 4u) << codes(r.errors);
  for (auto code : {"E001", "E002", "E003", "E004"}) {
    EXPECT_NE(find_code(r.errors, code), nullptr) << code;
  }
}

TEST(Diagnostics, W001ChainedKindWithoutBlockGetsDefaults) {
  auto r = load_config_text(std::string(kPack) +
                                "policies: {chain: [prompt-injection, audit-logger]}\n"
                                "policy: {audit-logger: {retention_days: 7}}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << codes(r.errors);
  ASSERT_EQ(r.warnings.size(), 1u) << codes(r.warnings);
  const auto& w = r.warnings[0];
  EXPECT_EQ(w.code, "W001");
  EXPECT_EQ(w.path, "policies.chain[0]");
  EXPECT_EQ(w.line, 2);
  EXPECT_EQ(w.column, 20);
  ASSERT_TRUE(r.config->policies.prompt_injection.has_value());
  EXPECT_DOUBLE_EQ(r.config->policies.prompt_injection->threshold, 0.5);
  EXPECT_EQ(r.config->policies.audit_logger->retention_days, 7);
  EXPECT_FALSE(r.config->policies.pii_detector.has_value());
}

TEST(Diagnostics, W002MissingCredentialIsWarningAndMarksTarget) {
  ScopedEnv unset("KT_TEST_MISSING_TOKEN", nullptr);
  auto r = load_config_text(std::string(kPack) +
                                "providers:\n"
                                "  targets:\n"
                                "    - id: a\n"
                                "      provider: openai\n"
                                "      secret_key_ref: {env: KT_TEST_MISSING_TOKEN}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << codes(r.errors);
  const auto* w = find_code(r.warnings, "W002");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->path, "providers.targets[0].secret_key_ref.env");
  EXPECT_EQ(w->line, 6);
  EXPECT_EQ(w->column, 29);
  EXPECT_NE(w->message.find("KT_TEST_MISSING_TOKEN"), std::string::npos);
  EXPECT_FALSE(r.config->providers.targets[0].credential_present);
  EXPECT_EQ(r.config->providers.targets[0].secret_env, "KT_TEST_MISSING_TOKEN");
}

TEST(Diagnostics, W002AlsoForProviderDefaultVariable) {
  ScopedEnv unset("GROQ_API_KEY", nullptr);
  auto r = load_config_text(
      std::string(kPack) + "providers: {targets: [{id: g, provider: 'groq:chat:llama3'}]}\n", "t");
  ASSERT_TRUE(r.ok());
  const auto* w = find_code(r.warnings, "W002");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->path, "providers.targets[0].provider");
  EXPECT_FALSE(r.config->providers.targets[0].credential_present);
}

TEST(Diagnostics, CredentialPresentWhenSet) {
  ScopedEnv set("KT_TEST_SET_TOKEN", "value");
  auto r = load_config_text(std::string(kPack) +
                                "providers: {targets: [{id: a, provider: openai, "
                                "secret_key_ref: {env: KT_TEST_SET_TOKEN}}]}\n",
                            "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(find_code(r.warnings, "W002"), nullptr);
  EXPECT_TRUE(r.config->providers.targets[0].credential_present);
}

TEST(Diagnostics, W003DeprecatedAliasesAreMapped) {
  auto r = load_config_text(std::string(kPack) +
                                "provider_fallback: {enabled: false, max_fallback_attempts: 1}\n"
                                "provider_routing: {strategy: round_robin}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << codes(r.errors);
  EXPECT_EQ(r.warnings.size(), 2u) << codes(r.warnings);
  EXPECT_EQ(r.warnings[0].code, "W003");
  EXPECT_EQ(r.warnings[0].path, "provider_fallback");
  EXPECT_EQ(r.warnings[0].line, 2);
  EXPECT_EQ(r.warnings[0].suggestion, "Rename it to providers.fallback");
  EXPECT_FALSE(r.config->providers.fallback.enabled);
  EXPECT_EQ(r.config->providers.fallback.max_fallback_attempts, 1);
  EXPECT_EQ(r.config->providers.strategy, Strategy::round_robin);
}

TEST(Diagnostics, W003ProvidersStrategy) {
  auto r = load_config_text(std::string(kPack) + "providers: {strategy: lowest_latency}\n", "t");
  ASSERT_TRUE(r.ok()) << codes(r.errors);
  const auto* w = find_code(r.warnings, "W003");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->path, "providers.strategy");
  EXPECT_EQ(r.config->providers.strategy, Strategy::lowest_latency);
}

TEST(Diagnostics, W004EmbeddingThresholdAccepted) {
  auto r = load_config_text(std::string(kPack) +
                                "policies: {chain: [prompt-injection]}\n"
                                "policy:\n"
                                "  prompt-injection:\n"
                                "    detection: {attack_patterns: ['(?i)jailbreak'], "
                                "embedding_threshold: 0.8}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << codes(r.errors);
  const auto* w = find_code(r.warnings, "W004");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->path, "policy.prompt-injection.detection.embedding_threshold");
  EXPECT_EQ(w->line, 5);
  const auto& pi = *r.config->policies.prompt_injection;
  EXPECT_EQ(pi.attack_patterns, std::vector<std::string>{"(?i)jailbreak"});
  EXPECT_DOUBLE_EQ(*pi.embedding_threshold, 0.8);
}

TEST(Diagnostics, W005AuditLoggerNotLast) {
  auto r = load_config_text(std::string(kPack) +
                                "policies: {chain: [audit-logger, pii-detector]}\n"
                                "policy: {audit-logger: {}, pii-detector: {}}\n",
                            "t");
  ASSERT_TRUE(r.ok()) << codes(r.errors);
  const auto* w = find_code(r.warnings, "W005");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->path, "policies.chain[0]");
}

}  // namespace
}  // namespace kt::config
