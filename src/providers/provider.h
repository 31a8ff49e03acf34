// provider.h — the provider interface: one implementation per wire format (OpenAI-compatible,
// Replicate, ...). A provider turns the (possibly policy-edited) OpenAI request held by the
// Exchange into upstream calls and returns an OpenAI-shaped answer, or streams OpenAI chunk
// objects into a ChunkSink as they arrive. Providers know nothing about policies or the client
// connection; the pipeline decides about fallback from the returned Outcome.
//
// Providers are stateless singletons shared by all threads; per-call state lives in the coroutine.
// Cancellation: the pipeline may cancel a call (client gone, deadline). A provider that created
// billable upstream work (a Replicate prediction) must then cancel it — from a detached
// coroutine, since the cancelled one cannot await further operations.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "gateway/exchange.h"
#include "http/client.h"

namespace kt::providers {

// Why an attempt failed. The first four are the fallback triggers of product-spec §3.
enum class Failure {
  none,
  rate_limit,        // 429
  server_error,      // 5xx, or a prediction that failed upstream
  timeout,           // a deadline passed
  connection_error,  // refused, reset, DNS, TLS, malformed upstream answer
  bad_request,       // 400/422 from upstream: the client's request is at fault (no fallback)
  auth,              // 401/403 from upstream (no fallback: a config problem)
  not_found,         // 404 model not found upstream
  canceled,          // the client went away
};
const char* to_string(Failure f);

// slot = v, keeping v's storage (json::value's move assignment copies when the storages differ,
// and parsed bodies live in per-request arenas).
inline void adopt(boost::json::value& slot, boost::json::value&& v) noexcept {
  std::destroy_at(&slot);
  std::construct_at(&slot, std::move(v));
}

struct Outcome {
  Outcome() = default;
  Outcome(const Outcome&) = default;
  Outcome(Outcome&&) = default;
  Outcome& operator=(const Outcome&) = default;
  // Takes `answer` over with its storage: json::value's move assignment copies when the
  // storages differ, and answers are parsed into their own arenas.
  Outcome& operator=(Outcome&& o) noexcept {
    if (this != &o) {
      std::destroy_at(this);
      std::construct_at(this, std::move(o));
    }
    return *this;
  }

  Failure failure = Failure::none;
  int status = 0;              // upstream HTTP status (0 = none received)
  std::string message;         // client-facing cause; never a secret or a raw header
  std::string retry_after;     // Retry-After to forward on 429
  boost::json::value answer;   // complete(): the OpenAI-shaped answer
  // complete(): the upstream's bytes when `answer` is exactly their parse ("" = none); the
  // pipeline forwards them untouched when no output policy edited the answer.
  std::string raw;
  int chunks_sent = 0;         // stream(): chunks handed to the sink; > 0 = no silent fallback
  double ttfb_ms = -1;         // time to first byte (stream: first token) of the attempt
  double queue_ms = -1;        // Replicate started_at - created_at (cold start), -1 = n/a
  gateway::Usage usage;
};

// Receives OpenAI `chat.completion.chunk` / `text_completion` objects for one streamed answer.
// Returns false when the client is gone (the provider then stops and cleans up).
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual boost::asio::awaitable<bool> chunk(boost::json::object& c) = 0;
  // The same, with the upstream's own bytes of the chunk (the SSE `data` that parsed to `c`): a
  // sink that relays chunks unchanged may send `raw` instead of serialising `c` again.
  virtual boost::asio::awaitable<bool> chunk_raw(boost::json::object& c, std::string_view raw) {
    return chunk(c);
  }
};

// Everything one attempt needs. Built by the pipeline per target.
struct CallContext {
  gateway::Exchange& ex;              // route, body (json, maybe edited), raw body, stream flags
  const config::Target& target;
  std::string model;                  // model to send: the target's fixed one or the request's
  std::string base_url;               // target base_url (or the --upstream override)
  std::string credential;             // secret value ("" = none); never log it
  std::string credential_header;      // e.g. "Authorization"
  std::string credential_prefix;      // e.g. "Bearer"
  http::Deadlines deadlines;          // whole-attempt deadline = target timeout
  std::size_t response_limit = 64 * 1024 * 1024;  // max upstream body bytes
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual boost::asio::awaitable<Outcome> complete(CallContext& ctx) = 0;
  virtual boost::asio::awaitable<Outcome> stream(CallContext& ctx, ChunkSink& sink) = 0;
};

// The provider for a wire format (registry: one line per format in provider.cpp).
Provider& provider_for(config::WireFormat format);

}  // namespace kt::providers
