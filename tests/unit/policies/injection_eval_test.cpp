// Runs the prompt-injection quality evaluation (bench/detection/injection_eval.h) and asserts its
// targets: recall >= 95 % on the giskard attacks, false positives <= 1 % on the presidio benign
// texts and <= 2 % on our hard negatives; and that the hard-negative set has >= 150 texts.
#include <gtest/gtest.h>

#include "../../../bench/detection/injection_eval.h"

namespace kt::bench {
namespace {

TEST(InjectionEval, MeetsQualityTargets) {
  InjectionEval e = run_injection_eval(KT_SOURCE_DIR, KT_SHARED_DIR);
  EXPECT_GE(e.giskard.total, 150u);
  EXPECT_GE(e.giskard.share(), 0.95);
  EXPECT_EQ(e.presidio.total, 1500u);
  EXPECT_LE(e.presidio.share(), 0.01);
  EXPECT_GE(e.hard_negatives.total, 150u);
  EXPECT_LE(e.hard_negatives.share(), 0.02);
  EXPECT_GE(e.heldout.total, 40u);
}

}  // namespace
}  // namespace kt::bench
