// pii_detector.h — the `pii-detector` policy (product-spec §5): finds PII in every text a request
// carries (and in the answer when scan_output), then redacts it in place or blocks.
//
// Request texts: messages[].content (string, or the "text" of array parts), messages[].name,
// tool_calls[].function.arguments, legacy function_call.arguments; `prompt` (string or array:
// completions, images), `suffix`, `input` (string or array: embeddings). Answer texts:
// choices[].message.content (string or parts), choices[].message.tool_calls arguments,
// choices[].text; streamed answers through a PiiStreamRedactor (scan/pii_redact.h).
//
// Decision: allow when nothing is found; otherwise reason `pii.detected`, verdict `redact`
// (body edited, ex.body_modified set) or `block` (message names the entity types, never the
// values). Findings: {"entities":{"EMAIL":2,...}} and, when redaction.include_metadata is true,
// "locations":[{"field":"messages[0].content","entity":"EMAIL","start":12,"end":30}] (byte
// offsets in the original field text, first 100). Streamed answers record counts only.
// detect_patterns are Hyperscan regexes reported as entity CUSTOM.
#pragma once

#include <memory>

#include "config/config.h"
#include "policies/policy.h"

namespace kt::policies {

// Throws std::invalid_argument with a clear message on a bad custom pattern, an unknown entity
// name or an unknown action / marker_format.
std::unique_ptr<Policy> make_pii_detector(const config::PiiDetectorSettings& settings);

}  // namespace kt::policies
