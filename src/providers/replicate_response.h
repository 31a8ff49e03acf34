// replicate_response.h — Replicate answers → OpenAI answers (wire-formats §1.4, §1.6, §5):
// prediction objects, problem+json errors, file outputs and timestamps. Pure functions.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/provider.h"

namespace kt::providers::replicate {

// The parts of a prediction object the gateway uses.
struct Prediction {
  std::string id;
  std::string status;  // starting | processing | succeeded | failed | canceled | aborted
  std::string error;
  boost::json::value output;
  std::string url_get, url_cancel, url_stream;
  std::optional<std::int64_t> input_tokens, output_tokens;  // metrics, once succeeded
  std::string created_at, started_at;

  bool terminal() const;
  bool has_token_counts() const { return input_tokens && output_tokens; }
};

// Returns "" or why the body is not a prediction (then the upstream answer is malformed).
std::string parse_prediction(std::string_view body, Prediction& out);

// Output of a language model: array fragments concatenated, or a plain string.
std::string output_text(const boost::json::value& output);
// Number of output fragments (an array's length, 1 for a non-empty string).
std::size_t output_fragments(const boost::json::value& output);
// Image outputs: one URL string or an array of them.
std::vector<std::string> output_files(const boost::json::value& output);

// "length" when the model produced as many tokens as it was allowed, else "stop".
std::string finish_reason(const Prediction& p, int length_limit);

// The failure of a terminal prediction that did not succeed.
Outcome prediction_failure(const Prediction& p);

// A non-2xx response (problem+json or anything else) → the attempt's outcome.
Outcome error_outcome(int status, std::string_view body, std::string_view retry_after);

// chat.completion / text_completion from n finished predictions (one per choice).
boost::json::object chat_completion(const std::vector<Prediction>& choices, std::string_view model,
                                    std::int64_t created, int length_limit);
boost::json::object text_completion(const std::vector<Prediction>& choices,
                                     std::string_view model, std::int64_t created,
                                     int length_limit);
// Summed token counts; -1 fields when any prediction lacks metrics.
gateway::Usage total_usage(const std::vector<Prediction>& choices);

// Milliseconds since the Unix epoch of an RFC 3339 timestamp with any number of fraction digits
// and a `Z` or ±hh:mm offset; nullopt when malformed.
std::optional<double> rfc3339_ms(std::string_view text);
// started_at − created_at in ms, -1 when either is missing.
double queue_ms(const Prediction& p);

// data:[<mime>][;base64],<payload> → bytes. nullopt when not a well-formed data URI.
std::optional<std::string> decode_data_uri(std::string_view uri);
std::string base64_encode(std::string_view bytes);

}  // namespace kt::providers::replicate
