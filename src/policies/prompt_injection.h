// prompt_injection.h — the `prompt-injection` policy (product-spec §5).
//
// Before any upstream call, the text of every user and tool message (and system/developer
// messages when `scan_system`) is joined in conversation order, so an attack split across turns
// is still seen, and scanned in several views: Unicode-normalised (NFKC, case fold, invisible
// characters dropped, homoglyphs folded), leetspeak-folded, and every base64 / hex / %xx segment
// decoded from it. A curated Hyperscan signature set in families (instruction_override,
// persona_hijack, system_prompt_exfiltration, fake_boundary, refusal_suppression, tool_hijack,
// markdown_exfiltration, jailbreak_framing; English plus core phrases in fr, de, es, it, pt, nl,
// ru, zh, ja) gives each family a weight; the score is their noisy-OR, raised when several
// families co-occur or the text was obfuscated. score >= threshold -> `response.action`
// (default block) with reason `prompt_injection.detected` and findings {score, families} — never
// the text. Custom `attack_patterns` form the family `custom` with full weight.
// Built once per config (the signature database compiles here); thread-safe afterwards.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "policies/policy.h"

namespace kt::policies {

struct InjectionAssessment {
  double score = 0;                   // 0..1
  std::vector<std::string> families;  // matched families, in a fixed order
  bool obfuscated = false;            // a family was only visible after de-obfuscation
};

// The detector alone, for the policy, the evaluation tools and tests.
class PromptInjectionDetector {
 public:
  // Throws std::invalid_argument when an attack pattern does not compile.
  explicit PromptInjectionDetector(const config::PromptInjectionSettings& settings);
  ~PromptInjectionDetector();
  PromptInjectionDetector(const PromptInjectionDetector&) = delete;
  PromptInjectionDetector& operator=(const PromptInjectionDetector&) = delete;

  InjectionAssessment assess(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Throws std::invalid_argument when an attack pattern does not compile.
std::unique_ptr<Policy> make_prompt_injection(const config::PromptInjectionSettings& settings);

}  // namespace kt::policies
