#include "mock/replicate_catalog.h"

#include <gtest/gtest.h>

namespace kt::mock {
namespace {

namespace json = boost::json;

TEST(ReplicateCatalog, VersionLookup) {
  const std::string hash = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";
  ASSERT_NE(find_replicate_version(hash), nullptr);
  EXPECT_EQ(find_replicate_version(hash)->owner_name, "acme/community-llm");
  EXPECT_NE(find_replicate_version("acme/community-llm:" + hash), nullptr);
  EXPECT_EQ(find_replicate_version("meta/meta-llama-3-70b-instruct:" + hash), nullptr);
  EXPECT_NE(find_replicate_version("meta/meta-llama-3-70b-instruct"), nullptr);
  EXPECT_EQ(find_replicate_version("acme/community-llm"), nullptr);  // version only
  EXPECT_EQ(find_replicate_version(std::string(64, 'f')), nullptr);
  for (const auto& m : replicate_models()) {
    if (m.version.size() == 64) {
      EXPECT_TRUE(is_version_hash(m.version)) << m.owner_name;
    }
  }
}

TEST(ReplicateCatalog, FluxValidationMatchesTheCapturedShape) {
  const auto* flux = find_replicate_model("black-forest-labs/flux-schnell");
  ASSERT_NE(flux, nullptr);
  auto bad = validate_input(
      *flux, json::parse(R"({"num_inference_steps":5,"output_format":"gif"})").as_object());
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_EQ(bad[0].type, "required");
  EXPECT_EQ(bad[0].field, "input");
  EXPECT_EQ(bad[0].description, "prompt is required");
  EXPECT_EQ(bad[1].type, "enum");
  EXPECT_EQ(bad[1].description,
            "output_format must be one of the following: \"webp\", \"jpg\", \"png\"");
  EXPECT_EQ(bad[2].type, "number_lte");
  EXPECT_EQ(bad[2].field, "input.num_inference_steps");
  EXPECT_EQ(bad[2].description, "Must be less than or equal to 4");
  EXPECT_TRUE(
      validate_input(*flux, json::parse(R"({"prompt":"x","num_outputs":4})").as_object()).empty());
  EXPECT_EQ(
      validate_input(*flux, json::parse(R"({"prompt":"x","num_outputs":0})").as_object())[0].type,
      "number_gte");
}

TEST(ReplicateCatalog, ChatInputTypes) {
  const auto* mixtral = find_replicate_model("mistralai/mixtral-8x7b-instruct-v0.1");
  ASSERT_NE(mixtral, nullptr);
  EXPECT_EQ(mixtral->length_key, "max_new_tokens");
  auto bad =
      validate_input(*mixtral, json::parse(R"({"prompt":1,"max_new_tokens":"x"})").as_object());
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].field, "input.prompt");
  EXPECT_EQ(bad[1].field, "input.max_new_tokens");
}

TEST(ReplicateCatalog, DeploymentAndModelObjects) {
  const auto* d = find_replicate_deployment("acme/my-deployment");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->model, "acme/community-llm");
  auto m = replicate_model_object(*find_replicate_model("acme/community-llm"));
  EXPECT_EQ(m.at("owner").as_string(), "acme");
  EXPECT_EQ(m.at("latest_version").as_object().at("id").as_string(),
            find_replicate_model("acme/community-llm")->version);
}

}  // namespace
}  // namespace kt::mock
