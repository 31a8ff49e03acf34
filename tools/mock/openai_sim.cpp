// The OpenAI simulator (/v1 and the /openai/v1 alias): chat and legacy completions (JSON and SSE
// per wire-formats §5.2/§5.3), embeddings, images, models, with the fault specs of fault.h.
#include <cstring>

#include "assets.h"
#include "mock_app.h"
#include "text.h"

namespace kt::mock {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

constexpr std::string_view kFingerprint = "fp_ktmock";
constexpr long long kModelCreated = 1700000000;

struct OpenAiModel {
  std::string_view id;
  std::string_view owned_by;
};
constexpr OpenAiModel kModels[] = {
    {"gpt-4o", "openai"},
    {"gpt-4o-mini", "openai"},
    {"gpt-4.1", "openai"},
    {"gpt-3.5-turbo-instruct", "openai"},
    {"text-embedding-3-small", "openai"},
    {"text-embedding-3-large", "openai"},
    {"dall-e-3", "openai"},
    {"gpt-image-1", "openai"},
};

std::string json_str(std::string_view s) { return json::serialize(json::string(s)); }

long long now_unix() { return unix_seconds(std::chrono::system_clock::now()); }

std::string_view error_type(int status) {
  if (status == 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  if (status == 401) return "authentication_error";
  return "invalid_request_error";
}

std::string default_fault_message(int status) {
  switch (status) {
    case 429:
      return "Rate limit reached for requests (kt-mock fault)";
    case 500:
      return "The server had an error while processing your request (kt-mock fault)";
    case 503:
      return "The engine is currently overloaded, please try again later (kt-mock fault)";
    default:
      return "kt-mock injected status " + std::to_string(status);
  }
}

// Auth per --require-token; answers and returns false when the caller is not allowed.
asio::awaitable<bool> check_auth(MockApp& app, Call& call) {
  if (app.opts.require_token.empty()) co_return true;
  std::string_view auth = call.header("authorization");
  if (auth.empty()) {
    co_await call.send(openai_error(401,
                                    "You didn't provide an API key. You need to provide your API "
                                    "key in an Authorization header using Bearer auth.",
                                    "invalid_request_error"));
    co_return false;
  }
  if (auth != "Bearer " + app.opts.require_token) {
    co_await call.send(openai_error(401, "Incorrect API key provided.", "invalid_request_error",
                                    "invalid_api_key"));
    co_return false;
  }
  co_return true;
}

// Faults that act before any answer; returns true when the request was answered.
asio::awaitable<bool> fault_prelude(Call& call, const Fault& f, bool streaming) {
  if (f.delay_headers_ms > 0) co_await call.sleep(milliseconds(f.delay_headers_ms));
  if (f.status) {
    Response res = openai_error(f.status, f.body.value_or(default_fault_message(f.status)),
                                error_type(f.status), f.status == 429 ? "rate_limit_exceeded" : "");
    if (f.retry_after) res.set(http::field::retry_after, *f.retry_after);
    co_await call.send(std::move(res));
    co_return true;
  }
  if (f.reset_after == 0 || (!streaming && f.reset_after > 0)) {
    call.reset();
    co_return true;
  }
  co_return false;
}

asio::awaitable<void> send_json_reply(Call& call, std::string body, const Fault& f,
                                      std::size_t tokens) {
  if (f.slow_tokens_ms > 0)
    co_await call.sleep(milliseconds(f.slow_tokens_ms * static_cast<long long>(tokens)));
  if (f.malformed_json) body.resize(body.size() / 2);
  Response res = make_response(http::status::ok, std::move(body));
  res.set("x-request-id", "req_" + random_id(24));
  if (f.stall_ms > 0) {
    co_await call.send_stalled(std::move(res), milliseconds(f.stall_ms));
  } else {
    co_await call.send(std::move(res));
  }
}

// Writes SSE "data:" events, applying stall / reset_after / slow_tokens by event count.
class SseWriter {
 public:
  SseWriter(Call& call, const Fault& f) : call_(call), f_(f) {}

  asio::awaitable<void> begin() {
    Response head = make_response(http::status::ok, {}, "text/event-stream; charset=utf-8");
    head.set(http::field::cache_control, "no-cache");
    head.set("x-request-id", "req_" + random_id(24));
    co_await call_.begin_stream(std::move(head));
  }
  // Returns false once the connection was reset by a fault (stop writing).
  asio::awaitable<bool> data(std::string_view payload) {
    if (f_.stall_ms > 0 && !stalled_ && events_ == f_.stall_after) {
      stalled_ = true;
      co_await call_.sleep(milliseconds(f_.stall_ms));
    }
    if (f_.reset_after > 0 && events_ == f_.reset_after) {
      call_.reset();
      co_return false;
    }
    std::string event;
    event.reserve(payload.size() + 8);
    event.append("data: ").append(payload).append("\n\n");
    co_await call_.write_chunk(event);
    ++events_;
    co_return true;
  }
  // Tokens come at a steady rate, as a model generates them: on a schedule from the first pause
  // on, so the timer's wake-up delays do not add up over the answer (relative sleeps made the
  // pace depend on how loaded the machine was, which the streaming benchmark then measured).
  asio::awaitable<void> token_pause() {
    if (f_.slow_tokens_ms <= 0) co_return;
    const auto now = std::chrono::steady_clock::now();
    next_token_ = next_token_ == std::chrono::steady_clock::time_point{} ? now : next_token_;
    next_token_ += milliseconds(f_.slow_tokens_ms);
    co_await call_.sleep_until(next_token_);
  }
  asio::awaitable<void> end() { co_await call_.end_stream(); }

 private:
  Call& call_;
  const Fault& f_;
  int events_ = 0;
  bool stalled_ = false;
  std::chrono::steady_clock::time_point next_token_{};
};

std::string content_text(const json::value& content) {
  if (content.is_string()) return std::string(content.as_string());
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content.as_array()) {
      const auto* obj = part.if_object();
      if (!obj) continue;
      const auto* text = obj->if_contains("text");
      if (text && text->is_string()) {
        if (!out.empty()) out += ' ';
        out += text->as_string();
      }
    }
  }
  return out;
}

