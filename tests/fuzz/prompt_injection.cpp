// fuzz_prompt_injection — the prompt-injection detector (src/policies/prompt_injection) and the
// text views it scans (src/scan/normalize, src/scan/decode).
//
// The front of the input is the text; its last bytes pick detector settings and normalisation
// options. Checks: the score is a probability; normalised and decoded text is valid UTF-8;
// decode_embedded stays within its limits (segments, bytes, depth).
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "config/config.h"
#include "fuzz_util.h"
#include "policies/prompt_injection.h"
#include "scan/decode.h"
#include "scan/normalize.h"

namespace {

const kt::policies::PromptInjectionDetector& detector(int which) {
  static const auto detectors = [] {
    std::vector<std::unique_ptr<kt::policies::PromptInjectionDetector>> d;
    d.push_back(std::make_unique<kt::policies::PromptInjectionDetector>(
        kt::config::PromptInjectionSettings{}));
    kt::config::PromptInjectionSettings plain;
    plain.decode_base64 = false;
    plain.normalize_unicode = false;
    plain.detect_homoglyphs = false;
    plain.reject_fake_boundaries = false;
    plain.attack_patterns = {R"(open\s+the\s+pod\s+bay\s+doors)", R"((?i)sudo\s+mode)"};
    d.push_back(std::make_unique<kt::policies::PromptInjectionDetector>(plain));
    return d;
  }();
  return *detectors[which % detectors.size()];
}

}  // namespace

// Compiling the Hyperscan databases takes seconds under ASan: done once here, outside the
// per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)detector(0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::uint8_t knobs = fdp.ConsumeIntegral<std::uint8_t>();
  const std::string text = fdp.ConsumeRemainingBytesAsString();

  const auto a = detector(knobs & 1).assess(text);
  if (!(a.score >= 0 && a.score <= 1)) std::abort();
  if (a.score == 0 && !a.families.empty()) std::abort();

  kt::scan::NormalizeOptions opts;
  opts.unicode = knobs & 2;
  opts.homoglyphs = knobs & 4;
  opts.leetspeak = knobs & 8;
  const kt::scan::Normalized n = kt::scan::normalize(text, opts);
  if (kt::fuzz::valid_utf8(text) && !kt::fuzz::valid_utf8(n.text)) std::abort();
  std::string folded = n.text;
  kt::scan::fold_leetspeak(folded);

  kt::scan::DecodeLimits limits;
  limits.min_length = 8 + (knobs >> 4) % 16;
  limits.max_segments = 1 + (knobs >> 4);
  limits.max_total_bytes = 4096;
  limits.max_depth = 1 + ((knobs >> 6) & 1) * 2;
  const auto segments = kt::scan::decode_embedded(text, limits);
  if (segments.size() > limits.max_segments) std::abort();
  std::size_t total = 0;
  for (const auto& s : segments) {
    total += s.text.size();
    if (s.depth < 1 || s.depth > limits.max_depth) std::abort();
    if (!kt::fuzz::valid_utf8(s.text)) {
      std::fprintf(stderr, "decoded (%s, depth %d) is not UTF-8:", kt::scan::to_string(s.encoding),
                   s.depth);
      for (unsigned char c : s.text) std::fprintf(stderr, " %02x", c);
      std::fprintf(stderr, "\n");
      std::abort();
    }
  }
  if (total > limits.max_total_bytes) std::abort();
  return 0;
}
