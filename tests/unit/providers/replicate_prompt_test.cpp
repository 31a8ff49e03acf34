#include "providers/replicate_prompt.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace kt::providers::replicate {
namespace {

std::vector<ChatMessage> read(std::string_view messages_json) {
  std::vector<ChatMessage> out;
  EXPECT_EQ(read_messages(boost::json::parse(messages_json), out), "");
  return out;
}

TEST(ReplicatePrompt, FamilyFromModelName) {
  EXPECT_EQ(model_family("meta/meta-llama-3-70b-instruct"), ModelFamily::llama3);
  EXPECT_EQ(model_family("meta/llama-3.3-70b-instruct"), ModelFamily::llama3);
  EXPECT_EQ(model_family("meta/Meta-Llama-3.1-405B-Instruct"), ModelFamily::llama3);
  EXPECT_EQ(model_family("mistralai/mixtral-8x7b-instruct-v0.1"), ModelFamily::mistral);
  EXPECT_EQ(model_family("mistralai/mistral-7b-instruct-v0.2"), ModelFamily::mistral);
  EXPECT_EQ(model_family("your-org/your-fine-tuned-model"), ModelFamily::plain);
}

TEST(ReplicatePrompt, FamilyTraits) {
  EXPECT_EQ(family_traits(ModelFamily::llama3).length_field, "max_tokens");
  EXPECT_EQ(family_traits(ModelFamily::mistral).length_field, "max_new_tokens");
  EXPECT_TRUE(family_traits(ModelFamily::llama3).prompt_template);
  EXPECT_TRUE(family_traits(ModelFamily::mistral).prompt_template);
  EXPECT_FALSE(family_traits(ModelFamily::plain).prompt_template);
  EXPECT_TRUE(family_traits(ModelFamily::llama3).system_prompt);
  EXPECT_FALSE(family_traits(ModelFamily::mistral).system_prompt);
}

TEST(ReplicatePrompt, Llama3TokensExact) {
  auto m = read(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi there"},
                   {"role":"assistant","content":"Hello!"},{"role":"user","content":" Why? "}])");
  EXPECT_EQ(render_prompt(ModelFamily::llama3, m),
            "<|begin_of_text|>"
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhy?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ReplicatePrompt, DeveloperIsSystemAndToolIsUser) {
  auto m = read(R"([{"role":"developer","content":"D"},{"role":"tool","content":"T",
                   "tool_call_id":"x"}])");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].role, "system");
  EXPECT_EQ(m[1].role, "user");
  EXPECT_EQ(first_system(m), "D");
}

TEST(ReplicatePrompt, MistralInstBlocks) {
  auto m = read(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},
                   {"role":"assistant","content":"Hello!"},{"role":"user","content":"Why?"}])");
  EXPECT_EQ(render_prompt(ModelFamily::mistral, m),
            "<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Why? [/INST]");
}

TEST(ReplicatePrompt, MistralSingleUser) {
  auto m = read(R"([{"role":"user","content":"Hi"}])");
  EXPECT_EQ(render_prompt(ModelFamily::mistral, m), "<s>[INST] Hi [/INST]");
}

TEST(ReplicatePrompt, PlainSingleUserIsVerbatim) {
  auto m = read(R"([{"role":"user","content":"  exact text\n"}])");
  EXPECT_EQ(render_prompt(ModelFamily::plain, m), "  exact text\n");
}

TEST(ReplicatePrompt, PlainTranscript) {
  auto m = read(R"([{"role":"system","content":"S"},{"role":"user","content":"U"},
                   {"role":"assistant","content":"A"},{"role":"user","content":"V"}])");
  EXPECT_EQ(render_prompt(ModelFamily::plain, m),
            "System: S\n\nUser: U\n\nAssistant: A\n\nUser: V\n\nAssistant:");
}

TEST(ReplicatePrompt, ArrayOfTextPartsIsJoined) {
  auto m = read(R"([{"role":"user","content":[{"type":"text","text":"one"},
                                               {"type":"text","text":"two"}]}])");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].content, "one\ntwo");
}

TEST(ReplicatePrompt, AssistantWithoutContentIsKept) {
  auto m = read(R"([{"role":"user","content":"U"},{"role":"assistant","content":null,
                   "tool_calls":[]}])");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].content, "");
}

TEST(ReplicatePrompt, BadMessagesAreClearErrors) {
  std::vector<ChatMessage> out;
  EXPECT_EQ(read_messages(boost::json::parse("[]"), out), "'messages' must be a non-empty array");
  EXPECT_EQ(read_messages(boost::json::parse("{}"), out), "'messages' must be a non-empty array");
  EXPECT_EQ(read_messages(boost::json::parse(R"([{"content":"x"}])"), out),
            "messages[0].role must be a string");
  EXPECT_EQ(read_messages(boost::json::parse(R"([{"role":"user","content":5}])"), out),
            "messages[0].content must be a string or an array of parts");
  EXPECT_EQ(read_messages(boost::json::parse(R"([{"role":"user","content":[
              {"type":"image_url","image_url":{"url":"https://x/y.png"}}]}])"), out),
            "messages[0].content[0] is not a text part; the Replicate provider sends text only");
}

}  // namespace
}  // namespace kt::providers::replicate