constexpr long long kMaxHeldHuge = 256LL * 1024 * 1024;  // completions build the text in memory

std::string huge_text(long long bytes) {
  static constexpr std::string_view kFiller = "lorem ipsum dolor sit amet ";
  std::string out;
  out.reserve(static_cast<std::size_t>(bytes));
  while (out.size() < static_cast<std::size_t>(bytes)) out += kFiller;
  out.resize(static_cast<std::size_t>(bytes));
  return out;
}

// The answer fragments for `answer`, honouring a token cap (or the huge fault's size chunks).
struct Answer {
  std::vector<std::string> tokens;
  std::size_t completion_tokens = 0;
  std::string finish_reason = "stop";
};

Answer make_answer(std::string_view user_text, const Fault& f, long long max_tokens) {
  Answer a;
  if (f.huge >= 0) {
    std::string text = huge_text(f.huge);
    for (std::size_t i = 0; i < text.size(); i += 4096) a.tokens.push_back(text.substr(i, 4096));
    a.completion_tokens = static_cast<std::size_t>(count_words(text));
    return a;
  }
  a.tokens = split_tokens(echo_answer(user_text));
  if (max_tokens > 0 && a.tokens.size() > static_cast<std::size_t>(max_tokens)) {
    a.tokens.resize(static_cast<std::size_t>(max_tokens));
    a.finish_reason = "length";
  }
  a.completion_tokens = a.tokens.size();
  return a;
}

