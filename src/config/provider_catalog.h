// provider_catalog.h — the providers kt knows by id (their default base URL, credential variable
// and wire format) and the parsing of a target's `provider:` value, which is either a bare id
// (`openai`) or the shorthand `<provider>:<chat|completion|embedding|image>:<model>`.
//
// Model forms in the shorthand: `owner/model`, `owner/model:<64-hex version>`,
// `deployments/owner/name`, or a plain name (`gpt-4o`). Everything after the second colon is the
// model, so a versioned Replicate model keeps its own colon.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace kt::config {

struct ProviderDefaults {
  std::string_view id;          // "replicate"
  std::string_view base_url;    // "https://api.replicate.com/v1"
  std::string_view secret_env;  // "REPLICATE_API_TOKEN" ("" = no credential, e.g. ollama)
  WireFormat format;
  // Hosts besides the base_url host that stream/poll/file URLs may point at ("*." = subdomains).
  std::vector<std::string_view> stream_hosts;
};

// nullptr when the id is not a known provider.
const ProviderDefaults* provider_defaults(std::string_view id);
// Every known provider id, in catalog order (for suggestions and help).
std::vector<std::string_view> known_provider_ids();

struct ParsedProvider {
  std::string provider;              // "replicate"
  std::optional<Endpoint> endpoint;  // set by the shorthand only
  std::string model;                 // "" for a bare id
  std::string error;                 // non-empty: the value is malformed (the rest is unset)
};

// Parses the syntax only; whether the provider id is known is the caller's question.
ParsedProvider parse_provider(std::string_view value);

std::optional<Endpoint> parse_endpoint(std::string_view name);

// A Replicate model reference, as the predictions API addresses it.
struct ReplicateModel {
  enum class Kind { official, version, deployment } kind = Kind::official;
  std::string owner, name;
  std::string version;  // 64 hex characters, kind == version only
};
// Accepts `owner/name`, `owner/name:<64-hex>`, `deployments/owner/name`; error text on failure.
std::optional<ReplicateModel> parse_replicate_model(std::string_view model, std::string* error);

}  // namespace kt::config
