// fuzz_openai_request — an OpenAI request body → DecodedRequest (src/api), and for the bodies
// that decode, the Replicate translation the pipeline runs next (src/providers/replicate_request).
//
// The input is the JSON body; the last byte picks the endpoint, the model family and the
// max_tokens_cap. Checks: a rejected body always says why; an accepted one is an object with
// the model the decoder reported; every error envelope is valid JSON.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "api/errors.h"
#include "api/request.h"
#include "providers/replicate_request.h"

namespace rep = kt::providers::replicate;

namespace {

constexpr const char* kModels[] = {
    "meta/meta-llama-3-70b-instruct",
    "mistralai/mixtral-8x7b-instruct-v0.1",
    "replicate/flan-t5-xl:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "black-forest-labs/flux-schnell",
    "stability-ai/stable-diffusion-3.5-large",
    "deployments/acme/chat",
};

void translate(kt::api::Endpoint ep, const kt::api::DecodedRequest& req, std::string_view model,
               std::optional<int> cap) {
  const auto& body = req.body.get_object();
  rep::CreateCall call;
  if (!rep::create_call("https://api.replicate.com/v1", model, call).empty()) return;
  switch (ep) {
    case kt::api::Endpoint::chat:
    case kt::api::Endpoint::completion: {
      rep::TextPlan plan;
      const std::string err = ep == kt::api::Endpoint::chat
                                  ? rep::chat_plan(body, model, cap, plan)
                                  : rep::completion_plan(body, model, cap, plan);
      if (!err.empty()) return;
      if (plan.n < 1) std::abort();
      if (cap && plan.length_limit > *cap) std::abort();
      (void)boost::json::parse(rep::create_body(call, plan.input));
      break;
    }
    case kt::api::Endpoint::image: {
      rep::ImagePlan plan;
      if (!rep::image_plan(body, model, plan).empty()) return;
      if (plan.inputs.empty()) std::abort();
      for (const auto& in : plan.inputs) (void)boost::json::parse(rep::create_body(call, in));
      if (const auto* size = body.if_contains("size"); size && size->is_string()) {
        (void)rep::aspect_ratio(size->get_string(), rep::image_family(model));
      }
      break;
    }
    case kt::api::Endpoint::embedding:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::uint8_t knobs = fdp.ConsumeIntegral<std::uint8_t>();
  const std::string body = fdp.ConsumeRemainingBytesAsString();
  const auto ep = static_cast<kt::api::Endpoint>(knobs & 3);
  const std::string_view model = kModels[(knobs >> 2) % std::size(kModels)];
  const std::optional<int> cap = (knobs & 0x80) ? std::optional<int>(1 + (knobs & 0x3f) * 37)
                                                : std::nullopt;

  kt::api::DecodedRequest req;
  kt::api::DecodeError err;
  if (!kt::api::decode_request(ep, body, req, err)) {
    if (err.message.empty()) std::abort();
    const std::string envelope = kt::api::error_body(kt::api::ErrorKind::validation, err.message);
    if (!boost::json::parse(envelope).is_object()) std::abort();
    return 0;
  }
  if (!req.body.is_object()) std::abort();
  const auto* m = req.body.get_object().if_contains("model");
  if (m && (!m->is_string() || m->get_string() != req.model)) std::abort();
  translate(ep, req, req.model.find('/') != std::string::npos ? std::string_view(req.model) : model,
            cap);
  return 0;
}
