// pii_eval — prints span-level precision/recall of kt's PII scanner on the Presidio research
// synthetic dataset beside Presidio's published figures (reference/peers.md).
// Usage: pii_eval [dataset.json] [--errors]   (default: $KT_SHARED_DIR/data/presidio-research/…)
#include <cstdio>
#include <cstring>
#include <exception>

#include "pii_eval.h"

namespace {

struct Published {
  const char* type;
  const char* precision;
  const char* recall;
};
// Presidio, default settings, token-level (peers.md).
constexpr Published kPresidio[] = {
    {"CREDIT_CARD", "1.00", "0.77"}, {"EMAIL_ADDRESS", "1.00", "1.00"},
    {"IBAN_CODE", "1.00", "0.95"},   {"IP_ADDRESS", "0.95", "0.91"},
    {"PHONE_NUMBER", "0.94", "0.55"}, {"US_SSN", "1.00", "1.00"},
};

}  // namespace

int main(int argc, char** argv) {
  std::string path = std::string(KT_SHARED_DIR) + "/data/presidio-research/synth_dataset_v2.json";
  bool show_errors = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--errors") == 0) {
      show_errors = true;
    } else {
      path = argv[i];
    }
  }
  try {
    kt::bench::PiiEvaluation ev = kt::bench::evaluate_pii(path);
    std::printf("| type | labelled | kt precision | kt recall | Presidio precision | Presidio recall |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    for (const Published& p : kPresidio) {
      const kt::bench::TypeScore& s = ev.by_type.at(p.type);
      std::printf("| %s | %d | %.3f | %.3f | %s | %s |\n", p.type, s.labelled, s.precision(),
                  s.recall(), p.precision, p.recall);
    }
    std::printf("| overall | %d | %.3f | %.3f | | (F 0.745, all types) |\n", ev.overall.labelled,
                ev.overall.precision(), ev.overall.recall());
    if (show_errors) std::printf("\n%s", ev.errors.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pii_eval: %s\n", e.what());
    return 1;
  }
  return 0;
}
