// replicate_request.h — OpenAI request → Replicate prediction request (wire-formats §1.2, §3,
// §4.5, §5). Pure functions: no I/O, so every mapping rule is unit-tested.
//
// Addressing: `owner/name` → POST {base}/models/owner/name/predictions; `owner/name:<64-hex>` →
// POST {base}/predictions with `version` = the hash (the form every API version and client
// accepts); `deployments/owner/name` → POST {base}/deployments/owner/name/predictions.
//
// Inputs: only fields the model understands are sent; every other OpenAI field is dropped, never
// forwarded into `input` (Replicate rejects unknown request keys with 422).
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kt::providers::replicate {

struct CreateCall {
  std::string url;      // where to POST
  std::string version;  // "" unless the model is pinned to a version
};

// Returns "" or the reason the model cannot be addressed.
std::string create_call(std::string_view base_url, std::string_view model, CreateCall& out);

// The create body: {"input": ..., "version"?: ...}.
std::string create_body(const CreateCall& call, const boost::json::object& input);

// One language-model request, to be sent `n` times (n > 1 = n predictions).
struct TextPlan {
  boost::json::object input;
  int length_limit = 0;  // the limit sent, or the family default when none was sent
  int n = 1;
};

// /v1/chat/completions. `cap` is the target's max_tokens_cap. Returns "" or the client error.
std::string chat_plan(const boost::json::object& body, std::string_view model,
                      std::optional<int> cap, TextPlan& out);
// /v1/completions.
std::string completion_plan(const boost::json::object& body, std::string_view model,
                            std::optional<int> cap, TextPlan& out);

enum class ImageFamily { flux, stable_diffusion };
ImageFamily image_family(std::string_view model);

// One images request: `inputs` holds one input per prediction to create.
struct ImagePlan {
  std::vector<boost::json::object> inputs;
  bool b64_json = false;  // response_format
  int n = 1;
};

// /v1/images/generations. Returns "" or the client error.
std::string image_plan(const boost::json::object& body, std::string_view model, ImagePlan& out);

// OpenAI `size` ("1024x1792") → the nearest aspect ratio the family accepts ("9:16").
// "" for "auto" (model default); nullopt when the size is not WIDTHxHEIGHT.
std::optional<std::string> aspect_ratio(std::string_view size, ImageFamily family);

}  // namespace kt::providers::replicate
