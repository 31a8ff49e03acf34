#include "routing/circuit_breaker.h"

namespace kt::routing {

std::int64_t CircuitBreaker::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void CircuitBreaker::configure(const config::CircuitBreaker& s) {
  threshold_.store(s.failure_threshold > 0 ? s.failure_threshold : 1);
  cooldown_ms_.store(static_cast<std::int64_t>(s.cooldown_seconds) * 1000);
  probes_.store(s.half_open_probes > 0 ? s.half_open_probes : 1);
}

CircuitBreaker::State CircuitBreaker::state() const {
  const std::int64_t opened = opened_at_ms_.load(std::memory_order_acquire);
  if (opened == 0) return State::closed;
  return now_ms() - opened >= cooldown_ms_.load() ? State::half_open : State::open;
}

bool CircuitBreaker::allow() {
  switch (state()) {
    case State::closed: return true;
    case State::open: return false;
    case State::half_open: {
      int n = probes_in_flight_.load();
      while (n < probes_.load()) {
        if (probes_in_flight_.compare_exchange_weak(n, n + 1)) return true;
      }
      return false;
    }
  }
  return true;
}

void CircuitBreaker::on_success() {
  failures_.store(0, std::memory_order_relaxed);
  if (opened_at_ms_.load(std::memory_order_relaxed) != 0) {
    opened_at_ms_.store(0, std::memory_order_release);
    probes_in_flight_.store(0);
  }
}

void CircuitBreaker::on_failure() {
  const State s = state();
  if (s == State::half_open) {
    // The probe failed: open again for a full cooldown.
    opened_at_ms_.store(now_ms(), std::memory_order_release);
    probes_in_flight_.store(0);
    return;
  }
  const int f = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (s == State::closed && f >= threshold_.load()) {
    opened_at_ms_.store(now_ms(), std::memory_order_release);
    probes_in_flight_.store(0);
  }
}

const char* to_string(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::closed: return "closed";
    case CircuitBreaker::State::open: return "open";
    case CircuitBreaker::State::half_open: return "half_open";
  }
  return "closed";
}

}  // namespace kt::routing
