#include "providers/openai.h"

#include <boost/asio.hpp>

#include "http/sse.h"

namespace kt::providers {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;

namespace {

const char* path_for(gateway::Route r) {
  switch (r) {
    case gateway::Route::chat_completions: return "/chat/completions";
    case gateway::Route::completions: return "/completions";
    case gateway::Route::embeddings: return "/embeddings";
    case gateway::Route::images_generations: return "/images/generations";
  }
  return "/chat/completions";
}

double ms_since(http::Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(http::Clock::now() - t0).count();
}

http::ClientRequest build_request(CallContext& ctx, bool stream) {
  http::ClientRequest req;
  req.method = "POST";
  std::string base = ctx.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url = base + path_for(ctx.ex.route);
  req.ca_file = ctx.target.tls_ca_file;
  req.headers.emplace_back("content-type", "application/json");
  req.headers.emplace_back("accept", stream ? "text/event-stream" : "application/json");
  if (!ctx.credential.empty()) {
    std::string v = ctx.credential_prefix.empty() ? ctx.credential
                                                  : ctx.credential_prefix + " " + ctx.credential;
    req.headers.emplace_back(ctx.credential_header, std::move(v));
  }
  // Forward the client's bytes when no policy edited the body and the model is unchanged.
  if (!ctx.ex.body_modified && ctx.model == ctx.ex.model && !ctx.ex.raw_body.empty()) {
    req.body.assign(ctx.ex.raw_body);
  } else {
    json::object body = ctx.ex.body.as_object();
    body["model"] = ctx.model;
    req.body = json::serialize(body);
  }
  return req;
}

Failure failure_from(http::FailKind k) {
  switch (k) {
    case http::FailKind::timeout: return Failure::timeout;
    case http::FailKind::canceled: return Failure::canceled;
    default: return Failure::connection_error;
  }
}

Outcome client_failure(const http::ClientError& err, std::string_view target) {
  Outcome o;
  o.failure = failure_from(err.kind);
  o.message = std::string(o.failure == Failure::timeout ? "upstream timed out" : "upstream failed") +
              " (target " + std::string(target) + "): " + err.message;
  return o;
}

class OpenAiProvider final : public Provider {
 public:
  awaitable<Outcome> complete(CallContext& ctx) override {
    const auto t0 = http::Clock::now();
    http::ClientError err;
    auto& client = http::UpstreamClient::for_this_thread();
    http::Response res =
        co_await client.send(build_request(ctx, false), ctx.deadlines, ctx.response_limit, err);
    if (err) co_return client_failure(err, ctx.target.id);
    if (res.status != 200) {
      Outcome o = outcome_from_status(res.status, res.body, res.header("retry-after"));
      o.ttfb_ms = ms_since(t0);
      co_return o;
    }
    Outcome o;
    o.status = 200;
    o.ttfb_ms = ms_since(t0);
    boost::system::error_code ec;
    // One arena for the whole answer (see the request body in the pipeline).
    adopt(o.answer, json::parse(res.body, ec,
                                json::make_shared_resource<json::monotonic_resource>(
                                    res.body.size() + res.body.size() / 2 + 512)));
    if (ec || !o.answer.is_object()) {
      o.failure = Failure::connection_error;
      o.message = "upstream returned malformed JSON (target " + ctx.target.id + ")";
      co_return o;
    }
    read_usage(o.answer.as_object(), o.usage);
    o.raw = std::move(res.body);
    co_return o;
  }