std::string joined(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

json::object usage_json(std::size_t prompt, std::size_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

// Reads an optional positive integer field; false (and *error) when present but invalid.
bool optional_count(const json::object& body, std::string_view key, long long max, long long* out,
                    std::string* error) {
  const auto* v = body.if_contains(key);
  if (!v || v->is_null()) return true;
  if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > max) {
    *error = "Invalid '" + std::string(key) + "': expected an integer between 1 and " +
             std::to_string(max) + ".";
    return false;
  }
  *out = v->as_int64();
  return true;
}

bool include_usage(const json::object& body) {
  const auto* so = body.if_contains("stream_options");
  if (!so || !so->is_object()) return false;
  const auto* iu = so->as_object().if_contains("include_usage");
  return iu && iu->is_bool() && iu->as_bool();
}

bool wants_stream(const json::object& body) {
  const auto* s = body.if_contains("stream");
  return s && s->is_bool() && s->as_bool();
}

// Parses the JSON object body and the model; answers and returns nullopt on bad input.
struct Parsed {
  json::object body;
  std::string model;
  Fault fault;
};

asio::awaitable<std::optional<Parsed>> parse_request(MockApp& app, Call& call,
                                                     bool model_required) {
  if (!co_await check_auth(app, call)) co_return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(call.req().body(), ec);
  if (ec || !v.is_object()) {
    co_await call.send(openai_error(400,
                                    "We could not parse the JSON body of your request. The OpenAI "
                                    "API expects a JSON payload.",
                                    "invalid_request_error"));
    co_return std::nullopt;
  }
  Parsed p;
  p.body = std::move(v.as_object());
  const auto* model = p.body.if_contains("model");
  if (model && model->is_string()) {
    p.model = std::string(model->as_string());
  } else if (model_required) {
    co_await call.send(openai_error(400, "You must provide a model parameter.",
                                    "invalid_request_error", "", "model"));
    co_return std::nullopt;
  }
  std::string error;
  ModelFault mf = split_model_fault(p.model);
  p.fault = collect_fault(app, call, mf.spec, &error);
  if (!error.empty()) {
    co_await call.send(openai_error(400, "kt-mock: " + error, "invalid_request_error"));
    co_return std::nullopt;
  }
  co_return p;
}

// The `huge` and `event_bytes` faults of chat completions, generated while sending, so that the
// mock's memory stays flat whatever the size. A failed write (the peer gave up) throws and ends
// the coroutine. JSON: one chunked body whose content has exactly `huge` bytes. Streams: with
// `event_bytes` first one content event of that many bytes, then `huge` bytes as 4 KiB tokens.
asio::awaitable<void> generated_chat(Call& call, const Fault& f, const std::string& model,
                                     std::size_t prompt_tokens, bool stream, bool usage) {
  static constexpr std::string_view kFiller = "lorem ipsum dolor sit amet ";
  static constexpr std::size_t kPiece = 64 * 1024;
  static const std::string kBlock = [] {
    std::string b;
    while (b.size() < kPiece + kFiller.size()) b += kFiller;
    return b;
  }();
  // n <= kPiece bytes of the filler text starting at text offset pos.
  auto piece = [](long long pos, std::size_t n) {
    return std::string_view(kBlock).substr(static_cast<std::size_t>(pos) % kFiller.size(), n);
  };
  const std::string id = "chatcmpl-" + random_id(24);
  const std::string created = std::to_string(now_unix());
  const long long huge = std::max(0LL, f.huge);
  const long long words = huge / static_cast<long long>(kFiller.size()) * 5;
  const std::string usage_text =
      json::serialize(usage_json(prompt_tokens, static_cast<std::size_t>(words)));
  if (!stream) {
    Response head = make_response(http::status::ok, {});
    head.set("x-request-id", "req_" + random_id(24));
    co_await call.begin_stream(std::move(head));
    const std::string open = R"({"id":")" + id + R"(","object":"chat.completion","created":)" +
                             created + R"(,"model":)" + json_str(model) +
                             R"(,"choices":[{"index":0,"message":{"role":"assistant","content":")";
    co_await call.write_chunk(open);
    for (long long sent = 0; sent < huge;) {
      const auto n = static_cast<std::size_t>(std::min<long long>(kPiece, huge - sent));
      co_await call.write_chunk(piece(sent, n));
      sent += static_cast<long long>(n);
    }
    const std::string close =
        R"("},"logprobs":null,"finish_reason":"stop"}],"usage":)" + usage_text + "}";
    co_await call.write_chunk(close);
    co_await call.end_stream();
    co_return;
  }
  const std::string prefix = R"({"id":")" + id +
                             R"(","object":"chat.completion.chunk","created":)" + created +
                             R"(,"model":)" + json_str(model) + R"(,"choices":[)";
  const std::string suffix = usage ? R"(],"usage":null})" : "]}";
  auto chunk = [&](std::string_view delta, std::string_view finish) {
    return prefix + R"({"index":0,"delta":)" + std::string(delta) +
           R"(,"logprobs":null,"finish_reason":)" + std::string(finish) + "}" + suffix;
  };
  SseWriter out(call, f);
  co_await out.begin();
  if (!co_await out.data(chunk(R"({"role":"assistant","content":""})", "null"))) co_return;
  if (f.event_bytes >= 0) {
    const std::string open = "data: " + prefix + R"({"index":0,"delta":{"content":")";
    co_await call.write_chunk(open);
    for (long long sent = 0; sent < f.event_bytes;) {
      const auto n = static_cast<std::size_t>(std::min<long long>(kPiece, f.event_bytes - sent));
      co_await call.write_chunk(piece(sent, n));
      sent += static_cast<long long>(n);
    }
    const std::string close = R"("},"logprobs":null,"finish_reason":null})" + suffix + "\n\n";
    co_await call.write_chunk(close);
  }
  for (long long sent = 0; sent < huge;) {
    co_await out.token_pause();
    const auto n = static_cast<std::size_t>(std::min<long long>(4096, huge - sent));
    const std::string delta = R"({"content":")" + std::string(piece(sent, n)) + R"("})";
    if (!co_await out.data(chunk(delta, "null"))) co_return;
    sent += static_cast<long long>(n);
  }
  if (f.truncated_sse) {
    co_await out.end();
    co_return;
  }
  if (!co_await out.data(chunk("{}", R"("stop")"))) co_return;
  if (usage) {
    const std::string u = R"({"id":")" + id + R"(","object":"chat.completion.chunk","created":)" +
                          created + R"(,"model":)" + json_str(model) + R"(,"choices":[],"usage":)" +
                          usage_text + "}";
    if (!co_await out.data(u)) co_return;
  }
  if (!co_await out.data("[DONE]")) co_return;
  co_await out.end();
}

