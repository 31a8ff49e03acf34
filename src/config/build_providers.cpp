// Builder for `providers` (targets, fallback, routing, circuit breaker) and the deprecated
// top-level aliases `provider_fallback` / `provider_routing` and `providers.strategy` (W003).
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "config/provider_catalog.h"
#include "config/sections.h"
#include "config/suggest.h"

namespace kt::config {
namespace {

const Keys kTargetKeys = {"id",
                          "provider",
                          "model",
                          "base_url",
                          "secret_key_ref",
                          "format",
                          "provider_type",
                          "timeout_ms",
                          "timeout_seconds",
                          "api_key_header",
                          "api_key_prefix",
                          "max_tokens_cap",
                          "stream_hosts",
                          "tls"};

bool env_name_ok(const std::string& name) {
  static const std::regex env_name("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(name, env_name);
}

// `host` or `*.host`, optionally with a port: what stream_hosts entries may look like.
bool host_pattern_ok(const std::string& host) {
  static const std::regex pattern(
      R"((\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?)");
  return std::regex_match(host, pattern);
}

// The error text for a base_url that is not an absolute http(s) URL with a host, else "".
std::string base_url_problem(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return "is not an absolute URL";
  if (parsed->scheme() != "http" && parsed->scheme() != "https") return "must use http or https";
  if (parsed->host().empty()) return "has no host";
  if (parsed->has_query() || parsed->has_fragment()) return "must not have a query or fragment";
  if (parsed->has_userinfo()) return "must not carry credentials; use secret_key_ref";
  return "";
}

std::string provider_help(const std::string& id) {
  std::string help = did_you_mean(id, known_provider_ids());
  return help + (help.empty() ? "" : " ") + "Known providers: " + join_names(known_provider_ids()) +
         "; a custom host needs base_url (and provider_type or format)";
}

void build_target(Checker& check, const YAML::Node& node, const std::string& path, Target& out) {
  if (!check.check_keys(node, path, kTargetKeys)) return;
  if (node.IsNull()) {
    check.error("E004", node, path, "A target needs at least id and provider");
    return;
  }
  if (check.require(node, "id", path) && check.read_string(node, "id", path, out.id, 200) &&
      out.id.empty()) {
    check.error("E004", Checker::get(node, "id"), child_path(path, "id"),
                "'" + child_path(path, "id") + "' must not be empty");
  }

  std::string provider_path = child_path(path, "provider");
  YAML::Node provider_node = Checker::get(node, "provider");
  std::string provider_value;
  bool provider_ok = check.require(node, "provider", path) &&
                     check.read_string(node, "provider", path, provider_value, 500);
  ParsedProvider parsed;
  if (provider_ok) {
    parsed = parse_provider(provider_value);
    if (!parsed.error.empty()) {
      check.error("E004", provider_node, provider_path,
                  "Invalid provider '" + provider_value + "': " + parsed.error,
                  "Use a provider id (e.g. openai) or <provider>:<chat|completion|embedding|"
                  "image>:<model>, e.g. replicate:chat:meta/llama-3.3-70b-instruct");
      provider_ok = false;
    }
  }
  out.provider = parsed.provider;
  out.endpoint = parsed.endpoint;
  out.model = parsed.model;

  std::string model;
  if (check.read_string(node, "model", path, model, 500)) {
    if (!out.model.empty() && model != out.model) {
      check.error("E004", Checker::get(node, "model"), child_path(path, "model"),
                  "'" + child_path(path, "model") + "' is '" + model +
                      "' but the provider shorthand names model '" + out.model + "'",
                  "Give the model once: in the shorthand or in model:");
    }
    out.model = model;
  }

  std::string type;
  const ProviderDefaults* defaults = nullptr;
  if (check.read_string(node, "provider_type", path, type, 100)) {
    defaults = provider_defaults(type);
    if (!defaults) {
      check.error("E004", Checker::get(node, "provider_type"), child_path(path, "provider_type"),
                  "Unknown provider_type '" + type + "'", provider_help(type));
    }
  } else if (provider_ok) {
    defaults = provider_defaults(out.provider);
  }

  bool has_base_url = check.read_string(node, "base_url", path, out.base_url, 2000);
  if (has_base_url) {
    std::string problem = base_url_problem(out.base_url);
    if (!problem.empty()) {
      check.error("E004", Checker::get(node, "base_url"), child_path(path, "base_url"),
                  "base_url '" + out.base_url + "' " + problem,
                  "e.g. https://api.replicate.com/v1");
    }
    while (!out.base_url.empty() && out.base_url.back() == '/') out.base_url.pop_back();
  }
  if (provider_ok && !defaults && !has_base_url && type.empty()) {
    check.error("E004", provider_node, provider_path, "Unknown provider '" + out.provider + "'",
                provider_help(out.provider));
  }

  std::string format = defaults ? to_string(defaults->format) : "openai";
  check.read_enum(node, "format", path, format, {"openai", "replicate"});
  out.format = format == "replicate" ? WireFormat::replicate : WireFormat::openai;
  out.provider_type = defaults ? std::string(defaults->id) : format;
  if (defaults && !has_base_url) out.base_url = std::string(defaults->base_url);

  std::string why;
  if (out.format == WireFormat::replicate && !out.model.empty() &&
      !parse_replicate_model(out.model, &why)) {
    YAML::Node model_node = Checker::get(node, "model");
    bool explicit_model = model_node.IsDefined();
    check.error("E004", explicit_model ? model_node : provider_node,
                explicit_model ? child_path(path, "model") : provider_path, why);
  }

  // Credential: the variable's name only; its value is read when a request is sent.
  std::string secret_path = child_path(path, "secret_key_ref");
  YAML::Node secret = Checker::get(node, "secret_key_ref");
  YAML::Node secret_at = provider_node;
  std::string secret_at_path = provider_path;
  if (secret.IsDefined()) {
    if (check.check_keys(secret, secret_path, {"env"}) &&
        check.require(secret, "env", secret_path) &&
        check.read_string(secret, "env", secret_path, out.secret_env, 200)) {
      secret_at = Checker::get(secret, "env");
      secret_at_path = child_path(secret_path, "env");
      if (!env_name_ok(out.secret_env)) {
        check.error("E004", secret_at, secret_at_path,
                    "'" + out.secret_env + "' is not an environment variable name",
                    "secret_key_ref names the variable, e.g. {env: REPLICATE_API_TOKEN}; never "
                    "put the secret itself in the config");
        out.secret_env.clear();
      }
    }
  } else if (defaults) {
    out.secret_env = std::string(defaults->secret_env);
  }
  if (!out.secret_env.empty()) {
    const char* value = std::getenv(out.secret_env.c_str());
    out.credential_present = value != nullptr && *value != '\0';
    if (!out.credential_present) {
      check.warning("W002", secret_at, secret_at_path,
                    "Environment variable " + out.secret_env + " is not set; target '" + out.id +
                        "' is unavailable until it is",
                    "export " + out.secret_env + "=... before starting the gateway");
    }
  }

  bool has_ms = check.read_int(node, "timeout_ms", path, out.timeout_ms, 1, 3'600'000);
  int seconds = 0;
  if (check.read_int(node, "timeout_seconds", path, seconds, 1, 3600)) {
    if (Checker::get(node, "timeout_ms").IsDefined()) {
      check.error("E004", Checker::get(node, "timeout_seconds"),
                  child_path(path, "timeout_seconds"),
                  "Both timeout_ms and timeout_seconds are given", "Keep one of them");
    } else if (!has_ms) {
      out.timeout_ms = seconds * 1000;
    }
  }
  if (check.read_string(node, "api_key_header", path, out.api_key_header, 100)) {
    static const std::regex token("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    if (!std::regex_match(out.api_key_header, token)) {
      check.error("E004", Checker::get(node, "api_key_header"), child_path(path, "api_key_header"),
                  "'" + out.api_key_header + "' is not a valid HTTP header name");
    }
  }
  check.read_string(node, "api_key_prefix", path, out.api_key_prefix, 100);
  int cap = 0;
  if (check.read_int(node, "max_tokens_cap", path, cap, 1, 10'000'000)) out.max_tokens_cap = cap;
  if (check.read_string_list(node, "stream_hosts", path, out.stream_hosts)) {
    YAML::Node hosts = Checker::get(node, "stream_hosts");
    for (std::size_t i = 0; i < out.stream_hosts.size(); ++i) {
      if (!host_pattern_ok(out.stream_hosts[i])) {
        check.error("E004", hosts[i], index_path(child_path(path, "stream_hosts"), i),
                    "'" + out.stream_hosts[i] + "' is not a host name",
                    "Use a host such as files.example.com or *.example.com");
      }
    }
  }
  std::string tls_path = child_path(path, "tls");
  YAML::Node tls = Checker::get(node, "tls");
  if (check.check_keys(tls, tls_path, {"ca_file"}) &&
      check.read_string(tls, "ca_file", tls_path, out.tls_ca_file, 4096)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(out.tls_ca_file, ec)) {
      check.error("E004", Checker::get(tls, "ca_file"), child_path(tls_path, "ca_file"),
                  "CA file '" + out.tls_ca_file + "' does not exist or is not a file");
    }
  }
}

void build_fallback(Checker& check, const YAML::Node& node, const std::string& path,
                    Fallback& out) {
  if (!check.check_keys(node, path, {"enabled", "triggers", "max_fallback_attempts"})) return;
  check.read_bool(node, "enabled", path, out.enabled);
  check.read_int(node, "max_fallback_attempts", path, out.max_fallback_attempts, 0, 20);
  std::vector<std::string> names;
  if (!check.read_string_list(node, "triggers", path, names)) return;
  static const Keys kTriggers = {"rate_limit", "server_error", "timeout", "connection_error"};
  out.triggers.clear();
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = std::find(kTriggers.begin(), kTriggers.end(), names[i]);
    if (it == kTriggers.end()) {
      std::string help = did_you_mean(names[i], kTriggers);
      help += (help.empty() ? "" : " ") + std::string("Valid triggers: ") + join_names(kTriggers);
      check.error("E004", Checker::get(node, "triggers")[i],
                  index_path(child_path(path, "triggers"), i),
                  "Unknown fallback trigger '" + names[i] + "'", help);
      continue;
    }
    auto trigger = static_cast<Trigger>(it - kTriggers.begin());
    if (std::find(out.triggers.begin(), out.triggers.end(), trigger) == out.triggers.end()) {
      out.triggers.push_back(trigger);
    }
  }
}

void read_strategy(Checker& check, const YAML::Node& map, const std::string& path, Strategy& out) {
  std::string name;
  if (!check.read_enum(map, "strategy", path, name, {"ordered", "round_robin", "lowest_latency"}))
    return;
  out = name == "round_robin"      ? Strategy::round_robin
        : name == "lowest_latency" ? Strategy::lowest_latency
                                   : Strategy::ordered;
}

void build_circuit_breaker(Checker& check, const YAML::Node& node, const std::string& path,
                           CircuitBreaker& out) {
  if (!check.check_keys(node, path, {"failure_threshold", "cooldown_seconds", "half_open_probes"}))
    return;
  check.read_int(node, "failure_threshold", path, out.failure_threshold, 1, 1000);
  check.read_int(node, "cooldown_seconds", path, out.cooldown_seconds, 1, 86400);
  check.read_int(node, "half_open_probes", path, out.half_open_probes, 1, 100);
}

// A deprecated alias is mapped (W003) unless the canonical key is also given (E004).
bool use_alias(Checker& check, const YAML::Node& alias_parent, std::string_view alias,
               const std::string& alias_path, bool canonical_given,
               const std::string& canonical_path) {
  YAML::Node key(YAML::NodeType::Undefined);
  for (const auto& kv : alias_parent) {
    if (kv.first.IsScalar() && kv.first.Scalar() == alias) key = kv.first;
  }
  if (!key.IsDefined()) return false;
  if (canonical_given) {
    check.error("E004", key, alias_path,
                "Both " + alias_path + " (deprecated) and " + canonical_path + " are given",
                "Keep " + canonical_path + " only");
    return false;
  }
  check.warning("W003", key, alias_path,
                alias_path + " is deprecated; it was read as " + canonical_path,
                "Rename it to " + canonical_path);
  return true;
}

}  // namespace

