// policy_names.h — the names the config accepts for policy kinds and PII entities.
#pragma once

#include <string_view>
#include <vector>

namespace kt::config {

// "prompt-injection", "pii-detector", "audit-logger": the kinds `policies.chain` may list.
const std::vector<std::string_view>& known_policy_kinds();

// EMAIL, PHONE, CREDIT_CARD, US_SSN, IP_ADDRESS, IBAN, SECRET, MRN, NPI, HEALTH_PLAN_ID, CUSTOM:
// the values of `policy.pii-detector.entities` and keys of `redaction.custom_markers`.
const std::vector<std::string_view>& known_pii_entities();

}  // namespace kt::config
