// circuit_breaker.h — per-target circuit breaker (closed → open → half-open), shared by all
// worker threads through atomics only. After `failure_threshold` consecutive failures the
// breaker opens and the target is skipped for `cooldown_seconds`; then up to
// `half_open_probes` requests may try it: a success closes it, a failure opens it again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "config/config.h"

namespace kt::routing {

class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };

  explicit CircuitBreaker(config::CircuitBreaker settings) { configure(settings); }
  void configure(const config::CircuitBreaker& s);

  // True when a request may be sent now; in half-open it takes one of the probe slots.
  bool allow();
  void on_success();
  void on_failure();
  State state() const;

 private:
  static std::int64_t now_ms();
  std::atomic<int> threshold_{5};
  std::atomic<std::int64_t> cooldown_ms_{30000};
  std::atomic<int> probes_{1};
  std::atomic<int> failures_{0};
  std::atomic<std::int64_t> opened_at_ms_{0};  // 0 = closed
  std::atomic<int> probes_in_flight_{0};
};

const char* to_string(CircuitBreaker::State s);

}  // namespace kt::routing
