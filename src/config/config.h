// config.h — the typed, immutable model of policy-config.yaml (product-spec §3).
//
// A Config is built once by load_config() (loader.h) from one or more layered YAML files and then
// shared read-only as std::shared_ptr<const Config>. A reload builds a new Config and swaps the
// pointer; in-flight requests keep the old one. Nothing here holds a secret value: credentials are
// referenced by environment-variable name and read when a request is sent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kt::config {

struct Pack {
  std::string name;
  std::string version;  // SemVer
  bool enabled = true;
  std::string description, author, id;
};

// ---- policy settings (product-spec §5) ----

struct PromptInjectionSettings {
  double threshold = 0.5;
  std::vector<std::string> attack_patterns;  // extra regexes (Hyperscan syntax)
  bool decode_base64 = true;
  bool normalize_unicode = true;
  bool detect_homoglyphs = true;
  bool reject_fake_boundaries = true;
  std::string action = "block";
  std::string message = "Request blocked: potential prompt injection detected";
  bool scan_system = false;
  std::optional<double> embedding_threshold;  // accepted for compatibility; no backend (lint warns)
};

struct RedactionSettings {
  std::string marker_format = "label";  // label | asterisks | partial
  bool preserve_length = false;
  bool include_metadata = true;
  std::map<std::string, std::string> custom_markers;  // entity -> marker
};

struct PiiDetectorSettings {
  std::string action = "redact";  // redact | block
  bool scan_output = true;
  bool healthcare_mode = false;
  bool pci_mode = true;
  std::vector<std::string> detect_patterns;  // extra regexes, entity CUSTOM
  std::vector<std::string> entities;         // empty = all built-in entities
  RedactionSettings redaction;
};

struct AuditLoggerSettings {
  bool immutable = true;
  int retention_days = 365;  // 1..36500
  bool log_all_access = true;
  bool hipaa_audit_controls = false;
};

// The chain: kinds in order. A chained kind without a `policy.<kind>` block has defaults (W001).
struct Policies {
  std::vector<std::string> chain;
  std::optional<PromptInjectionSettings> prompt_injection;
  std::optional<PiiDetectorSettings> pii_detector;
  std::optional<AuditLoggerSettings> audit_logger;
};

// ---- providers (product-spec §3 "Target") ----

enum class Endpoint { chat, completion, embedding, image };
enum class WireFormat { openai, replicate };

struct Target {
  std::string id;
  std::string provider;       // provider id after shorthand parsing: "replicate", "openai", "groq", ...
  std::string provider_type;  // explicit type for custom names; defaults to provider
  std::optional<Endpoint> endpoint;  // from shorthand; nullopt = serves every endpoint
  std::string model;          // fixed model ("" = the request's model is used)
  std::string base_url;       // resolved: explicit or the provider default
  std::string secret_env;     // env var holding the credential ("" = none needed, e.g. ollama)
  bool credential_present = true;  // false when secret_env is set but unset in the environment
  WireFormat format = WireFormat::openai;
  int timeout_ms = 60000;
  std::string api_key_header = "Authorization";
  std::string api_key_prefix = "Bearer";
  std::optional<int> max_tokens_cap;
  std::vector<std::string> stream_hosts;
  std::string tls_ca_file;    // tls: {ca_file}
};

enum class Trigger { rate_limit, server_error, timeout, connection_error };

struct Fallback {
  bool enabled = true;
  std::vector<Trigger> triggers = {Trigger::rate_limit, Trigger::server_error, Trigger::timeout,
                                   Trigger::connection_error};
  int max_fallback_attempts = 3;
};

enum class Strategy { ordered, round_robin, lowest_latency };

struct CircuitBreaker {
  int failure_threshold = 5;
  int cooldown_seconds = 30;
  int half_open_probes = 1;
};

struct Providers {
  std::vector<Target> targets;
  Fallback fallback;
  Strategy strategy = Strategy::ordered;
  CircuitBreaker circuit_breaker;
};

// ---- testing (kt policy test) ----

struct TestCase {
  std::string name;
  std::string input_json;  // {"messages":[...],"headers":{...}} serialised
  std::string expected_verdict;
  std::string expected_reason_code;
};
struct TestSuite {
  std::string name, description, target;
  std::vector<TestCase> cases;
};

// ---- audit (ours) ----

struct Audit {
  std::string store = "sqlite";  // sqlite | postgres
  std::string path;              // "" = --audit-db / ./kt-events.db
  std::string url_env = "KT_AUDIT_PG_URL";
  std::string durability = "sync";  // sync | fsync | async (see audit/sqlite_store.h)
  std::string content = "redacted";  // redacted | none
};

struct Config {
  Pack pack;
  Policies policies;
  Providers providers;
  std::vector<TestSuite> testing;
  Audit audit;
  std::vector<std::string> files;  // the layered files it was loaded from, in order
  std::string hash;                // SHA-256 (hex) of the merged document, for events
};

using ConfigPtr = std::shared_ptr<const Config>;

const char* to_string(Endpoint);
const char* to_string(WireFormat);
const char* to_string(Trigger);
const char* to_string(Strategy);

}  // namespace kt::config
