// router.h — which targets serve a request, in which order (product-spec §3 "Model routing").
//
// The request's model selects the first target whose fixed model equals it, or else the first
// target without a fixed model that can serve the endpoint; that target is the primary and the
// targets after it (in list order, serving the same endpoint) are its fallbacks, each called with
// its own model. `round_robin` rotates that list per request; `lowest_latency` orders it by the
// targets' recent latency. Target state (circuit breaker, latency) outlives config reloads:
// it is kept in a TargetStates registry keyed by target id.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "routing/circuit_breaker.h"

namespace kt::routing {

struct TargetState {
  explicit TargetState(const config::CircuitBreaker& cb) : breaker(cb) {}
  CircuitBreaker breaker;
  std::atomic<double> ewma_latency_ms{0};  // 0 = not measured yet
  void record_latency(double ms);
};

// Shared, reload-surviving state per target id. get() is called when a config is built.
class TargetStates {
 public:
  std::shared_ptr<TargetState> get(const std::string& id, const config::CircuitBreaker& cb);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TargetState>> states_;
};

struct Candidate {
  const config::Target* target = nullptr;
  TargetState* state = nullptr;
  std::string model;  // the model this target is called with
};

class Router {
 public:
  Router(const config::Config& cfg, TargetStates& states);

  // Primary first, then fallbacks. Empty when no target serves `model` on `ep`.
  // `model` may be empty for images (the first image target is used).
  std::vector<Candidate> candidates(std::string_view model, config::Endpoint ep) const;

  // Models with a fixed target, for /v1/models (deduplicated, config order).
  std::vector<std::string> served_models() const { return models_; }
  bool serves_any_model() const { return has_open_target_; }

  struct Entry {
    const config::Target* target;
    std::shared_ptr<TargetState> state;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  const config::Config& cfg_;
  std::vector<Entry> entries_;
  std::vector<std::string> models_;
  bool has_open_target_ = false;
  mutable std::atomic<std::uint64_t> rr_{0};
};

// Can a target serve this endpoint? chat and completion targets serve both routes.
bool serves(const config::Target& t, config::Endpoint ep);

}  // namespace kt::routing
