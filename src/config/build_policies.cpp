// Builders for `policies` (the chain) and `policy` (settings per kind), product-spec §5.
#include <regex>

#include "config/policy_names.h"
#include "config/sections.h"
#include "config/suggest.h"

namespace kt::config {
namespace {

constexpr std::size_t kMaxPatternLength = 1000;

void warn_embedding_threshold(Checker& check, const YAML::Node& map, const std::string& path,
                              std::optional<double>& out) {
  YAML::Node node = Checker::get(map, "embedding_threshold");
  if (!node.IsDefined()) return;
  double value = 0;
  if (check.read_double(map, "embedding_threshold", path, value, 0, 1)) out = value;
  check.warning("W004", node, child_path(path, "embedding_threshold"),
                "embedding_threshold has no effect: kt has no embedding backend",
                "Remove it; detection uses signatures, normalisation and decoding (threshold)");
}

void read_patterns(Checker& check, const YAML::Node& map, std::string_view key,
                   const std::string& path, std::vector<std::string>& out) {
  std::vector<std::string> patterns;
  if (!check.read_string_list(map, key, path, patterns)) return;
  check_patterns(check, Checker::get(map, key), child_path(path, key), patterns);
  out.insert(out.end(), patterns.begin(), patterns.end());
}

void build_prompt_injection(Checker& check, const YAML::Node& node, const std::string& path,
                            PromptInjectionSettings& out) {
  if (!check.check_keys(node, path,
                        {"threshold", "attack_patterns", "encoding", "boundaries", "response",
                         "scan_system", "detection", "embedding_threshold"}))
    return;
  check.read_double(node, "threshold", path, out.threshold, 0, 1);
  read_patterns(check, node, "attack_patterns", path, out.attack_patterns);
  check.read_bool(node, "scan_system", path, out.scan_system);
  warn_embedding_threshold(check, node, path, out.embedding_threshold);

  std::string encoding_path = child_path(path, "encoding");
  YAML::Node encoding = Checker::get(node, "encoding");
  if (check.check_keys(encoding, encoding_path,
                       {"decode_base64", "normalize_unicode", "detect_homoglyphs"})) {
    check.read_bool(encoding, "decode_base64", encoding_path, out.decode_base64);
    check.read_bool(encoding, "normalize_unicode", encoding_path, out.normalize_unicode);
    check.read_bool(encoding, "detect_homoglyphs", encoding_path, out.detect_homoglyphs);
  }
  std::string boundaries_path = child_path(path, "boundaries");
  YAML::Node boundaries = Checker::get(node, "boundaries");
  if (check.check_keys(boundaries, boundaries_path, {"reject_fake_boundaries"})) {
    check.read_bool(boundaries, "reject_fake_boundaries", boundaries_path,
                    out.reject_fake_boundaries);
  }
  std::string response_path = child_path(path, "response");
  YAML::Node response = Checker::get(node, "response");
  if (check.check_keys(response, response_path, {"action", "message"})) {
    check.read_enum(response, "action", response_path, out.action, {"block", "log"});
    check.read_string(response, "message", response_path, out.message, 1000);
  }
  std::string detection_path = child_path(path, "detection");
  YAML::Node detection = Checker::get(node, "detection");
  if (check.check_keys(detection, detection_path, {"attack_patterns", "embedding_threshold"})) {
    read_patterns(check, detection, "attack_patterns", detection_path, out.attack_patterns);
    warn_embedding_threshold(check, detection, detection_path, out.embedding_threshold);
  }
}

void build_pii_detector(Checker& check, const YAML::Node& node, const std::string& path,
                        PiiDetectorSettings& out) {
  if (!check.check_keys(node, path,
                        {"action", "scan_output", "healthcare_mode", "pci_mode", "detect_patterns",
                         "entities", "redaction"}))
    return;
  check.read_enum(node, "action", path, out.action, {"redact", "block"});
  check.read_bool(node, "scan_output", path, out.scan_output);
  check.read_bool(node, "healthcare_mode", path, out.healthcare_mode);
  check.read_bool(node, "pci_mode", path, out.pci_mode);
  read_patterns(check, node, "detect_patterns", path, out.detect_patterns);

  std::vector<std::string> entities;
  if (check.read_string_list(node, "entities", path, entities)) {
    YAML::Node list = Checker::get(node, "entities");
    for (std::size_t i = 0; i < entities.size(); ++i) {
      const auto& known = known_pii_entities();
      if (std::find(known.begin(), known.end(), entities[i]) == known.end()) {
        std::string help = did_you_mean(entities[i], known);
        help += (help.empty() ? "" : " ") + std::string("Valid entities: ") + join_names(known);
        check.error("E004", list[i], index_path(child_path(path, "entities"), i),
                    "Unknown PII entity '" + entities[i] + "'", help);
      } else {
        out.entities.push_back(entities[i]);
      }
    }
  }

  std::string redaction_path = child_path(path, "redaction");
  YAML::Node redaction = Checker::get(node, "redaction");
  if (!check.check_keys(redaction, redaction_path,
                        {"marker_format", "preserve_length", "include_metadata", "custom_markers"}))
    return;
  check.read_enum(redaction, "marker_format", redaction_path, out.redaction.marker_format,
                  {"label", "asterisks", "partial"});
  check.read_bool(redaction, "preserve_length", redaction_path, out.redaction.preserve_length);
  check.read_bool(redaction, "include_metadata", redaction_path, out.redaction.include_metadata);
  std::string markers_path = child_path(redaction_path, "custom_markers");
  YAML::Node markers = Checker::get(redaction, "custom_markers");
  if (!check.check_keys(markers, markers_path, known_pii_entities())) return;
  if (!markers.IsMap()) return;
  for (const auto& kv : markers) {
    std::string entity = kv.first.Scalar();
    check.read_string(markers, entity, markers_path, out.redaction.custom_markers[entity], 200);
  }
}

void build_audit_logger(Checker& check, const YAML::Node& node, const std::string& path,
                        AuditLoggerSettings& out) {
  if (!check.check_keys(node, path,
                        {"immutable", "retention_days", "log_all_access", "hipaa_audit_controls"}))
    return;
  check.read_bool(node, "immutable", path, out.immutable);
  check.read_int(node, "retention_days", path, out.retention_days, 1, 36500);
  check.read_bool(node, "log_all_access", path, out.log_all_access);
  check.read_bool(node, "hipaa_audit_controls", path, out.hipaa_audit_controls);
}

std::string unknown_kind_help(const std::string& kind) {
  std::string help = did_you_mean(kind, known_policy_kinds());
  return help.empty() ? "Known policy kinds: " + join_names(known_policy_kinds()) : help;
}

}  // namespace

const std::vector<std::string_view>& known_policy_kinds() {
  static const std::vector<std::string_view> kinds = {"prompt-injection", "pii-detector",
                                                      "audit-logger"};
  return kinds;
}

const std::vector<std::string_view>& known_pii_entities() {
  static const std::vector<std::string_view> entities = {
      "EMAIL", "PHONE", "CREDIT_CARD", "CVV",            "US_SSN", "IP_ADDRESS",
      "IBAN",  "SECRET", "MRN",        "NPI", "HEALTH_PLAN_ID", "CUSTOM"};
  return entities;
}

void check_patterns(Checker& check, const YAML::Node& list, const std::string& path,
                    const std::vector<std::string>& patterns) {
  static const std::regex inline_flags(R"(^\(\?[imsx]+\))");
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    std::string item_path = index_path(path, i);
    const std::string& pattern = patterns[i];
    if (pattern.empty() || pattern.size() > kMaxPatternLength) {
      check.error(
          "E004", list[i], item_path,
          "A pattern must be 1 to " + std::to_string(kMaxPatternLength) + " characters long");
      continue;
    }
    try {
      std::regex compiled(std::regex_replace(pattern, inline_flags, ""), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      check.error("E004", list[i], item_path,
                  "Pattern '" + pattern + "' is not a valid regular expression: " + e.what());
    }
  }
}

void build_policies(Checker& check, const YAML::Node& root, Policies& out) {
  YAML::Node policies = Checker::get(root, "policies");
  if (check.check_keys(policies, "policies", {"chain"})) {
    YAML::Node chain = Checker::get(policies, "chain");
    if (chain.IsDefined() && !chain.IsNull() && !chain.IsSequence()) {
      check.error("E004", chain, "policies.chain",
                  "'policies.chain' must be a list of policy kinds",
                  "e.g. chain: [prompt-injection, pii-detector, audit-logger]");
    } else if (chain.IsSequence()) {
      for (std::size_t i = 0; i < chain.size(); ++i) {
        std::string item_path = index_path("policies.chain", i);
        auto kind = check.scalar(chain[i], item_path);
        if (!kind) continue;
        const auto& known = known_policy_kinds();
        if (std::find(known.begin(), known.end(), *kind) == known.end()) {
          check.error("E001", chain[i], item_path, "Unknown policy kind '" + *kind + "'",
                      unknown_kind_help(*kind));
        } else if (std::find(out.chain.begin(), out.chain.end(), *kind) != out.chain.end()) {
          check.error("E004", chain[i], item_path,
                      "Policy kind '" + *kind + "' is listed twice in the chain",
                      "List each kind once; order is meaning");
        } else {
          out.chain.push_back(*kind);
        }
      }
    }
  }

  YAML::Node blocks = Checker::get(root, "policy");
  auto in_chain = [&](std::string_view kind) {
    return std::find(out.chain.begin(), out.chain.end(), kind) != out.chain.end();
  };
  if (blocks.IsDefined() && !blocks.IsNull() && !blocks.IsMap()) {
    check.error("E004", blocks, "policy", "'policy' must be a map of settings per policy kind");
  } else if (blocks.IsMap()) {
    std::vector<std::string> seen;
    for (const auto& kv : blocks) {
      std::string kind = kv.first.IsScalar() ? kv.first.Scalar() : "";
      std::string path = child_path("policy", kind);
      const auto& known = known_policy_kinds();
      if (std::find(known.begin(), known.end(), kind) == known.end()) {
        check.error("E001", kv.first, path, "Unknown policy kind '" + kind + "'",
                    unknown_kind_help(kind));
        continue;
      }
      if (std::find(seen.begin(), seen.end(), kind) != seen.end()) {
        check.error("E004", kv.first, path, "Duplicate key '" + kind + "'");
        continue;
      }
      seen.push_back(kind);
      if (!in_chain(kind)) {
        check.error("E003", kv.first, path,
                    "policy." + kind + " is configured but '" + kind +
                        "' is not in policies.chain, so it would never run",
                    "Add '" + kind + "' to policies.chain, or remove policy." + kind);
      }
      if (kind == "prompt-injection") {
        build_prompt_injection(check, kv.second, path, out.prompt_injection.emplace());
      } else if (kind == "pii-detector") {
        build_pii_detector(check, kv.second, path, out.pii_detector.emplace());
      } else {
        build_audit_logger(check, kv.second, path, out.audit_logger.emplace());
      }
    }
  }

  // Every chained kind gets settings: its block, or the defaults (W001).
  const YAML::Node chain = Checker::get(policies, "chain");
  for (std::size_t i = 0; i < out.chain.size(); ++i) {
    const std::string& kind = out.chain[i];
    bool has_block = Checker::get(blocks, kind).IsDefined();
    if (kind == "prompt-injection" && !out.prompt_injection) out.prompt_injection.emplace();
    if (kind == "pii-detector" && !out.pii_detector) out.pii_detector.emplace();
    if (kind == "audit-logger" && !out.audit_logger) out.audit_logger.emplace();
    if (has_block) continue;
    // Locate the chain entry for this kind (indices differ when the chain had bad entries).
    for (std::size_t j = 0; j < chain.size(); ++j) {
      if (chain[j].IsScalar() && chain[j].Scalar() == kind) {
        check.warning("W001", chain[j], index_path("policies.chain", j),
                      "Policy '" + kind + "' has no policy." + kind + " block; its defaults apply",
                      "Add a policy." + kind + " block to configure it");
        break;
      }
    }
  }
  if (in_chain("audit-logger") && out.chain.back() != "audit-logger") {
    for (std::size_t j = 0; j < chain.size(); ++j) {
      if (chain[j].IsScalar() && chain[j].Scalar() == "audit-logger") {
        check.warning("W005", chain[j], index_path("policies.chain", j),
                      "audit-logger is not last in the chain, so it records before later "
                      "policies decide",
                      "Move audit-logger to the end of policies.chain");
      }
    }
  }
}

}  // namespace kt::config
