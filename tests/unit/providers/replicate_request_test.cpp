#include "providers/replicate_request.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace kt::providers::replicate {
namespace {
namespace json = boost::json;

constexpr std::string_view kLlama = "meta/meta-llama-3-70b-instruct";
constexpr std::string_view kMixtral = "mistralai/mixtral-8x7b-instruct-v0.1";
const std::string kHash(64, 'a');

json::object body(std::string_view extra = "") {
  std::string text = R"({"model":"m","messages":[{"role":"system","content":"S"},
                         {"role":"user","content":"Hi"}])";
  if (!extra.empty()) text += std::string(",") + std::string(extra);
  text += "}";
  return json::parse(text).as_object();
}

TEST(ReplicateAddress, OfficialModel) {
  CreateCall c;
  ASSERT_EQ(create_call("https://api.replicate.com/v1/", "meta/meta-llama-3-70b-instruct", c), "");
  EXPECT_EQ(c.url, "https://api.replicate.com/v1/models/meta/meta-llama-3-70b-instruct/predictions");
  EXPECT_EQ(c.version, "");
  EXPECT_EQ(create_body(c, {{"prompt", "x"}}), R"({"input":{"prompt":"x"}})");
}

TEST(ReplicateAddress, VersionedModelPostsTheHash) {
  CreateCall c;
  ASSERT_EQ(create_call("http://127.0.0.1:9/v1", "acme/tuned:" + kHash, c), "");
  EXPECT_EQ(c.url, "http://127.0.0.1:9/v1/predictions");
  EXPECT_EQ(c.version, kHash);
  EXPECT_EQ(create_body(c, {{"prompt", "x"}}),
            R"({"version":")" + kHash + R"(","input":{"prompt":"x"}})");
}

TEST(ReplicateAddress, Deployment) {
  CreateCall c;
  ASSERT_EQ(create_call("https://api.replicate.com/v1", "deployments/acme/prod-llm", c), "");
  EXPECT_EQ(c.url, "https://api.replicate.com/v1/deployments/acme/prod-llm/predictions");
  EXPECT_EQ(c.version, "");
}

TEST(ReplicateAddress, BadModelsAreErrors) {
  CreateCall c;
  EXPECT_NE(create_call("https://api.replicate.com/v1", "gpt-4o", c), "");
  EXPECT_NE(create_call("https://api.replicate.com/v1", "acme/x:123", c), "");
  EXPECT_NE(create_call("https://api.replicate.com/v1", "deployments/acme/x:" + kHash, c), "");
}

TEST(ReplicateChatPlan, Llama3Input) {
  TextPlan p;
  ASSERT_EQ(chat_plan(body(), kLlama, std::nullopt, p), "");
  EXPECT_EQ(p.input.at("prompt_template"), "{prompt}");
  EXPECT_EQ(p.input.at("system_prompt"), "S");
  EXPECT_TRUE(p.input.at("prompt").as_string().starts_with("<|begin_of_text|>"));
  EXPECT_FALSE(p.input.contains("max_tokens"));  // nothing asked, no cap: model default
  EXPECT_EQ(p.length_limit, 512);
  EXPECT_EQ(p.n, 1);
}

TEST(ReplicateChatPlan, EveryMappedField) {
  TextPlan p;
  ASSERT_EQ(chat_plan(body(R"("max_tokens":100,"temperature":0.2,"top_p":0.9,"seed":7,
                              "presence_penalty":0.5,"frequency_penalty":-0.5,
                              "stop":["END","\n\n"],"n":3)"),
                      kLlama, std::nullopt, p),
            "");
  EXPECT_EQ(p.input.at("max_tokens"), 100);
  EXPECT_EQ(p.input.at("temperature"), 0.2);
  EXPECT_EQ(p.input.at("top_p"), 0.9);
  EXPECT_EQ(p.input.at("seed"), 7);
  EXPECT_EQ(p.input.at("presence_penalty"), 0.5);
  EXPECT_EQ(p.input.at("frequency_penalty"), -0.5);
  EXPECT_EQ(p.input.at("stop_sequences"), "END,\n\n");
  EXPECT_EQ(p.length_limit, 100);
  EXPECT_EQ(p.n, 3);
}

TEST(ReplicateChatPlan, MaxCompletionTokensWinsOverMaxTokens) {
  TextPlan p;
  ASSERT_EQ(chat_plan(body(R"("max_tokens":100,"max_completion_tokens":40)"), kLlama,
                      std::nullopt, p),
            "");
  EXPECT_EQ(p.input.at("max_tokens"), 40);
}

