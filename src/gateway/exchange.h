// exchange.h — one Exchange per client request: the parsed request, what each policy found, the
// upstream attempts, timings and the final verdict. The audit event is built from it.
//
// Header-only (policies and audit use it without linking the gateway module).
// The server creates it, the pipeline fills it; policies and providers read and amend it. It is
// owned by one coroutine on one thread: nothing in it is synchronised.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace kt::gateway {

enum class Route { chat_completions, completions, embeddings, images_generations };
enum class Verdict { allow, redact, block, escalate };
enum class Phase { input, output };

inline const char* to_string(Route r) {
  switch (r) {
    case Route::chat_completions: return "/v1/chat/completions";
    case Route::completions: return "/v1/completions";
    case Route::embeddings: return "/v1/embeddings";
    case Route::images_generations: return "/v1/images/generations";
  }
  return "";
}
inline const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::allow: return "allow";
    case Verdict::redact: return "redact";
    case Verdict::block: return "block";
    case Verdict::escalate: return "escalate";
  }
  return "";
}
inline const char* to_string(Phase p) { return p == Phase::input ? "input" : "output"; }

// One policy's outcome in one phase.
struct PolicyResult {
  std::string kind;
  Phase phase = Phase::input;
  std::string verdict;             // allow | redact | block | skipped | error
  std::string reason_code;         // e.g. "pii.detected"
  std::uint64_t latency_us = 0;
  boost::json::object findings;    // counts and families, never the matched values
  bool degraded = false;           // the policy threw or timed out; --fail-mode decided
};

// One upstream call (a target tried once).
struct Attempt {
  std::string target;
  std::string provider;
  int status = 0;                  // HTTP status from upstream, 0 when none was received
  std::string error;               // short cause, never a secret
  double latency_ms = 0;
  double ttfb_ms = -1;             // -1 = no first byte
  double queue_ms = -1;            // Replicate started_at - created_at (cold start), -1 = unknown
};

struct Usage {
  std::int64_t prompt_tokens = -1;  // -1 = unknown
  std::int64_t completion_tokens = -1;
};

struct Exchange {
  using clock = std::chrono::steady_clock;

  std::string request_id;
  Route route = Route::chat_completions;
  std::string client_ip;
  std::string user_id;              // x-user-id / OpenAI `user`, when given
  // User identity headers (name, value) for hipaa_audit_controls events, e.g. x-user-id,
  // x-user-role, x-tenant-id. Never credentials: audit drops credential-like names anyway.
  std::vector<std::pair<std::string, std::string>> identity;
  clock::time_point started = clock::now();

  std::string_view raw_body;        // the client's bytes (valid for the request's lifetime)
  boost::json::value body;          // parsed once; policies edit it in place
  bool body_modified = false;       // set by any policy that edits `body`
  std::string model;
  bool stream = false;
  bool include_usage = false;

  config::ConfigPtr config;         // the config this request runs on (hot reload safe)

  std::vector<PolicyResult> policies;
  std::vector<Attempt> attempts;

  Verdict verdict = Verdict::allow;
  std::string reason_code;          // of the deciding policy or of the error
  std::string error_message;        // the error sent to the client, if any
  int status = 0;                   // HTTP status sent to the client
  Usage usage;
  std::string answer_text;          // the answer as sent to the client (already redacted)
  std::string served_by;            // target id that answered
  // Data categories seen in this request (e.g. "EMAIL", "US_SSN"), set by policies; recorded
  // with hipaa_audit_controls.
  std::vector<std::string> data_categories;
};

}  // namespace kt::gateway
