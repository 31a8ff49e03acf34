#include "providers/replicate_stream.h"

namespace kt::providers::replicate {
namespace json = boost::json;

namespace {

// The error text of an `error` event: {"detail": ...} (documented) or plain text (seen in the
// official JS client's tests).
std::string error_text(std::string_view data) {
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  if (!ec) {
    if (const json::object* o = v.if_object()) {
      for (std::string_view key : {"detail", "error", "message"}) {
        if (const json::value* d = o->if_contains(key); d && d->is_string()) {
          return std::string(d->get_string());
        }
      }
    }
    if (v.is_string()) return std::string(v.get_string());
  }
  return std::string(data.substr(0, 500));
}

}  // namespace

StreamStep interpret(const http::SseEvent& event) {
  if (event.event == "output") return {StreamStep::Kind::output, event.data};
  if (event.event == "error") {
    std::string text = error_text(event.data);
    return {StreamStep::Kind::failed,
            "Replicate prediction failed: " + (text.empty() ? "no error given" : text)};
  }
  if (event.event == "done") {
    boost::system::error_code ec;
    json::value v = json::parse(event.data, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    const json::value* reason = o ? o->if_contains("reason") : nullptr;
    if (!reason || !reason->is_string() || reason->get_string().empty()) {
      return {StreamStep::Kind::done, {}};
    }
    if (reason->get_string() == "canceled") return {StreamStep::Kind::failed, "prediction was canceled"};
    return {StreamStep::Kind::failed,
            "Replicate prediction ended with reason '" + std::string(reason->get_string()) + "'"};
  }
  return {};
}

ChunkMaker::ChunkMaker(bool chat, std::string_view prediction_id, std::int64_t created,
                       std::string model, bool include_usage)
    : chat_(chat),
      id_((chat ? "chatcmpl-" : "cmpl-") + std::string(prediction_id)),
      created_(created),
      model_(std::move(model)),
      include_usage_(include_usage) {}

json::object ChunkMaker::base() const {
  json::object c{{"id", id_},
                 {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
                 {"created", created_},
                 {"model", model_}};
  if (include_usage_) c["usage"] = nullptr;
  return c;
}

json::object ChunkMaker::choice(json::object delta_or_text, std::string_view reason) const {
  json::object ch{{"index", 0}};
  if (chat_) {
    ch["delta"] = std::move(delta_or_text);
  } else {
    ch["text"] = delta_or_text.contains("content") ? delta_or_text["content"] : json::value("");
  }
  ch["logprobs"] = nullptr;
  ch["finish_reason"] = reason.empty() ? json::value(nullptr) : json::value(reason);
  json::object c = base();
  c["choices"] = json::array{std::move(ch)};
  return c;
}

std::optional<json::object> ChunkMaker::opening() const {
  if (!chat_) return std::nullopt;
  return choice({{"role", "assistant"}, {"content", ""}}, {});
}

json::object ChunkMaker::content(std::string_view text) const {
  return choice({{"content", text}}, {});
}

json::object ChunkMaker::finish(std::string_view reason) const { return choice({}, reason); }

json::object ChunkMaker::usage(const gateway::Usage& u) const {
  json::object c = base();
  c["choices"] = json::array{};
  c["usage"] = {{"prompt_tokens", u.prompt_tokens},
                {"completion_tokens", u.completion_tokens},
                {"total_tokens", u.prompt_tokens + u.completion_tokens}};
  return c;
}

}  // namespace kt::providers::replicate
