#include "replicate_catalog.h"

#include <algorithm>

namespace kt::mock {
namespace {

namespace json = boost::json;

constexpr std::string_view kCommunityVersion =
    "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";
constexpr std::string_view kFineTuneVersion =
    "0d8a5b7e3c1f4a2b9e6d7c8f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";

const std::vector<std::string_view> kFluxRatios = {"1:1", "16:9", "21:9", "3:2",  "2:3", "4:5",
                                                   "5:4", "3:4",  "4:3",  "9:16", "9:21"};
const std::vector<std::string_view> kSdRatios = {"1:1", "16:9", "21:9", "3:2", "2:3",
                                                 "4:5", "5:4",  "9:16", "9:21"};
const std::vector<std::string_view> kFormats = {"webp", "jpg", "png"};

std::string quoted_list(const std::vector<std::string_view>& values) {
  std::string out;
  for (auto v : values) {
    if (!out.empty()) out += ", ";
    out += "\"" + std::string(v) + "\"";
  }
  return out;
}

class Checker {
 public:
  explicit Checker(const json::object& input) : input_(input) {}

  void required_string(std::string_view key) {
    const auto* v = input_.if_contains(key);
    if (!v) {
      std::string description;
      description.append(key).append(" is required");
      add("required", "input", description);
    } else if (!v->is_string()) {
      add("type", field(key), "Invalid type. Expected: string, given: " + kind(*v));
    }
  }
  void optional_string(std::string_view key) {
    const auto* v = input_.if_contains(key);
    if (v && !v->is_string())
      add("type", field(key), "Invalid type. Expected: string, given: " + kind(*v));
  }
  void one_of(std::string_view key, const std::vector<std::string_view>& values) {
    const auto* v = input_.if_contains(key);
    if (!v) return;
    if (v->is_string() &&
        std::find(values.begin(), values.end(), std::string_view(v->as_string())) != values.end()) {
      return;
    }
    add("enum", field(key),
        std::string(key) + " must be one of the following: " + quoted_list(values));
  }
  void integer(std::string_view key, long long lo, long long hi) {
    const auto* v = input_.if_contains(key);
    if (!v) return;
    if (!v->is_int64()) {
      add("type", field(key), "Invalid type. Expected: integer, given: " + kind(*v));
    } else if (v->as_int64() > hi) {
      add("number_lte", field(key), "Must be less than or equal to " + std::to_string(hi));
    } else if (v->as_int64() < lo) {
      add("number_gte", field(key), "Must be greater than or equal to " + std::to_string(lo));
    }
  }
  void number(std::string_view key, double lo, double hi) {
    const auto* v = input_.if_contains(key);
    if (!v) return;
    if (!v->is_number()) {
      add("type", field(key), "Invalid type. Expected: number, given: " + kind(*v));
    } else if (v->to_number<double>() > hi) {
      add("number_lte", field(key), "Must be less than or equal to " + fmt(hi));
    } else if (v->to_number<double>() < lo) {
      add("number_gte", field(key), "Must be greater than or equal to " + fmt(lo));
    }
  }
  void boolean(std::string_view key) {
    const auto* v = input_.if_contains(key);
    if (v && !v->is_bool())
      add("type", field(key), "Invalid type. Expected: boolean, given: " + kind(*v));
  }
  std::vector<InvalidField> take() { return std::move(out_); }

