// Runs the Presidio-dataset evaluation (bench/detection/pii_eval.h) and holds the targets, so a
// detection regression fails `make test`.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../../bench/detection/pii_eval.h"

namespace kt::bench {
namespace {

TEST(PiiEvaluation, MeetsRecallAndPrecisionTargets) {
  std::string path = std::string(KT_SHARED_DIR) + "/data/presidio-research/synth_dataset_v2.json";
  if (!std::filesystem::exists(path)) path = "/work/shared/data/presidio-research/synth_dataset_v2.json";
  PiiEvaluation ev = evaluate_pii(path);
  for (const char* type : {"CREDIT_CARD", "EMAIL_ADDRESS", "IBAN_CODE", "US_SSN", "IP_ADDRESS"}) {
    EXPECT_GE(ev.by_type.at(type).recall(), 0.98) << type << "\n" << ev.errors;
  }
  EXPECT_GE(ev.by_type.at("PHONE_NUMBER").recall(), 0.90) << ev.errors;
  EXPECT_GE(ev.overall.precision(), 0.95) << ev.errors;
  EXPECT_GT(ev.overall.labelled, 300);
}

}  // namespace
}  // namespace kt::bench
