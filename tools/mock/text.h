// Deterministic text helpers shared by the OpenAI and Replicate simulators: the echo answer and its
// token fragments, word counts used as token counts, ids, timestamps, embeddings and base64.
// Everything here is a pure function of its input (ids excepted), so tests can predict answers.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace kt::mock {

// "Hello! You said: <text>" — the answer every chat model of the mock gives.
std::string echo_answer(std::string_view user_text);

// Splits text into fragments that concatenate back to it: each fragment is a run of whitespace
// followed by a run of non-whitespace (so tokens keep their leading spaces, like real LLM output).
std::vector<std::string> split_tokens(std::string_view text);

// Whitespace-separated word count: the mock's token count for prompts.
int count_words(std::string_view text);

// The last user turn inside a templated prompt (Llama-3 header tokens or Mistral [INST] blocks);
// the whole prompt, trimmed, when it has no template.
std::string last_user_text(std::string_view prompt);

// `len` random lowercase alphanumerics (Replicate prediction ids are 26 of them).
std::string random_id(std::size_t len);

// RFC 3339 UTC with microseconds, e.g. 2024-04-22T11:15:15.329000Z.
std::string rfc3339(std::chrono::system_clock::time_point t);
long long unix_seconds(std::chrono::system_clock::time_point t);

// A unit-length vector derived from the text (same text, same vector).
std::vector<float> embed(std::string_view text, int dimensions);

std::string base64_encode(std::string_view bytes);
// Returns false on invalid input.
bool base64_decode(std::string_view text, std::string* out);

}  // namespace kt::mock
