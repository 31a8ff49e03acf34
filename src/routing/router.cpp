#include "routing/router.h"

#include <algorithm>

namespace kt::routing {

void TargetState::record_latency(double ms) {
  double old = ewma_latency_ms.load(std::memory_order_relaxed);
  const double next = old == 0 ? ms : old * 0.8 + ms * 0.2;
  ewma_latency_ms.store(next, std::memory_order_relaxed);
}

std::shared_ptr<TargetState> TargetStates::get(const std::string& id,
                                               const config::CircuitBreaker& cb) {
  std::lock_guard lock(mu_);
  auto& s = states_[id];
  if (!s) {
    s = std::make_shared<TargetState>(cb);
  } else {
    s->breaker.configure(cb);
  }
  return s;
}

bool serves(const config::Target& t, config::Endpoint ep) {
  if (!t.endpoint) return true;
  using E = config::Endpoint;
  const E te = *t.endpoint;
  if (te == ep) return true;
  return (te == E::chat || te == E::completion) && (ep == E::chat || ep == E::completion);
}

Router::Router(const config::Config& cfg, TargetStates& states) : cfg_(cfg) {
  for (const auto& t : cfg.providers.targets) {
    entries_.push_back({&t, states.get(t.id, cfg.providers.circuit_breaker)});
    if (t.model.empty()) {
      has_open_target_ = true;
    } else if (std::find(models_.begin(), models_.end(), t.model) == models_.end()) {
      models_.push_back(t.model);
    }
  }
}

std::vector<Candidate> Router::candidates(std::string_view model, config::Endpoint ep) const {
  std::vector<Candidate> out;
  std::size_t primary = entries_.size();
  for (std::size_t i = 0; i < entries_.size() && primary == entries_.size(); ++i) {
    const auto& t = *entries_[i].target;
    if (serves(t, ep) && !t.model.empty() && t.model == model) primary = i;
  }
  for (std::size_t i = 0; i < entries_.size() && primary == entries_.size(); ++i) {
    const auto& t = *entries_[i].target;
    if (!serves(t, ep)) continue;
    if (t.model.empty() && !model.empty()) primary = i;
    if (model.empty() && ep == config::Endpoint::image && t.endpoint == ep) primary = i;
  }
  if (primary == entries_.size()) return out;
  for (std::size_t i = primary; i < entries_.size(); ++i) {
    const auto& t = *entries_[i].target;
    if (!serves(t, ep)) continue;
    std::string m = t.model.empty() ? std::string(model) : t.model;
    if (m.empty()) continue;  // a model-less fallback for a model-less image request
    out.push_back({&t, entries_[i].state.get(), std::move(m)});
  }
  switch (cfg_.providers.strategy) {
    case config::Strategy::ordered:
      break;
    case config::Strategy::round_robin:
      if (out.size() > 1) {
        const auto k = rr_.fetch_add(1, std::memory_order_relaxed) % out.size();
        std::rotate(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end());
      }
      break;
    case config::Strategy::lowest_latency:
      std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        return a.state->ewma_latency_ms.load(std::memory_order_relaxed) <
               b.state->ewma_latency_ms.load(std::memory_order_relaxed);
      });
      break;
  }
  return out;
}

}  // namespace kt::routing