asio::awaitable<void> chat_completions(MockApp& app, Call& call) {
  auto parsed = co_await parse_request(app, call, true);
  if (!parsed) co_return;
  auto& [body, model, fault] = *parsed;
  const auto* messages = body.if_contains("messages");
  if (!messages || !messages->is_array() || messages->as_array().empty()) {
    co_await call.send(openai_error(400, "'messages' must be a non-empty array.",
                                    "invalid_request_error", "", "messages"));
    co_return;
  }
  std::string user_text;
  bool have_user = false;
  std::size_t prompt_tokens = 0;
  for (const auto& m : messages->as_array()) {
    const auto* obj = m.if_object();
    const auto* role = obj ? obj->if_contains("role") : nullptr;
    if (!role || !role->is_string()) {
      co_await call.send(openai_error(400, "Each message needs a string 'role'.",
                                      "invalid_request_error", "", "messages"));
      co_return;
    }
    const auto* content = obj->if_contains("content");
    std::string text = content ? content_text(*content) : std::string();
    prompt_tokens += static_cast<std::size_t>(count_words(text));
    if (role->as_string() == "user" || !have_user) {
      user_text = std::move(text);
      have_user = have_user || role->as_string() == "user";
    }
  }
  long long max_tokens = 0;
  long long n = 1;
  std::string error;
  if (!optional_count(body, "max_tokens", 1 << 30, &max_tokens, &error) ||
      !optional_count(body, "max_completion_tokens", 1 << 30, &max_tokens, &error) ||
      !optional_count(body, "n", 8, &n, &error)) {
    co_await call.send(openai_error(400, error, "invalid_request_error"));
    co_return;
  }
  bool stream = wants_stream(body);
  if (co_await fault_prelude(call, fault, stream)) co_return;
  if (fault.huge >= 0 || fault.event_bytes >= 0) {
    co_await generated_chat(call, fault, model, prompt_tokens, stream, include_usage(body));
    co_return;
  }
  Answer answer = make_answer(user_text, fault, max_tokens);
  std::string id = "chatcmpl-" + random_id(24);
  long long created = now_unix();

  if (!stream) {
    json::array choices;
    std::string content = joined(answer.tokens);
    for (long long i = 0; i < n; ++i) {
      choices.push_back(
          {{"index", i},
           {"message", {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}}},
           {"logprobs", nullptr},
           {"finish_reason", answer.finish_reason}});
    }
    json::object out{{"id", id},
                     {"object", "chat.completion"},
                     {"created", created},
                     {"model", model},
                     {"choices", std::move(choices)},
                     {"usage", usage_json(prompt_tokens,
                                          answer.completion_tokens * static_cast<std::size_t>(n))},
                     {"system_fingerprint", kFingerprint}};
    co_await send_json_reply(call, json::serialize(out), fault, answer.tokens.size());
    co_return;
  }

  bool usage = include_usage(body);
  std::string prefix = R"({"id":")" + id + R"(","object":"chat.completion.chunk","created":)" +
                       std::to_string(created) + R"(,"model":)" + json_str(model) +
                       R"(,"system_fingerprint":")" + std::string(kFingerprint) +
                       R"(","choices":[)";
  std::string suffix = usage ? R"(],"usage":null})" : "]}";
  auto chunk = [&](std::string_view delta, std::string_view finish) {
    return prefix + R"({"index":0,"delta":)" + std::string(delta) +
           R"(,"logprobs":null,"finish_reason":)" + std::string(finish) + "}" + suffix;
  };
  SseWriter out(call, fault);
  co_await out.begin();
  if (!co_await out.data(chunk(R"({"role":"assistant","content":""})", "null"))) co_return;
  bool first = true;
  for (const auto& tok : answer.tokens) {
    co_await out.token_pause();
    if (first && fault.malformed_json) {
      if (!co_await out.data(R"({"id":")" + id + R"(","choices":[{"index":0,"delta":{"content")"))
        co_return;
    }
    first = false;
    if (!co_await out.data(chunk(R"({"content":)" + json_str(tok) + "}", "null"))) co_return;
  }
  if (fault.truncated_sse) {
    co_await out.end();
    co_return;
  }
  if (!co_await out.data(chunk("{}", json_str(answer.finish_reason)))) co_return;
  if (usage) {
    json::object u{{"id", id},
                   {"object", "chat.completion.chunk"},
                   {"created", created},
                   {"model", model},
                   {"system_fingerprint", kFingerprint},
                   {"choices", json::array()},
                   {"usage", usage_json(prompt_tokens, answer.completion_tokens)}};
    if (!co_await out.data(json::serialize(u))) co_return;
  }
  if (!co_await out.data("[DONE]")) co_return;
  co_await out.end();
}