 private:
  static std::string field(std::string_view key) { return "input." + std::string(key); }
  static std::string fmt(double d) {
    std::string s = json::serialize(json::value(d));
    if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
    auto e = s.find('E');
    if (e != std::string::npos) s = std::to_string(static_cast<long long>(d));
    return s;
  }
  static std::string kind(const json::value& v) {
    switch (v.kind()) {
      case json::kind::string:
        return "string";
      case json::kind::bool_:
        return "boolean";
      case json::kind::null:
        return "null";
      case json::kind::array:
        return "array";
      case json::kind::object:
        return "object";
      case json::kind::double_:
        return "number";
      default:
        return "integer";
    }
  }
  void add(std::string_view type, std::string_view field, std::string_view description) {
    InvalidField& f = out_.emplace_back();
    f.type.assign(type);
    f.field.assign(field);
    f.description.assign(description);
  }
  const json::object& input_;
  std::vector<InvalidField> out_;
};

json::object output_schema(const ReplicateModel& m) {
  if (!m.image) {
    return {{"type", "array"},
            {"items", {{"type", "string"}}},
            {"title", "Output"},
            {"x-cog-array-type", "iterator"},
            {"x-cog-array-display", "concatenate"}};
  }
  json::object uri{{"type", "string"}, {"format", "uri"}};
  if (!m.array_output) {
    uri["title"] = "Output";
    return uri;
  }
  return {{"type", "array"}, {"items", std::move(uri)}, {"title", "Output"}};
}

}  // namespace

const std::vector<ReplicateModel>& replicate_models() {
  static const std::vector<ReplicateModel> models = {
      {"meta/meta-llama-3-70b-instruct", false, "dp-cf04fe09351e25db628e8b6181276547", true,
       "max_tokens", 512, false,
       "A 70 billion parameter language model from Meta, fine tuned for chat completions"},
      {"meta/llama-3.3-70b-instruct", false, "hidden", true, "max_tokens", 512, false,
       "Meta Llama 3.3 70B instruct (kt-mock)"},
      {"meta/meta-llama-3.1-405b-instruct", false, "hidden", true, "max_tokens", 512, false,
       "Meta's flagship 405 billion parameter language model, fine-tuned for chat completions"},
      {"mistralai/mixtral-8x7b-instruct-v0.1", false, "hidden", true, "max_new_tokens", 1024, false,
       "The Mixtral-8x7B-instruct-v0.1 Large Language Model (LLM) is a pretrained generative "
       "Sparse Mixture of Experts tuned to be a helpful assistant."},
      {"your-org/your-fine-tuned-model", false, kFineTuneVersion, true, "max_tokens", 512, false,
       "A private fine-tune (kt-mock)"},
      {"acme/community-llm", false, kCommunityVersion, false, "max_tokens", 512, false,
       "A community model run by version (kt-mock)"},
      {"black-forest-labs/flux-schnell", true, "hidden", true, "", 0, true,
       "The fastest image generation model tailored for local development and personal use"},
      {"stability-ai/stable-diffusion-3.5-large", true, "hidden", true, "", 0, false,
       "A text-to-image model that generates high-resolution images with fine details"},
  };
  return models;
}

const ReplicateModel* find_replicate_model(std::string_view owner_name) {
  for (const auto& m : replicate_models()) {
    if (m.owner_name == owner_name) return &m;
  }
  return nullptr;
}

bool is_version_hash(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

const ReplicateModel* find_replicate_version(std::string_view version) {
  auto colon = version.find(':');
  if (colon == std::string_view::npos) {
    if (is_version_hash(version)) {
      for (const auto& m : replicate_models()) {
        if (m.version == version) return &m;
      }
      return nullptr;
    }
    const auto* m = find_replicate_model(version);  // "owner/name" of an official model
    return m && m->by_name ? m : nullptr;
  }
  const auto* m = find_replicate_model(version.substr(0, colon));
  return m && m->version == version.substr(colon + 1) ? m : nullptr;
}

const ReplicateDeployment* find_replicate_deployment(std::string_view owner_name) {
  static const ReplicateDeployment deployments[] = {{"acme/my-deployment", "acme/community-llm"}};
  for (const auto& d : deployments) {
    if (d.owner_name == owner_name) return &d;
  }
  return nullptr;
}

std::vector<InvalidField> validate_input(const ReplicateModel& model, const json::object& input) {
  Checker c(input);
  if (!model.image) {
    c.optional_string("prompt");
    c.optional_string("system_prompt");
    c.optional_string("prompt_template");
    c.optional_string("stop_sequences");
    c.integer(model.length_key, 1, 1 << 20);
    c.integer("min_tokens", 0, 1 << 20);
    c.number("temperature", 0, 5);
    c.number("top_p", 0, 1);
    c.integer("top_k", 0, 1 << 20);
    c.integer("seed", 0, (1LL << 53));
    return c.take();
  }
  c.required_string("prompt");
  c.one_of("output_format", kFormats);
  c.integer("seed", 0, (1LL << 53));
  if (model.array_output) {
    c.one_of("aspect_ratio", kFluxRatios);
    c.integer("num_outputs", 1, 4);
    c.integer("num_inference_steps", 1, 4);
    c.integer("output_quality", 0, 100);
    c.boolean("go_fast");
    c.boolean("disable_safety_checker");
    c.one_of("megapixels", {"1", "0.25"});
  } else {
    c.one_of("aspect_ratio", kSdRatios);
    c.number("cfg", 1, 10);
    c.number("prompt_strength", 0, 1);
    c.optional_string("negative_prompt");
  }
  return c.take();
}

json::object replicate_version_object(const ReplicateModel& m) {
  return {{"id", m.version},
          {"created_at", "2024-05-01T12:00:00.000000Z"},
          {"cog_version", "0.9.6"},
          {"openapi_schema",
           {{"openapi", "3.0.2"},
            {"info", {{"title", "Cog"}, {"version", "0.1.0"}}},
            {"components", {{"schemas", {{"Output", output_schema(m)}}}}}}}};
}

json::object replicate_model_object(const ReplicateModel& m) {
  std::string_view on = m.owner_name;
  auto slash = on.find('/');
  json::value latest = nullptr;
  if (is_version_hash(m.version)) latest = replicate_version_object(m);
  return {{"url", "https://replicate.com/" + std::string(on)},
          {"owner", on.substr(0, slash)},
          {"name", on.substr(slash + 1)},
          {"description", m.description},
          {"visibility", "public"},
          {"github_url", nullptr},
          {"paper_url", nullptr},
          {"license_url", nullptr},
          {"run_count", 1000},
          {"cover_image_url", nullptr},
          {"default_example", nullptr},
          {"latest_version", std::move(latest)}};
}

}  // namespace kt::mock
