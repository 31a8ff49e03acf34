// openai.h — the OpenAI-compatible provider (openai, together, groq, mistral, ... and any host
// speaking the OpenAI wire format). Fields pass through untouched; a target's fixed model
// replaces the request's; when nothing changed the body, the client's original bytes are sent.
#pragma once

#include "providers/provider.h"

namespace kt::providers {

Provider& openai_provider();

// Maps an upstream HTTP error (status + body) onto an Outcome (failure kind, message,
// retry-after). Shared with other providers whose errors are OpenAI-shaped.
Outcome outcome_from_status(int status, std::string_view body, std::string_view retry_after);

// Copies the token counts of an OpenAI object's `usage` (answer or chunk), when present, into
// `usage`; counts that are absent keep their value.
void read_usage(const boost::json::object& obj, gateway::Usage& usage);

}  // namespace kt::providers