TEST(ReplicateChatPlan, MixtralUsesMaxNewTokensAndNoSystemPrompt) {
  TextPlan p;
  ASSERT_EQ(chat_plan(body(R"("max_tokens":64)"), kMixtral, std::nullopt, p), "");
  EXPECT_EQ(p.input.at("max_new_tokens"), 64);
  EXPECT_FALSE(p.input.contains("max_tokens"));
  EXPECT_FALSE(p.input.contains("system_prompt"));
  EXPECT_EQ(p.input.at("prompt"), "<s>[INST] S\n\nHi [/INST]");
  EXPECT_EQ(p.input.at("prompt_template"), "{prompt}");
}

TEST(ReplicateChatPlan, PlainModelHasNoTemplate) {
  TextPlan p;
  ASSERT_EQ(chat_plan(body(), "acme/tuned", std::nullopt, p), "");
  EXPECT_FALSE(p.input.contains("prompt_template"));
  EXPECT_FALSE(p.input.contains("system_prompt"));
  EXPECT_EQ(p.input.at("prompt"), "System: S\n\nUser: Hi\n\nAssistant:");
}

TEST(ReplicateChatPlan, UnsupportedFieldsAreDropped) {
  TextPlan p;
  ASSERT_EQ(chat_plan(body(R"("stream":true,"stream_options":{"include_usage":true},
                              "tools":[],"tool_choice":"auto","response_format":{"type":"json_object"},
                              "logit_bias":{},"logprobs":true,"user":"u","metadata":{},
                              "store":true,"service_tier":"auto","reasoning_effort":"low",
                              "stop":null,"temperature":null)"),
                      kLlama, std::nullopt, p),
            "");
  for (const auto& kv : p.input) {
    EXPECT_TRUE(kv.key() == "prompt" || kv.key() == "prompt_template" ||
                kv.key() == "system_prompt")
        << "unexpected input key " << kv.key();
  }
}

TEST(ReplicateChatPlan, CapFillsAndClamps) {
  TextPlan filled, clamped, kept;
  ASSERT_EQ(chat_plan(body(), kLlama, 256, filled), "");
  EXPECT_EQ(filled.input.at("max_tokens"), 256);
  EXPECT_EQ(filled.length_limit, 256);
  ASSERT_EQ(chat_plan(body(R"("max_tokens":4000)"), kLlama, 256, clamped), "");
  EXPECT_EQ(clamped.input.at("max_tokens"), 256);
  ASSERT_EQ(chat_plan(body(R"("max_completion_tokens":10)"), kLlama, 256, kept), "");
  EXPECT_EQ(kept.input.at("max_tokens"), 10);
}

