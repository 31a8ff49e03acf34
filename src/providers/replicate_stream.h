// replicate_stream.h — Replicate's prediction event stream (wire-formats §2) → OpenAI streaming
// chunks (§5.3). `interpret` classifies one SSE event; ChunkMaker builds the chunk objects,
// all sharing one id and `created`, with `"usage": null` on every chunk when the client asked
// for a usage chunk at the end.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/exchange.h"
#include "http/sse.h"

namespace kt::providers::replicate {

struct StreamStep {
  enum class Kind { output, ignore, done, failed } kind = Kind::ignore;
  std::string text;  // output: the token (exactly as sent); failed: the client-facing cause
};

// output → token; logs/comments/unknown → ignore; done {} → done; done {"reason":"error"|
// "canceled"} and error (JSON {"detail"} or plain text) → failed.
StreamStep interpret(const http::SseEvent& event);

class ChunkMaker {
 public:
  // chat = chat.completion.chunk, else text_completion chunks (legacy completions).
  ChunkMaker(bool chat, std::string_view prediction_id, std::int64_t created, std::string model,
             bool include_usage);
  const std::string& id() const { return id_; }
  // The first chunk of a chat answer: delta {role: assistant, content: ""}; none for completions.
  std::optional<boost::json::object> opening() const;
  boost::json::object content(std::string_view text) const;
  boost::json::object finish(std::string_view reason) const;
  // choices: [] with the token counts (sent only when include_usage).
  boost::json::object usage(const gateway::Usage& u) const;

 private:
  boost::json::object base() const;
  boost::json::object choice(boost::json::object delta_or_text, std::string_view reason) const;
  bool chat_;
  std::string id_;
  std::int64_t created_;
  std::string model_;
  bool include_usage_;
};

}  // namespace kt::providers::replicate