  awaitable<Outcome> stream(CallContext& ctx, ChunkSink& sink) override {
    const auto t0 = http::Clock::now();
    http::ClientError err;
    auto& client = http::UpstreamClient::for_this_thread();
    auto body = co_await client.open(build_request(ctx, true), ctx.deadlines, err);
    if (err || !body) co_return client_failure(err, ctx.target.id);
    if (body->status() != 200) {
      std::string text;
      while (text.size() < 65536) {
        http::ClientError rerr;
        auto piece = co_await body->read_some(rerr);
        if (rerr || piece.empty()) break;
        text.append(piece);
      }
      Outcome o = outcome_from_status(body->status(), text, body->header("retry-after"));
      o.ttfb_ms = ms_since(t0);
      co_return o;
    }

    Outcome o;
    o.status = 200;
    http::SseReader reader;
    bool done = false, finished = false, stop = false;
    Outcome failure;  // set when the upstream reports an error inside the stream
    std::vector<std::pair<json::object, std::string>> ready;  // chunk and its SSE data
    auto on_event = [&](const http::SseEvent& ev) {
      if (done || stop) return;
      if (ev.data == "[DONE]") {
        done = true;
        return;
      }
      boost::system::error_code ec;
      json::value v = json::parse(ev.data, ec);
      if (ec || !v.is_object()) {
        failure.failure = Failure::connection_error;
        failure.message = "upstream sent a malformed stream event (target " + ctx.target.id + ")";
        stop = true;
        return;
      }
      auto& obj = v.as_object();
      if (ev.event == "error" || obj.contains("error")) {
        failure.failure = Failure::server_error;
        const json::value* e = obj.if_contains("error");
        const json::value* m = e && e->is_object() ? e->as_object().if_contains("message") : nullptr;
        failure.message = m && m->is_string() ? std::string(m->as_string())
                                              : std::string("upstream reported a stream error");
        stop = true;
        return;
      }
      if (const auto* ch = obj.if_contains("choices"); ch && ch->is_array()) {
        for (const auto& c : ch->as_array()) {
          const auto* fr = c.is_object() ? c.as_object().if_contains("finish_reason") : nullptr;
          if (fr && fr->is_string()) finished = true;
        }
      }
      read_usage(obj, o.usage);
      ready.emplace_back(std::move(obj), std::string(ev.data));
    };

    for (;;) {
      http::ClientError rerr;
      std::string_view piece = co_await body->read_some(rerr);
      if (rerr) {
        Outcome f = client_failure(rerr, ctx.target.id);
        f.chunks_sent = o.chunks_sent;
        f.ttfb_ms = o.ttfb_ms;
        if (f.failure != Failure::timeout && f.failure != Failure::canceled) {
          f.message = "upstream stream broke (target " + ctx.target.id + "): " + rerr.message;
        }
        co_return f;
      }
      if (piece.empty()) break;
      if (!reader.feed(piece, on_event)) {
        failure.failure = Failure::connection_error;
        failure.message = "upstream stream event exceeds the size limit (target " +
                          ctx.target.id + ")";
        stop = true;
      }
      for (auto& [c, raw] : ready) {
        if (o.ttfb_ms < 0) o.ttfb_ms = ms_since(t0);
        if (!co_await sink.chunk_raw(c, raw)) {
          o.failure = Failure::canceled;
          o.message = "client disconnected";
          co_return o;
        }
        ++o.chunks_sent;
      }
      ready.clear();
      if (stop) {
        failure.chunks_sent = o.chunks_sent;
        failure.ttfb_ms = o.ttfb_ms;
        failure.usage = o.usage;
        co_return failure;
      }
      if (done) break;
    }
    if (done) http::drain_in_background(std::move(body));  // its connection back to the pool
    if (!done && !finished) {
      o.failure = Failure::connection_error;
      o.message = "upstream stream ended before the answer was complete (target " +
                  ctx.target.id + ")";
    }
    co_return o;
  }
};

}  // namespace

Outcome outcome_from_status(int status, std::string_view body, std::string_view retry_after) {
  Outcome o;
  o.status = status;
  o.retry_after = std::string(retry_after);
  std::string msg;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& obj = v.as_object();
    if (const auto* e = obj.if_contains("error"); e && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) {
        msg = m->as_string();
      }
    } else if (const auto* d = obj.if_contains("detail"); d && d->is_string()) {
      msg = d->as_string();
    } else if (e && e->is_string()) {
      msg = e->as_string();
    }
  }
  if (msg.empty()) msg = "upstream answered HTTP " + std::to_string(status);
  if (msg.size() > 1000) msg.resize(1000);
  o.message = std::move(msg);
  if (status == 429) {
    o.failure = Failure::rate_limit;
  } else if (status >= 500) {
    o.failure = Failure::server_error;
  } else if (status == 401 || status == 403) {
    o.failure = Failure::auth;
  } else if (status == 404) {
    o.failure = Failure::not_found;
  } else if (status == 408) {
    o.failure = Failure::timeout;
  } else {
    o.failure = Failure::bad_request;
  }
  return o;
}

void read_usage(const json::object& obj, gateway::Usage& usage) {
  const json::value* u = obj.if_contains("usage");
  if (!u || !u->is_object()) return;
  const auto& uo = u->as_object();
  if (const auto* p = uo.if_contains("prompt_tokens"); p && p->is_int64()) {
    usage.prompt_tokens = p->as_int64();
  }
  if (const auto* c = uo.if_contains("completion_tokens"); c && c->is_int64()) {
    usage.completion_tokens = c->as_int64();
  }
}

Provider& openai_provider() {
  static OpenAiProvider p;
  return p;
}

}  // namespace kt::providers
