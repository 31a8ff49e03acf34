// registry.cpp — see registry.h. The built-in kinds are registered here, one line each.
#include "policies/registry.h"

#include "policies/audit_logger.h"
#include "policies/pii_detector.h"
#include "policies/prompt_injection.h"

namespace kt::policies {

const Registry& Registry::builtin() {
  static const Registry registry = [] {
    Registry r;
    r.add("prompt-injection", [](const config::Config& c) {
      return make_prompt_injection(c.policies.prompt_injection.value_or(
          config::PromptInjectionSettings{}));
    });
    r.add("pii-detector", [](const config::Config& c) {
      return make_pii_detector(c.policies.pii_detector.value_or(config::PiiDetectorSettings{}));
    });
    r.add("audit-logger", [](const config::Config& c) {
      return make_audit_logger(c.policies.audit_logger.value_or(config::AuditLoggerSettings{}));
    });
    return r;
  }();
  return registry;
}

void Registry::add(std::string kind, Factory factory) {
  factories_[std::move(kind)] = std::move(factory);
}

const Registry::Factory* Registry::find(std::string_view kind) const {
  auto it = factories_.find(kind);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [kind, factory] : factories_) out.push_back(kind);
  return out;
}

}  // namespace kt::policies
