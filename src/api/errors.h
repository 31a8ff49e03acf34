// errors.h — the OpenAI-shaped error envelope every client-visible error uses (product-spec §6):
// {"error":{"message","type","code","param":null,"policy"?}}. One place decides status, type
// and code for each kind of failure, so the server, pipeline and providers agree.
#pragma once

#include <string>
#include <string_view>

namespace kt::api {

enum class ErrorKind {
  policy_input_blocked,   // 409 policy_violation / input_blocked
  policy_output_blocked,  // 409 policy_violation / output_blocked
  validation,             // 422 validation_error
  authentication,         // 401 authentication_error
  model_not_found,        // 404 invalid_request_error / model_not_found
  not_found,              // 404 invalid_request_error / not_found
  method_not_allowed,     // 405 invalid_request_error / method_not_allowed
  request_too_large,      // 413 validation_error / request_too_large
  headers_too_large,      // 431 validation_error / headers_too_large
  rate_limit,             // 429 rate_limit
  upstream,               // 502 upstream_error
  upstream_timeout,       // 504 upstream_error / upstream_timeout
  unavailable,            // 503 unavailable
  internal,               // 500 server_error
};

struct ErrorInfo {
  int status;
  const char* type;
  const char* code;  // may be null: serialised as the type
};

ErrorInfo error_info(ErrorKind kind);

// Serialises the envelope. `policy` is added when non-empty (the blocking policy's kind).
std::string error_body(ErrorKind kind, std::string_view message, std::string_view policy = {},
                       std::string_view code_override = {});

// The SSE form of a mid-stream error: "data: {envelope}\n\ndata: [DONE]\n\n".
std::string error_sse(ErrorKind kind, std::string_view message);

}  // namespace kt::api