asio::awaitable<void> completions(MockApp& app, Call& call) {
  auto parsed = co_await parse_request(app, call, true);
  if (!parsed) co_return;
  auto& [body, model, fault] = *parsed;
  const auto* prompt = body.if_contains("prompt");
  std::string prompt_text;
  if (prompt && prompt->is_string()) {
    prompt_text = std::string(prompt->as_string());
  } else if (prompt && prompt->is_array() && !prompt->as_array().empty() &&
             prompt->as_array().front().is_string()) {
    prompt_text = std::string(prompt->as_array().front().as_string());
  } else {
    co_await call.send(openai_error(400, "'prompt' must be a string or an array of strings.",
                                    "invalid_request_error", "", "prompt"));
    co_return;
  }
  long long max_tokens = 0;
  std::string error;
  if (!optional_count(body, "max_tokens", 1 << 30, &max_tokens, &error)) {
    co_await call.send(openai_error(400, error, "invalid_request_error", "", "max_tokens"));
    co_return;
  }
  bool stream = wants_stream(body);
  if (fault.huge > kMaxHeldHuge) {
    co_await call.send(openai_error(400,
                                    "kt-mock: huge over 256 MiB is generated only for chat "
                                    "completions",
                                    "invalid_request_error"));
    co_return;
  }
  if (co_await fault_prelude(call, fault, stream)) co_return;
  std::size_t prompt_tokens = static_cast<std::size_t>(count_words(prompt_text));
  Answer answer = make_answer(last_user_text(prompt_text), fault, max_tokens);
  std::string id = "cmpl-" + random_id(24);
  long long created = now_unix();
  auto envelope = [&](json::array choices) {
    return json::object{
        {"id", id},       {"object", "text_completion"},        {"created", created},
        {"model", model}, {"system_fingerprint", kFingerprint}, {"choices", std::move(choices)}};
  };
  auto choice = [](std::string_view text, json::value finish) {
    return json::object{
        {"text", text}, {"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish}};
  };
  if (!stream) {
    json::object out = envelope({choice(joined(answer.tokens), json::value(answer.finish_reason))});
    out["usage"] = usage_json(prompt_tokens, answer.completion_tokens);
    co_await send_json_reply(call, json::serialize(out), fault, answer.tokens.size());
    co_return;
  }
  bool usage = include_usage(body);
  SseWriter out(call, fault);
  co_await out.begin();
  bool first = true;
  for (const auto& tok : answer.tokens) {
    co_await out.token_pause();
    if (first && fault.malformed_json) {
      if (!co_await out.data(R"({"id":")" + id + R"(","choices":[{"text")")) co_return;
    }
    first = false;
    json::object c = envelope({choice(tok, nullptr)});
    if (usage) c["usage"] = nullptr;
    if (!co_await out.data(json::serialize(c))) co_return;
  }
  if (fault.truncated_sse) {
    co_await out.end();
    co_return;
  }
  json::object last = envelope({choice("", json::value(answer.finish_reason))});
  if (usage) last["usage"] = nullptr;
  if (!co_await out.data(json::serialize(last))) co_return;
  if (usage) {
    json::object u = envelope({});
    u["usage"] = usage_json(prompt_tokens, answer.completion_tokens);
    if (!co_await out.data(json::serialize(u))) co_return;
  }
  if (!co_await out.data("[DONE]")) co_return;
  co_await out.end();
}

asio::awaitable<void> embeddings(MockApp& app, Call& call) {
  auto parsed = co_await parse_request(app, call, true);
  if (!parsed) co_return;
  auto& [body, model, fault] = *parsed;
  std::vector<std::string> inputs;
  const auto* input = body.if_contains("input");
  auto token_text = [](const json::array& a, std::string* out) {
    for (const auto& t : a) {
      if (!t.is_int64()) return false;
      if (!out->empty()) *out += ' ';
      *out += std::to_string(t.as_int64());
    }
    return !a.empty();
  };
  bool ok = input != nullptr;
  if (ok && input->is_string()) {
    inputs.emplace_back(input->as_string());
  } else if (ok && input->is_array() && !input->as_array().empty()) {
    const auto& arr = input->as_array();
    if (arr.front().is_int64()) {
      std::string text;
      ok = token_text(arr, &text);
      inputs.push_back(std::move(text));
    } else {
      for (const auto& item : arr) {
        std::string text;
        if (item.is_string()) {
          text = std::string(item.as_string());
        } else if (!item.is_array() || !token_text(item.as_array(), &text)) {
          ok = false;
          break;
        }
        inputs.push_back(std::move(text));
      }
    }
  } else {
    ok = false;
  }
  for (const auto& text : inputs) ok = ok && !text.empty();
  if (!ok) {
    co_await call.send(openai_error(400,
                                    "'input' must be a non-empty string, an array of strings, or "
                                    "an array of token arrays.",
                                    "invalid_request_error", "", "input"));
    co_return;
  }
  long long dims = model == "text-embedding-3-large" ? 3072 : 1536;
  std::string error;
  if (!optional_count(body, "dimensions", 4096, &dims, &error)) {
    co_await call.send(openai_error(400, error, "invalid_request_error", "", "dimensions"));
    co_return;
  }
  std::string format = "float";
  if (const auto* f = body.if_contains("encoding_format"); f && !f->is_null()) {
    if (!f->is_string() || (f->as_string() != "float" && f->as_string() != "base64")) {
      co_await call.send(openai_error(400, "'encoding_format' must be 'float' or 'base64'.",
                                      "invalid_request_error", "", "encoding_format"));
      co_return;
    }
    format = std::string(f->as_string());
  }
  if (co_await fault_prelude(call, fault, false)) co_return;
  json::array data;
  std::size_t tokens = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    tokens += static_cast<std::size_t>(count_words(inputs[i]));
    std::vector<float> v = embed(inputs[i], static_cast<int>(dims));
    json::value embedding;
    if (format == "base64") {
      std::string bytes(v.size() * sizeof(float), '\0');
      std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian float32, as OpenAI
      embedding = base64_encode(bytes);
    } else {
      json::array arr;
      arr.reserve(v.size());
      for (float x : v) arr.push_back(static_cast<double>(x));
      embedding = std::move(arr);
    }
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(embedding)}});
  }
  json::object out{{"object", "list"},
                   {"data", std::move(data)},
                   {"model", model},
                   {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  co_await send_json_reply(call, json::serialize(out), fault, 0);
}

asio::awaitable<void> images(MockApp& app, Call& call) {
  auto parsed = co_await parse_request(app, call, false);
  if (!parsed) co_return;
  auto& [body, model, fault] = *parsed;
  const auto* prompt = body.if_contains("prompt");
  if (!prompt || !prompt->is_string() || prompt->as_string().empty()) {
    co_await call.send(
        openai_error(400, "'prompt' is required.", "invalid_request_error", "", "prompt"));
    co_return;
  }
  long long n = 1;
  std::string error;
  if (!optional_count(body, "n", 10, &n, &error)) {
    co_await call.send(openai_error(400, error, "invalid_request_error", "", "n"));
    co_return;
  }
  auto string_field = [&](std::string_view key, std::string_view fallback) {
    const auto* v = body.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string(fallback);
  };
  std::string format = string_field("response_format", "url");
  std::string ext = string_field("output_format", "png");
  if (format != "url" && format != "b64_json") {
    co_await call.send(openai_error(400, "'response_format' must be 'url' or 'b64_json'.",
                                    "invalid_request_error", "", "response_format"));
    co_return;
  }
  ImageAsset asset = image_asset(ext);
  if (asset.content_type.empty()) {
    co_await call.send(openai_error(400, "'output_format' must be 'png', 'jpeg' or 'webp'.",
                                    "invalid_request_error", "", "output_format"));
    co_return;
  }
  if (co_await fault_prelude(call, fault, false)) co_return;
  std::string file_id = "img-" + random_id(20);
  json::array data;
  for (long long i = 0; i < n; ++i) {
    json::object item;
    if (format == "url") {
      item["url"] =
          stream_base(app, call) + "/files/" + file_id + "/out-" + std::to_string(i) + "." + ext;
    } else {
      item["b64_json"] = base64_encode(*asset.bytes);
    }
    item["revised_prompt"] = prompt->as_string();
    data.push_back(std::move(item));
  }
  json::object out{{"created", now_unix()},
                   {"data", std::move(data)},
                   {"size", string_field("size", "1024x1024")},
                   {"output_format", ext}};
  co_await send_json_reply(call, json::serialize(out), fault, 0);
}

json::object model_object(std::string_view id, std::string_view owner) {
  return {{"id", id}, {"object", "model"}, {"created", kModelCreated}, {"owned_by", owner}};
}

}  // namespace

