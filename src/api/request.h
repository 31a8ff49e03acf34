// request.h — decoding and validating an OpenAI request body (one JSON parse per request).
// Checks only what the gateway relies on (model, messages/prompt/input shapes, stream flags);
// every other field passes through untouched.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace kt::api {

enum class Endpoint { chat, completion, embedding, image };

struct DecodedRequest {
  boost::json::value body;
  std::string model;
  bool stream = false;
  bool include_usage = false;
};

struct DecodeError {
  std::string message;
  std::string param;  // the offending field, for the error envelope's message
};

// Parses and validates. On failure returns false and fills `err` (answer 422). The parsed body
// lives in `sp` (default: the default resource); the gateway passes a per-request arena.
bool decode_request(Endpoint ep, std::string_view body, DecodedRequest& out, DecodeError& err,
                    boost::json::storage_ptr sp = {});

}  // namespace kt::api
