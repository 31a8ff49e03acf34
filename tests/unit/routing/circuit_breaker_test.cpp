#include "routing/circuit_breaker.h"

#include <gtest/gtest.h>

namespace kt::routing {
namespace {

config::CircuitBreaker settings(int threshold, int cooldown_s, int probes) {
  config::CircuitBreaker c;
  c.failure_threshold = threshold;
  c.cooldown_seconds = cooldown_s;
  c.half_open_probes = probes;
  return c;
}

TEST(CircuitBreaker, OpensAfterThresholdConsecutiveFailures) {
  CircuitBreaker b(settings(3, 30, 1));
  EXPECT_TRUE(b.allow());
  b.on_failure();
  b.on_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
  b.on_success();  // a success resets the count
  b.on_failure();
  b.on_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
  b.on_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::open);
  EXPECT_FALSE(b.allow());
}

TEST(CircuitBreaker, HalfOpenAllowsLimitedProbesThenCloses) {
  CircuitBreaker b(settings(1, 0, 2));  // cooldown 0: half-open right after opening
  b.on_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::half_open);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.allow());
  EXPECT_FALSE(b.allow());  // both probe slots taken
  b.on_success();
  EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, FailedProbeReopens) {
  CircuitBreaker b(settings(1, 3600, 1));
  b.on_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::open);
  b.configure(settings(1, 0, 1));  // cooldown elapsed
  EXPECT_EQ(b.state(), CircuitBreaker::State::half_open);
  EXPECT_TRUE(b.allow());
  b.configure(settings(1, 3600, 1));
  b.on_failure();  // the probe failed (counted while open: stays open)
  EXPECT_EQ(b.state(), CircuitBreaker::State::open);
  EXPECT_FALSE(b.allow());
}

TEST(CircuitBreaker, StateNames) {
  EXPECT_STREQ(to_string(CircuitBreaker::State::closed), "closed");
  EXPECT_STREQ(to_string(CircuitBreaker::State::open), "open");
  EXPECT_STREQ(to_string(CircuitBreaker::State::half_open), "half_open");
}

}  // namespace
}  // namespace kt::routing