asio::awaitable<bool> serve_openai(MockApp& app, Call& call, std::string_view path) {
  bool alias = path.substr(0, 11) == "/openai/v1/";
  std::string_view sub = alias                         ? path.substr(10)
                         : path.substr(0, 4) == "/v1/" ? path.substr(3)
                                                       : "";
  if (sub.empty()) co_return false;
  auto method = call.req().method();
  if (method == http::verb::post) {
    if (sub == "/chat/completions") {
      co_await chat_completions(app, call);
    } else if (sub == "/completions") {
      co_await completions(app, call);
    } else if (sub == "/embeddings") {
      co_await embeddings(app, call);
    } else if (sub == "/images/generations") {
      co_await images(app, call);
    } else {
      co_return false;
    }
    co_return true;
  }
  if (method != http::verb::get) co_return false;
  if (sub == "/models") {
    if (!co_await check_auth(app, call)) co_return true;
    json::array data;
    for (const auto& m : kModels) data.push_back(model_object(m.id, m.owned_by));
    json::array results = replicate_model_objects(app, call);
    for (const auto& r : results) {
      const auto& o = r.as_object();
      data.push_back(model_object(
          std::string(o.at("owner").as_string()) + "/" + std::string(o.at("name").as_string()),
          o.at("owner").as_string()));
    }
    json::object out{{"object", "list"},
                     {"data", std::move(data)},
                     {"next", nullptr},
                     {"previous", nullptr},
                     {"results", std::move(results)}};
    co_await call.send(make_response(http::status::ok, json::serialize(out)));
    co_return true;
  }
  constexpr std::string_view kModelPrefix = "/models/";
  if (sub.substr(0, kModelPrefix.size()) != kModelPrefix) co_return false;
  std::string_view id = sub.substr(kModelPrefix.size());
  if (!alias && id.find('/') != std::string_view::npos) co_return false;  // Replicate's model route
  if (!co_await check_auth(app, call)) co_return true;
  for (const auto& m : kModels) {
    if (m.id == id) {
      co_await call.send(
          make_response(http::status::ok, json::serialize(model_object(m.id, m.owned_by))));
      co_return true;
    }
  }
  co_await call.send(openai_error(
      404, "The model `" + std::string(id) + "` does not exist or you do not have access to it.",
      "invalid_request_error", "model_not_found", "model"));
  co_return true;
}

}  // namespace kt::mock
