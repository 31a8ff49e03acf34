// diagnostic.h — one finding of config validation: what is wrong, where, and how to fix it.
//
// Errors make a config unusable; warnings do not. Codes (product-spec §2, W003.. are ours):
//   E001 unknown policy kind          E002 unknown key (help lists the valid keys)
//   E003 policy.<kind> for a kind not in the chain                E004 invalid value
//   E005 YAML syntax
//   W001 chained kind without a policy.<kind> block (defaults apply)
//   W002 credential environment variable not set (the target is unavailable)
//   W003 deprecated alias (provider_fallback, provider_routing, providers.strategy) was mapped
//   W004 embedding_threshold has no effect (there is no embedding backend)
//   W005 audit-logger is not last in the chain (it would not see the final verdict)
#pragma once

#include <string>

namespace kt::config {

struct Diagnostic {
  std::string code;        // "E001"
  std::string path;        // "policies.chain[0]", "providers.targets[1].provider"
  std::string message;     // "Unknown policy kind 'prompt-injections'"
  std::string suggestion;  // "Did you mean 'prompt-injection'?" ("" = none)
  std::string file;        // the file the offending node came from
  int line = 0;            // 1-based; 0 = unknown
  int column = 0;          // 1-based; 0 = unknown
};

}  // namespace kt::config