void build_providers(Checker& check, const YAML::Node& root, Providers& out) {
  YAML::Node providers = Checker::get(root, "providers");
  bool providers_ok = check.check_keys(
      providers, "providers", {"targets", "fallback", "routing", "circuit_breaker", "strategy"});
  if (!providers_ok) providers = YAML::Node(YAML::NodeType::Undefined);

  YAML::Node targets = Checker::get(providers, "targets");
  if (targets.IsDefined() && !targets.IsNull() && !targets.IsSequence()) {
    check.error("E004", targets, "providers.targets", "'providers.targets' must be a list");
  } else if (targets.IsSequence()) {
    std::set<std::string> ids;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      std::string path = index_path("providers.targets", i);
      Target& target = out.targets.emplace_back();
      build_target(check, targets[i], path, target);
      if (!target.id.empty() && !ids.insert(target.id).second) {
        check.error("E004", Checker::get(targets[i], "id"), child_path(path, "id"),
                    "Duplicate target id '" + target.id + "'", "Give every target its own id");
      }
    }
  }

  YAML::Node fallback = Checker::get(providers, "fallback");
  if (use_alias(check, root, "provider_fallback", "provider_fallback", fallback.IsDefined(),
                "providers.fallback")) {
    build_fallback(check, Checker::get(root, "provider_fallback"), "provider_fallback",
                   out.fallback);
  } else {
    build_fallback(check, fallback, "providers.fallback", out.fallback);
  }

  YAML::Node routing = Checker::get(providers, "routing");
  bool routing_strategy = Checker::get(routing, "strategy").IsDefined();
  if (use_alias(check, root, "provider_routing", "provider_routing", routing.IsDefined(),
                "providers.routing")) {
    YAML::Node alias = Checker::get(root, "provider_routing");
    if (check.check_keys(alias, "provider_routing", {"strategy"})) {
      read_strategy(check, alias, "provider_routing", out.strategy);
    }
    routing_strategy = routing_strategy || Checker::get(alias, "strategy").IsDefined();
  } else if (check.check_keys(routing, "providers.routing", {"strategy"})) {
    read_strategy(check, routing, "providers.routing", out.strategy);
  }
  if (providers.IsMap() && use_alias(check, providers, "strategy", "providers.strategy",
                                     routing_strategy, "providers.routing.strategy")) {
    read_strategy(check, providers, "providers", out.strategy);
  }

  build_circuit_breaker(check, Checker::get(providers, "circuit_breaker"),
                        "providers.circuit_breaker", out.circuit_breaker);
}

}  // namespace kt::config
