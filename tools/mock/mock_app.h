// The kt-mock application: shared state (options, journal, fault queue, predictions) and the
// request dispatcher that sends each request to the OpenAI simulator, the Replicate simulator or
// the /_mock control API. Also the response helpers the simulators share.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fault.h"
#include "http_server.h"
#include "journal.h"
#include "predictions.h"

namespace kt::mock {

struct Options {
  std::string api_host = "127.0.0.1";
  unsigned short api_port = 0;
  std::string stream_host = "127.0.0.1";
  unsigned short stream_port = 0;
  int threads = 2;
  int token_delay_ms = 10;    // Replicate: time per output token
  int cold_start_ms = 50;     // Replicate: starting -> processing
  std::string require_token;  // empty: OpenAI accepts anything, Replicate any r8_ token
  bool sync_quirk = true;     // Prefer: wait answers "processing" with complete output
  std::size_t journal_size = 1000;
  std::size_t max_predictions = 10000;
};

struct MockApp {
  explicit MockApp(Options o)
      : opts(std::move(o)), journal(opts.journal_size), predictions(opts.max_predictions) {}
  Options opts;
  Journal journal;
  FaultQueue faults;
  PredictionStore predictions;
};

asio::awaitable<void> dispatch(MockApp& app, Call& call);

// The routes of each part; each returns false (without answering) when the path is not its own.
asio::awaitable<bool> serve_openai(MockApp& app, Call& call, std::string_view path);
asio::awaitable<bool> serve_replicate(MockApp& app, Call& call, std::string_view path);
asio::awaitable<bool> serve_stream_port(MockApp& app, Call& call, std::string_view path);
asio::awaitable<bool> serve_control(MockApp& app, Call& call, std::string_view path);

// --- shared helpers ---

Response make_response(http::status status, std::string body,
                       std::string_view content_type = "application/json");
// {"error":{"message","type","param","code"}} with a matching status.
Response openai_error(int status, std::string_view message, std::string_view type,
                      std::string_view code = {}, std::string_view param = {});
// The fault in effect for this request: queued for the path, then the x-mock-fault header, then
// the model's spec, later ones overriding earlier ones. A bad spec sets *error.
Fault collect_fault(MockApp& app, const Call& call, std::string_view model_spec,
                    std::string* error);
// Parses a query parameter (first occurrence, not decoded beyond '+'/'%XX').
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace kt::mock

namespace kt::mock {
// http://<host>:<port> of the API and stream listeners as this client reaches them (the Host
// header's host when a listener is bound to a wildcard address).
std::string api_base(const MockApp& app, const Call& call);
std::string stream_base(const MockApp& app, const Call& call);
// Replicate's model objects for GET /v1/models (the OpenAI list carries them as "results").
boost::json::array replicate_model_objects(const MockApp& app, const Call& call);
}  // namespace kt::mock