TEST(ReplicateChatPlan, StopAsStringAndEmptyEntries) {
  TextPlan p;
  ASSERT_EQ(chat_plan(body(R"("stop":"###")"), kLlama, std::nullopt, p), "");
  EXPECT_EQ(p.input.at("stop_sequences"), "###");
  TextPlan q;
  ASSERT_EQ(chat_plan(body(R"("stop":["",""])"), kLlama, std::nullopt, q), "");
  EXPECT_FALSE(q.input.contains("stop_sequences"));
}

TEST(ReplicateChatPlan, InvalidFieldsAreClearErrors) {
  auto error = [](std::string_view extra) {
    TextPlan p;
    return chat_plan(body(extra), kLlama, std::nullopt, p);
  };
  EXPECT_EQ(error(R"("max_tokens":0)"), "'max_tokens' must be a positive integer");
  EXPECT_EQ(error(R"("max_completion_tokens":"9")"),
            "'max_completion_tokens' must be a positive integer");
  EXPECT_EQ(error(R"("temperature":"hot")"), "'temperature' must be a number");
  EXPECT_EQ(error(R"("seed":1.5)"), "'seed' must be an integer");
  EXPECT_EQ(error(R"("n":0)"), "'n' must be an integer from 1 to 10");
  EXPECT_EQ(error(R"("stop":["a","b","c","d","e"])"), "'stop' may hold at most 4 sequences");
  EXPECT_EQ(error(R"("stop":[1])"), "'stop' must be a string or an array of strings");
  EXPECT_EQ(error(R"("stop":"a,b")"),
            "'stop' sequences containing ',' cannot be sent to Replicate (it splits on commas)");
  TextPlan p;
  EXPECT_EQ(chat_plan(json::object{{"model", "m"}}, kLlama, std::nullopt, p),
            "'messages' is required");
}

TEST(ReplicateCompletionPlan, PromptWithTemplate) {
  TextPlan p;
  auto b = json::parse(R"({"model":"m","prompt":"Once upon","max_tokens":5,"stop":"."})");
  ASSERT_EQ(completion_plan(b.as_object(), kLlama, std::nullopt, p), "");
  EXPECT_EQ(p.input.at("prompt"), "Once upon");
  EXPECT_EQ(p.input.at("prompt_template"), "{prompt}");
  EXPECT_EQ(p.input.at("max_tokens"), 5);
  EXPECT_EQ(p.input.at("stop_sequences"), ".");
  TextPlan q;
  auto arr = json::parse(R"({"prompt":["one"]})");
  ASSERT_EQ(completion_plan(arr.as_object(), kLlama, std::nullopt, q), "");
  EXPECT_EQ(q.input.at("prompt"), "one");
  TextPlan r;
  auto bad = json::parse(R"({"prompt":[1,2,3]})");
  EXPECT_NE(completion_plan(bad.as_object(), kLlama, std::nullopt, r), "");
}

TEST(ReplicateImages, SizeToAspectRatio) {
  EXPECT_EQ(aspect_ratio("1024x1024", ImageFamily::flux), "1:1");
  EXPECT_EQ(aspect_ratio("256x256", ImageFamily::flux), "1:1");
  EXPECT_EQ(aspect_ratio("512x512", ImageFamily::flux), "1:1");
  EXPECT_EQ(aspect_ratio("1792x1024", ImageFamily::flux), "16:9");
  EXPECT_EQ(aspect_ratio("1024x1792", ImageFamily::flux), "9:16");
  EXPECT_EQ(aspect_ratio("1536x1024", ImageFamily::flux), "3:2");
  EXPECT_EQ(aspect_ratio("1024x1536", ImageFamily::flux), "2:3");
  EXPECT_EQ(aspect_ratio("1024x768", ImageFamily::flux), "4:3");
  EXPECT_NE(aspect_ratio("1024x768", ImageFamily::stable_diffusion), "4:3");  // SD lacks 4:3
  EXPECT_EQ(aspect_ratio("auto", ImageFamily::flux), "");
  EXPECT_EQ(aspect_ratio("big", ImageFamily::flux), std::nullopt);
  EXPECT_EQ(aspect_ratio("0x10", ImageFamily::flux), std::nullopt);
  EXPECT_EQ(aspect_ratio("x10", ImageFamily::flux), std::nullopt);
}

TEST(ReplicateImages, FluxSplitsIntoNumOutputsOfAtMostFour) {
  ImagePlan p;
  auto b = json::parse(R"({"prompt":"a cat","n":6,"size":"1792x1024","response_format":"b64_json",
                          "output_format":"jpeg","quality":"hd","style":"vivid"})");
  ASSERT_EQ(image_plan(b.as_object(), "black-forest-labs/flux-schnell", p), "");
  ASSERT_EQ(p.inputs.size(), 2u);
  EXPECT_EQ(p.inputs[0].at("num_outputs"), 4);
  EXPECT_EQ(p.inputs[1].at("num_outputs"), 2);
  EXPECT_EQ(p.inputs[0].at("aspect_ratio"), "16:9");
  EXPECT_EQ(p.inputs[0].at("output_format"), "jpg");
  EXPECT_FALSE(p.inputs[0].contains("quality"));
  EXPECT_FALSE(p.inputs[0].contains("style"));
  EXPECT_TRUE(p.b64_json);
}

TEST(ReplicateImages, StableDiffusionMakesNPredictions) {
  ImagePlan p;
  auto b = json::parse(R"({"prompt":"a cat","n":3})");
  ASSERT_EQ(image_plan(b.as_object(), "stability-ai/stable-diffusion-3.5-large", p), "");
  ASSERT_EQ(p.inputs.size(), 3u);
  EXPECT_FALSE(p.inputs[0].contains("num_outputs"));
  EXPECT_EQ(p.inputs[2].at("prompt"), "a cat");
  EXPECT_FALSE(p.b64_json);
}

TEST(ReplicateImages, InvalidFieldsAreClearErrors) {
  auto error = [](std::string_view text) {
    ImagePlan p;
    return image_plan(json::parse(text).as_object(), "black-forest-labs/flux-schnell", p);
  };
  EXPECT_EQ(error(R"({"n":1})"), "'prompt' must be a non-empty string");
  EXPECT_EQ(error(R"({"prompt":"x","size":"huge"})"),
            "'size' must be \"auto\" or WIDTHxHEIGHT, e.g. \"1024x1024\"");
  EXPECT_EQ(error(R"({"prompt":"x","response_format":"png"})"),
            "'response_format' must be \"url\" or \"b64_json\"");
  EXPECT_EQ(error(R"({"prompt":"x","output_format":"gif"})"),
            "'output_format' must be one of png, jpeg, webp");
  EXPECT_EQ(error(R"({"prompt":"x","n":11})"), "'n' must be an integer from 1 to 10");
}

}  // namespace
}  // namespace kt::providers::replicate
