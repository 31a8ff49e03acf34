#include "config/provider_catalog.h"

#include <algorithm>
#include <cctype>

namespace kt::config {
namespace {

const std::vector<ProviderDefaults>& catalog() {
  static const std::vector<ProviderDefaults> providers = {
      {"replicate",
       "https://api.replicate.com/v1",
       "REPLICATE_API_TOKEN",
       WireFormat::replicate,
       {"*.replicate.com", "*.replicate.net", "*.replicate.delivery"}},
      {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY", WireFormat::openai, {}},
      {"together", "https://api.together.xyz/v1", "TOGETHER_API_KEY", WireFormat::openai, {}},
      {"mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", WireFormat::openai, {}},
      {"groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", WireFormat::openai, {}},
      {"fireworks",
       "https://api.fireworks.ai/inference/v1",
       "FIREWORKS_API_KEY",
       WireFormat::openai,
       {}},
      {"deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", WireFormat::openai, {}},
      {"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", WireFormat::openai, {}},
      {"perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY", WireFormat::openai, {}},
      {"xai", "https://api.x.ai/v1", "XAI_API_KEY", WireFormat::openai, {}},
      {"ollama", "http://localhost:11434/v1", "", WireFormat::openai, {}},
  };
  return providers;
}

bool is_provider_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Owner and model names on Replicate: letters, digits, '-', '_', '.'.
bool is_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

const ProviderDefaults* provider_defaults(std::string_view id) {
  for (const auto& p : catalog()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::vector<std::string_view> known_provider_ids() {
  std::vector<std::string_view> ids;
  for (const auto& p : catalog()) ids.push_back(p.id);
  return ids;
}

std::optional<Endpoint> parse_endpoint(std::string_view name) {
  if (name == "chat") return Endpoint::chat;
  if (name == "completion") return Endpoint::completion;
  if (name == "embedding") return Endpoint::embedding;
  if (name == "image") return Endpoint::image;
  return std::nullopt;
}

ParsedProvider parse_provider(std::string_view value) {
  ParsedProvider out;
  auto first = value.find(':');
  std::string_view id = value.substr(0, first);
  if (id.empty()) {
    out.error = "provider id is empty";
    return out;
  }
  if (!std::all_of(id.begin(), id.end(), is_provider_id_char)) {
    out.error = "provider id '" + std::string(id) +
                "' may only contain lowercase letters, digits, '-', '_' and '.'";
    return out;
  }
  if (first == std::string_view::npos) {
    out.provider = std::string(id);
    return out;
  }
  std::string_view rest = value.substr(first + 1);
  auto second = rest.find(':');
  std::string_view endpoint_name = rest.substr(0, second);
  auto endpoint = parse_endpoint(endpoint_name);
  if (!endpoint) {
    out.error = "endpoint '" + std::string(endpoint_name) +
                "' is not one of chat, completion, embedding, image (expected "
                "<provider>:<endpoint>:<model>)";
    return out;
  }
  std::string_view model = second == std::string_view::npos ? "" : rest.substr(second + 1);
  if (model.empty()) {
    out.error = "model is missing (expected <provider>:<endpoint>:<model>)";
    return out;
  }
  if (std::any_of(model.begin(), model.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
    out.error = "model '" + std::string(model) + "' contains whitespace";
    return out;
  }
  out.provider = std::string(id);
  out.endpoint = endpoint;
  out.model = std::string(model);
  return out;
}

std::optional<ReplicateModel> parse_replicate_model(std::string_view model, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<ReplicateModel> {
    if (error) {
      *error = "Replicate model '" + std::string(model) + "' " + why +
               " (expected owner/name, owner/name:<64-hex version> or deployments/owner/name)";
    }
    return std::nullopt;
  };
  ReplicateModel out;
  std::string_view rest = model;
  constexpr std::string_view kDeployments = "deployments/";
  if (rest.substr(0, kDeployments.size()) == kDeployments) {
    out.kind = ReplicateModel::Kind::deployment;
    rest.remove_prefix(kDeployments.size());
  }
  auto colon = rest.find(':');
  if (colon != std::string_view::npos) {
    if (out.kind == ReplicateModel::Kind::deployment) return fail("has a version on a deployment");
    std::string_view version = rest.substr(colon + 1);
    if (!is_hex64(version)) return fail("has a version that is not 64 lowercase hex characters");
    out.kind = ReplicateModel::Kind::version;
    out.version = std::string(version);
    rest = rest.substr(0, colon);
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return fail("has no owner");
  std::string_view owner = rest.substr(0, slash), name = rest.substr(slash + 1);
  if (!is_name(owner) || !is_name(name)) return fail("is not a valid name");
  out.owner = std::string(owner);
  out.name = std::string(name);
  return out;
}

}  // namespace kt::config
