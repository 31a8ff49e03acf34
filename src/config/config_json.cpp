#include "config/config_json.h"

#include <boost/json/parse.hpp>

namespace kt::config {
namespace {

boost::json::array strings(const std::vector<std::string>& values) {
  boost::json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

boost::json::object target_json(const Target& t) {
  boost::json::object o;
  o["id"] = t.id;
  o["provider"] = t.provider;
  o["provider_type"] = t.provider_type;
  o["endpoint"] = t.endpoint ? boost::json::value(to_string(*t.endpoint)) : nullptr;
  o["model"] = t.model;
  o["base_url"] = t.base_url;
  o["format"] = to_string(t.format);
  o["secret_key_ref"] = t.secret_env.empty() ? boost::json::value(nullptr)
                                             : boost::json::object{{"env", t.secret_env}};
  o["credential_present"] = t.credential_present;
  o["timeout_ms"] = t.timeout_ms;
  o["api_key_header"] = t.api_key_header;
  o["api_key_prefix"] = t.api_key_prefix;
  o["max_tokens_cap"] = t.max_tokens_cap ? boost::json::value(*t.max_tokens_cap) : nullptr;
  o["stream_hosts"] = strings(t.stream_hosts);
  o["tls"] = t.tls_ca_file.empty() ? boost::json::value(nullptr)
                                   : boost::json::object{{"ca_file", t.tls_ca_file}};
  return o;
}

boost::json::object policy_json(const Policies& p) {
  boost::json::object blocks;
  if (const auto& s = p.prompt_injection) {
    blocks["prompt-injection"] = {
        {"threshold", s->threshold},
        {"attack_patterns", strings(s->attack_patterns)},
        {"encoding",
         {{"decode_base64", s->decode_base64},
          {"normalize_unicode", s->normalize_unicode},
          {"detect_homoglyphs", s->detect_homoglyphs}}},
        {"boundaries", {{"reject_fake_boundaries", s->reject_fake_boundaries}}},
        {"response", {{"action", s->action}, {"message", s->message}}},
        {"scan_system", s->scan_system},
        {"embedding_threshold",
         s->embedding_threshold ? boost::json::value(*s->embedding_threshold) : nullptr}};
  }
  if (const auto& s = p.pii_detector) {
    boost::json::object markers;
    for (const auto& [entity, marker] : s->redaction.custom_markers) markers[entity] = marker;
    blocks["pii-detector"] = {{"action", s->action},
                              {"scan_output", s->scan_output},
                              {"healthcare_mode", s->healthcare_mode},
                              {"pci_mode", s->pci_mode},
                              {"detect_patterns", strings(s->detect_patterns)},
                              {"entities", strings(s->entities)},
                              {"redaction",
                               {{"marker_format", s->redaction.marker_format},
                                {"preserve_length", s->redaction.preserve_length},
                                {"include_metadata", s->redaction.include_metadata},
                                {"custom_markers", std::move(markers)}}}};
  }
  if (const auto& s = p.audit_logger) {
    blocks["audit-logger"] = {{"immutable", s->immutable},
                              {"retention_days", s->retention_days},
                              {"log_all_access", s->log_all_access},
                              {"hipaa_audit_controls", s->hipaa_audit_controls}};
  }
  return blocks;
}

}  // namespace

boost::json::value config_to_json(const Config& c) {
  boost::json::object o;
  o["pack"] = {{"name", c.pack.name},       {"version", c.pack.version},
               {"enabled", c.pack.enabled}, {"description", c.pack.description},
               {"author", c.pack.author},   {"id", c.pack.id}};
  o["policies"] = {{"chain", strings(c.policies.chain)}};
  o["policy"] = policy_json(c.policies);

  boost::json::array targets;
  for (const auto& t : c.providers.targets) targets.push_back(target_json(t));
  boost::json::array triggers;
  for (auto t : c.providers.fallback.triggers) triggers.emplace_back(to_string(t));
  o["providers"] = {{"targets", std::move(targets)},
                    {"fallback",
                     {{"enabled", c.providers.fallback.enabled},
                      {"triggers", std::move(triggers)},
                      {"max_fallback_attempts", c.providers.fallback.max_fallback_attempts}}},
                    {"routing", {{"strategy", to_string(c.providers.strategy)}}},
                    {"circuit_breaker",
                     {{"failure_threshold", c.providers.circuit_breaker.failure_threshold},
                      {"cooldown_seconds", c.providers.circuit_breaker.cooldown_seconds},
                      {"half_open_probes", c.providers.circuit_breaker.half_open_probes}}}};

  boost::json::array suites;
  for (const auto& s : c.testing) {
    boost::json::array cases;
    for (const auto& tc : s.cases) {
      cases.push_back(
          {{"name", tc.name},
           {"input", boost::json::parse(tc.input_json.empty() ? "null" : tc.input_json)},
           {"expected",
            {{"verdict", tc.expected_verdict}, {"reason_code", tc.expected_reason_code}}}});
    }
    suites.push_back({{"name", s.name},
                      {"description", s.description},
                      {"target", s.target},
                      {"cases", std::move(cases)}});
  }
  o["testing"] = {{"suites", std::move(suites)}};
  o["audit"] = {{"store", c.audit.store},
                {"path", c.audit.path},
                {"url_env", c.audit.url_env},
                {"durability", c.audit.durability},
                {"content", c.audit.content}};
  o["files"] = strings(c.files);
  o["hash"] = c.hash;
  return o;
}

}  // namespace kt::config
