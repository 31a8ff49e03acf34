// chain.cpp — see chain.h.
#include "policies/chain.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <stdexcept>

namespace kt::policies {
namespace {

using gateway::Phase;
using gateway::PolicyResult;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kAuditLogger = "audit-logger";

int severity(Verdict v) {
  switch (v) {
    case Verdict::allow: return 0;
    case Verdict::redact: return 1;
    case Verdict::escalate: return 2;
    case Verdict::block: return 3;
  }
  return 0;
}

std::uint64_t micros_since(Clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

PolicyResult make_result(std::string_view kind, Phase phase, const Decision& d,
                         std::uint64_t latency_us) {
  PolicyResult r;
  r.kind = std::string(kind);
  r.phase = phase;
  r.verdict = gateway::to_string(d.verdict);
  r.reason_code = d.reason_code;
  r.latency_us = latency_us;
  r.findings = d.findings;
  return r;
}

// The decision that stands in for a policy that threw.
Decision failure_decision(std::string_view kind, FailMode mode) {
  Decision d;
  d.reason_code = "policy.error";
  if (mode == FailMode::block) {
    d.verdict = Verdict::block;
    d.message = "Request blocked: policy '" + std::string(kind) + "' failed";
  }
  return d;
}

void log_failure(std::string_view kind, const char* what) {
  spdlog::warn("policy '{}' failed: {}", kind, what);
}

// Raises ex.verdict to `d` when `d` is more severe.
void apply_to_exchange(gateway::Exchange& ex, const Decision& d) {
  if (severity(d.verdict) <= severity(ex.verdict)) return;
  ex.verdict = d.verdict;
  ex.reason_code = d.reason_code;
  if (d.verdict == Verdict::block) ex.error_message = d.message;
}

// Folds one policy's decision into the phase's decision.
void accumulate(Decision& overall, const Decision& d) {
  if (severity(d.verdict) > severity(overall.verdict)) overall = d;
}

template <typename Call>
Decision run_phase(const std::vector<std::unique_ptr<Policy>>& policies, gateway::Exchange& ex,
                   Phase phase, FailMode mode, Call call) {
  Decision overall;
  bool stopped = false;
  for (const auto& p : policies) {
    const std::string_view kind = p->kind();
    if (stopped && kind != kAuditLogger) {
      PolicyResult r;
      r.kind = std::string(kind);
      r.phase = phase;
      r.verdict = "skipped";
      ex.policies.push_back(std::move(r));
      continue;
    }
    auto start = Clock::now();
    Decision d;
    bool degraded = false;
    try {
      d = call(*p);
    } catch (const std::exception& e) {
      log_failure(kind, e.what());
      d = failure_decision(kind, mode);
      degraded = true;
    } catch (...) {
      log_failure(kind, "unknown exception");
      d = failure_decision(kind, mode);
      degraded = true;
    }
    PolicyResult r = make_result(kind, phase, d, micros_since(start));
    r.degraded = degraded;
    ex.policies.push_back(std::move(r));
    accumulate(overall, d);
    if (d.verdict == Verdict::block) stopped = true;
  }
  apply_to_exchange(ex, overall);
  return overall;
}

// Pipes streamed text through each policy's filter in chain order.
class ChainStreamFilter : public StreamFilter {
 public:
  ChainStreamFilter(const std::vector<std::unique_ptr<Policy>>& policies, gateway::Exchange& ex,
                    FailMode mode)
      : ex_(ex), mode_(mode) {
    for (const auto& p : policies) {
      Stage s;
      s.kind = std::string(p->kind());
      try {
        s.filter = p->on_stream(ex);
      } catch (const std::exception& e) {
        fail(s, e.what());
      }
      stages_.push_back(std::move(s));
      if (blocked_) break;
    }
  }

  void write(std::string_view in, std::string& out) override {
    if (blocked_) return;
    std::string text(in), piped;
    for (auto& s : stages_) {
      if (!s.filter || s.failed) continue;
      piped.clear();
      if (!run(s, [&] { s.filter->write(text, piped); })) {
        if (blocked_) return;
        continue;  // fail-open: this stage passes the text through unchanged
      }
      if (blocked_) return;
      text.swap(piped);
    }
    out += text;
  }

  void finish(std::string& out) override {
    if (!blocked_) {
      std::string carry;
      for (auto& s : stages_) {
        if (!s.filter || s.failed) continue;
        std::string piped;
        bool ok = run(s, [&] {
          if (!carry.empty()) s.filter->write(carry, piped);
          s.filter->finish(piped);
        });
        if (blocked_) break;
        if (ok) carry.swap(piped);
      }
      if (!blocked_) out += carry;
    }
    record();
  }

  Decision decision() const override {
    if (blocked_) return block_;
    Decision overall;
    for (const auto& s : stages_) accumulate(overall, stage_decision(s));
    return overall;
  }

 private:
  struct Stage {
    std::string kind;
    std::unique_ptr<StreamFilter> filter;
    std::uint64_t latency_us = 0;
    bool failed = false;
    Decision failure;  // what stands in for the stage's decision once it failed
  };

  static Decision stage_decision(const Stage& s) {
    if (s.failed) return s.failure;
    return s.filter ? s.filter->decision() : Decision{};
  }

  // Runs one step of a stage, timing it; false when it threw.
  template <typename Step>
  bool run(Stage& s, Step step) {
    auto start = Clock::now();
    bool ok = true;
    try {
      step();
    } catch (const std::exception& e) {
      fail(s, e.what());
      ok = false;
    } catch (...) {
      fail(s, "unknown exception");
      ok = false;
    }
    s.latency_us += micros_since(start);
    if (ok && s.filter && s.filter->decision().verdict == Verdict::block) {
      blocked_ = true;
      block_ = s.filter->decision();
      record();
    }
    return ok;
  }

  void fail(Stage& s, const char* what) {
    log_failure(s.kind, what);
    s.failed = true;
    s.failure = failure_decision(s.kind, mode_);
    if (mode_ == FailMode::block) {
      blocked_ = true;
      block_ = s.failure;
      record();
    }
  }

  void record() {
    if (recorded_) return;
    recorded_ = true;
    Decision overall;
    for (const auto& s : stages_) {
      Decision d = stage_decision(s);
      PolicyResult r = make_result(s.kind, Phase::output, d, s.latency_us);
      r.degraded = s.failed;
      ex_.policies.push_back(std::move(r));
      accumulate(overall, d);
    }
    apply_to_exchange(ex_, blocked_ ? block_ : overall);
  }

  gateway::Exchange& ex_;
  FailMode mode_;
  std::vector<Stage> stages_;
  bool blocked_ = false;
  bool recorded_ = false;
  Decision block_;
};

}  // namespace

PolicyChain::PolicyChain(const config::Config& config, const Registry& registry)
    : enabled_(config.pack.enabled) {
  for (const auto& kind : config.policies.chain) {
    const Registry::Factory* factory = registry.find(kind);
    if (!factory) throw std::invalid_argument("unknown policy kind '" + kind + "'");
    try {
      policies_.push_back((*factory)(config));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("policy '" + kind + "': " + e.what());
    }
  }
}

Decision PolicyChain::run_input(gateway::Exchange& ex, FailMode mode) const {
  if (!enabled_) return {};
  return run_phase(policies_, ex, Phase::input, mode,
                   [&](Policy& p) { return p.on_request(ex); });
}

Decision PolicyChain::run_output(gateway::Exchange& ex, boost::json::value& answer,
                                 FailMode mode) const {
  if (!enabled_) return {};
  return run_phase(policies_, ex, Phase::output, mode,
                   [&](Policy& p) { return p.on_response(ex, answer); });
}

std::unique_ptr<StreamFilter> PolicyChain::make_stream_filters(gateway::Exchange& ex,
                                                               FailMode mode) const {
  if (!enabled_) return nullptr;
  return std::make_unique<ChainStreamFilter>(policies_, ex, mode);
}

}  // namespace kt::policies
