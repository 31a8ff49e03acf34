// replicate_prompt.h — renders an OpenAI chat conversation into the single `prompt` string that
// Replicate language models take, using the chat format of the model's family (wire-formats §3):
// Llama 3 header tokens, Mistral/Mixtral [INST] blocks, or a plain transcript for models we do
// not know. Families that run on cog-vllm-style predictors accept `prompt_template: "{prompt}"`,
// so the server does not wrap the already rendered conversation a second time.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kt::providers::replicate {

enum class ModelFamily { llama3, mistral, plain };

struct FamilyTraits {
  std::string_view length_field;  // input key for the output length limit
  int default_length;             // the model's own default when no limit is sent
  bool prompt_template;           // accepts `prompt_template` (send "{prompt}")
  bool system_prompt;             // accepts `system_prompt`
};

// By name: "llama-3"/"llama3" → llama3, "mistral"/"mixtral" → mistral, anything else → plain.
ModelFamily model_family(std::string_view model);
const FamilyTraits& family_traits(ModelFamily family);

struct ChatMessage {
  std::string role;  // system | user | assistant (developer → system, tool/function → user)
  std::string content;
};

// Reads `messages`: string content, or an array of parts whose text parts are joined with "\n"
// (non-text parts are rejected: these models read text only). Returns "" or an error message.
std::string read_messages(const boost::json::value& messages, std::vector<ChatMessage>& out);

// The conversation in the family's chat format, ending where the assistant's answer begins.
std::string render_prompt(ModelFamily family, const std::vector<ChatMessage>& messages);

// The first system message ("" if none), also sent as `system_prompt` where supported.
std::string first_system(const std::vector<ChatMessage>& messages);

}  // namespace kt::providers::replicate
