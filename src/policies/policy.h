// policy.h — the policy interface. A policy is built once per Config from its settings and is
// then shared by all threads: on_request/on_response/on_stream must be thread-safe (keep
// per-request state in the StreamFilter or on the stack; per-thread scratch in thread_local).
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "gateway/exchange.h"

namespace kt::policies {

using gateway::Exchange;
using gateway::Verdict;

// What a policy decided in one phase. `findings` never carries matched values.
struct Decision {
  Verdict verdict = Verdict::allow;
  std::string reason_code;         // "pii.detected", "prompt_injection.detected"
  std::string message;             // client-facing message when blocking
  boost::json::object findings;
};

// Filters one streamed answer (per choice). write() receives the next piece of answer text and
// appends to `out` whatever is safe to release now; finish() releases what was held back.
// block() turns true when the policy decides to stop the stream.
class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  virtual void write(std::string_view in, std::string& out) = 0;
  virtual void finish(std::string& out) = 0;
  virtual Decision decision() const = 0;  // cumulative decision so far
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view kind() const = 0;
  // Input phase: may edit ex.body (set ex.body_modified) and returns the decision.
  virtual Decision on_request(Exchange& ex) = 0;
  // Output phase on a whole answer (OpenAI-shaped JSON, e.g. chat.completion); may edit it.
  virtual Decision on_response(Exchange& ex, boost::json::value& answer) { return {}; }
  // Output phase on a streamed answer; nullptr = this policy does not look at streams.
  virtual std::unique_ptr<StreamFilter> on_stream(Exchange& ex) { return nullptr; }
};

}  // namespace kt::policies
