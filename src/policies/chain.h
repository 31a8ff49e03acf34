// chain.h — the policy chain engine (product-spec §5 "Verdicts").
//
// A PolicyChain is built once per Config from `policies.chain` through the Registry and shared
// read-only by all threads. run_input() runs the policies in config order on one Exchange and
// records one PolicyResult per policy: the first block stops the phase (later policies are
// recorded `skipped`, except audit-logger, which still records `allow`); redactions accumulate
// (each policy sees the body the previous one redacted). A policy that throws is decided by the
// fail mode: `block` records verdict block, reason `policy.error`, degraded; `allow` records
// allow, reason `policy.error`, degraded, and continues. ex.verdict / ex.reason_code only ever
// become more severe (allow < redact < escalate < block), so the input and output phases add up;
// a block also sets ex.error_message. With `pack.enabled: false` enabled() is false and the run_*
// calls do nothing and record nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "policies/policy.h"
#include "policies/registry.h"

namespace kt::policies {

enum class FailMode { block, allow };

class PolicyChain {
 public:
  // Throws std::invalid_argument naming the kind when the registry does not know a chained kind
  // or its factory rejects the settings.
  explicit PolicyChain(const config::Config& config,
                       const Registry& registry = Registry::builtin());

  bool enabled() const { return enabled_; }
  std::size_t size() const { return policies_.size(); }

  // Input phase: may edit ex.body. Returns the chain's decision (that of the blocking policy, or
  // redact with the first redacting policy's reason, or allow).
  Decision run_input(gateway::Exchange& ex, FailMode mode = FailMode::block) const;

  // Output phase on a whole answer (OpenAI-shaped JSON); policies may edit `answer`.
  Decision run_output(gateway::Exchange& ex, boost::json::value& answer,
                      FailMode mode = FailMode::block) const;

  // Output phase on a streamed answer: text written to the returned filter passes through every
  // policy's stream filter in chain order. Once a policy blocks, nothing more is released and
  // decision() says block. The results are recorded on `ex` (which must outlive the filter) at
  // the block or at finish(). nullptr when the chain is disabled.
  std::unique_ptr<StreamFilter> make_stream_filters(gateway::Exchange& ex,
                                                    FailMode mode = FailMode::block) const;

 private:
  bool enabled_ = true;
  std::vector<std::unique_ptr<Policy>> policies_;
};

}  // namespace kt::policies
