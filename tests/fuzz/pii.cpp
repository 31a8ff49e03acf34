// fuzz_pii — the PII scanner and redaction (src/scan/pii_scanner, pii_redact), whole and streamed.
//
// The front of the input is the text; its end gives the scanner (default, healthcare + custom
// patterns, a chosen entity list), the marker style and up to 16 chunk lengths. Checks:
//  - find() returns ordered, disjoint, non-empty spans inside the text;
//  - redaction with preserve_length keeps the text's length;
//  - PiiStreamRedactor fed the text in chunks releases exactly what redacting the whole text
//    gives (pii_redact.h promises this whenever no entity is longer than the hold-back bound:
//    inputs below PiiScanner::kMaxTail bytes without a custom match over kMaxCustomTail bytes),
//    with the same counts.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "scan/pii_redact.h"
#include "scan/pii_scanner.h"

using namespace kt::scan;

namespace {

const PiiScanner& scanner(int which) {
  static const auto scanners = [] {
    std::vector<std::unique_ptr<PiiScanner>> s;
    s.push_back(std::make_unique<PiiScanner>(PiiScanOptions{}));
    PiiScanOptions health;
    health.healthcare_mode = true;
    health.custom_patterns = {R"(EMP-\d{6})", R"((?i)project\s+[a-z]+)"};
    s.push_back(std::make_unique<PiiScanner>(health));
    PiiScanOptions some;
    some.pci_mode = false;
    some.entities = {"EMAIL", "PHONE", "IBAN", "SECRET"};
    s.push_back(std::make_unique<PiiScanner>(some));
    return s;
  }();
  return *scanners[which % scanners.size()];
}

}  // namespace

// Compiling the Hyperscan databases takes seconds under ASan: done once here, outside the
// per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)scanner(0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::uint8_t knobs = fdp.ConsumeIntegral<std::uint8_t>();
  std::vector<std::size_t> chunks(fdp.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (auto& c : chunks) c = fdp.ConsumeIntegralInRange<std::size_t>(0, 300);
  const std::string text = fdp.ConsumeRemainingBytesAsString();

  const PiiScanner& sc = scanner(knobs & 3);
  RedactionStyle style;
  style.format = static_cast<RedactionStyle::Format>((knobs >> 2) % 3);
  style.preserve_length = knobs & 0x10;
  if (knobs & 0x20) style.custom_markers[static_cast<std::size_t>(PiiEntity::email)] = "<mail>";

  std::vector<PiiSpan> spans;
  sc.find(text, spans);
  std::size_t at = 0;
  PiiCounts whole_counts{};
  for (const PiiSpan& s : spans) {
    if (s.begin < at || s.end <= s.begin || s.end > text.size()) std::abort();
    at = s.end;
    ++whole_counts[static_cast<std::size_t>(s.entity)];
  }
  std::string whole;
  redact_into(text, spans, style, whole);
  if (style.preserve_length && !(knobs & 0x20) && whole.size() != text.size()) std::abort();

  PiiStreamRedactor redactor(sc, style);
  std::string streamed;
  std::string_view rest = text;
  for (std::size_t i = 0; !rest.empty(); ++i) {
    const std::size_t n = i < chunks.size() ? std::min(chunks[i], rest.size()) : rest.size();
    redactor.write(rest.substr(0, n), streamed);
    rest.remove_prefix(n);
  }
  redactor.finish(streamed);
  bool within_bounds = text.size() < PiiScanner::kMaxTail;
  for (const PiiSpan& sp : spans) {
    if (sp.entity == PiiEntity::custom && sp.end - sp.begin > PiiScanner::kMaxCustomTail) {
      within_bounds = false;
    }
  }
  if (within_bounds) {
    if (streamed != whole) {
      std::fprintf(stderr, "whole:    [%s]\nstreamed: [%s]\nchunks:", whole.c_str(), streamed.c_str());
      for (std::size_t c : chunks) std::fprintf(stderr, " %zu", c);
      std::fprintf(stderr, "\n");
      std::abort();
    }
    if (redactor.counts() != whole_counts) std::abort();
  }
  return 0;
}
