#include "api/errors.h"

#include <boost/json.hpp>

namespace kt::api {

ErrorInfo error_info(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::policy_input_blocked: return {409, "policy_violation", "input_blocked"};
    case ErrorKind::policy_output_blocked: return {409, "policy_violation", "output_blocked"};
    case ErrorKind::validation: return {422, "validation_error", "invalid_request"};
    case ErrorKind::authentication: return {401, "authentication_error", "invalid_api_key"};
    case ErrorKind::model_not_found: return {404, "invalid_request_error", "model_not_found"};
    case ErrorKind::not_found: return {404, "invalid_request_error", "not_found"};
    case ErrorKind::method_not_allowed:
      return {405, "invalid_request_error", "method_not_allowed"};
    case ErrorKind::request_too_large: return {413, "validation_error", "request_too_large"};
    case ErrorKind::headers_too_large: return {431, "validation_error", "headers_too_large"};
    case ErrorKind::rate_limit: return {429, "rate_limit", "rate_limit_exceeded"};
    case ErrorKind::upstream: return {502, "upstream_error", "upstream_error"};
    case ErrorKind::upstream_timeout: return {504, "upstream_error", "upstream_timeout"};
    case ErrorKind::unavailable: return {503, "unavailable", "unavailable"};
    case ErrorKind::internal: return {500, "server_error", "internal_error"};
  }
  return {500, "server_error", "internal_error"};
}

namespace {
boost::json::object envelope(ErrorKind kind, std::string_view message, std::string_view policy,
                             std::string_view code_override) {
  const ErrorInfo info = error_info(kind);
  boost::json::object err;
  err["message"] = message;
  err["type"] = info.type;
  err["code"] = code_override.empty() ? std::string_view(info.code) : code_override;
  err["param"] = nullptr;
  if (!policy.empty()) err["policy"] = policy;
  boost::json::object root;
  root["error"] = std::move(err);
  return root;
}
}  // namespace

std::string error_body(ErrorKind kind, std::string_view message, std::string_view policy,
                       std::string_view code_override) {
  return boost::json::serialize(envelope(kind, message, policy, code_override));
}

std::string error_sse(ErrorKind kind, std::string_view message) {
  std::string out = "data: ";
  out += boost::json::serialize(envelope(kind, message, {}, {}));
  out += "\n\ndata: [DONE]\n\n";
  return out;
}

}  // namespace kt::api
