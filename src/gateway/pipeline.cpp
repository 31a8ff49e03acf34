// The request pipeline (DESIGN.md "The shape of a request"): decode, input policies, route,
// call the provider with fallback, output policies (whole or streaming), one decision event,
// metrics. Every exit path answers the client with the product-spec §6 envelope.
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <charconv>
#include <map>
#include <memory>
#include <set>

#include "api/errors.h"
#include "api/request.h"
#include "audit/event.h"
#include "gateway/gateway.h"
#include "gateway/gateway_impl.h"
#include "observe/metrics.h"
#include "providers/openai.h"
#include "providers/provider.h"

namespace kt::gateway {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;
using providers::Failure;
using providers::Outcome;

namespace {

using Clock = std::chrono::steady_clock;

void scrub_secret(std::string& text, std::string_view secret) {
  if (secret.size() < 4) return;
  constexpr std::string_view kMask = "[redacted]";
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), kMask);
    at += kMask.size();
  }
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

config::Endpoint endpoint_of(Route r) {
  switch (r) {
    case Route::chat_completions: return config::Endpoint::chat;
    case Route::completions: return config::Endpoint::completion;
    case Route::embeddings: return config::Endpoint::embedding;
    case Route::images_generations: return config::Endpoint::image;
  }
  return config::Endpoint::chat;
}

api::Endpoint api_endpoint_of(Route r) {
  switch (r) {
    case Route::chat_completions: return api::Endpoint::chat;
    case Route::completions: return api::Endpoint::completion;
    case Route::embeddings: return api::Endpoint::embedding;
    case Route::images_generations: return api::Endpoint::image;
  }
  return api::Endpoint::chat;
}

bool is_trigger(Failure f, const config::Fallback& fb) {
  config::Trigger t;
  switch (f) {
    case Failure::rate_limit: t = config::Trigger::rate_limit; break;
    case Failure::server_error: t = config::Trigger::server_error; break;
    case Failure::timeout: t = config::Trigger::timeout; break;
    case Failure::connection_error: t = config::Trigger::connection_error; break;
    default: return false;
  }
  return std::find(fb.triggers.begin(), fb.triggers.end(), t) != fb.triggers.end();
}

// The text of a streamed piece: chat `delta.content` or completions `text`.
json::value* content_slot(json::object& choice) {
  if (auto* d = choice.if_contains("delta"); d && d->is_object()) {
    if (auto* c = d->as_object().if_contains("content"); c && c->is_string()) return c;
    return nullptr;
  }
  if (auto* t = choice.if_contains("text"); t && t->is_string()) return t;
  return nullptr;
}

bool has_payload(const json::object& choice) {
  if (auto* fr = choice.if_contains("finish_reason"); fr && !fr->is_null()) return true;
  if (auto* d = choice.if_contains("delta"); d && d->is_object()) {
    for (const auto& [k, v] : d->as_object()) {
      if (k == "content") {
        if (v.is_string() && !v.as_string().empty()) return true;
      } else if (!v.is_null()) {
        return true;
      }
    }
    return false;
  }
  if (auto* t = choice.if_contains("text"); t && t->is_string()) return !t->as_string().empty();
  return true;
}

// The decision event keeps at most this much of the answer: an upstream that answers tens of
// megabytes must not become an audit record of that size (and its copies while it is built,
// hashed and stored). Cut on a UTF-8 boundary, with a marker.
constexpr std::size_t kMaxRecordedAnswer = 1 << 20;
constexpr std::string_view kAnswerCut = "\n[kt: answer truncated at 1 MiB in this record]";

void append_recorded(std::string& answer, std::string_view text) {
  if (answer.size() >= kMaxRecordedAnswer) return;
  if (text.size() <= kMaxRecordedAnswer - answer.size()) {
    answer.append(text);
    return;
  }
  std::size_t n = kMaxRecordedAnswer - answer.size();
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  answer.append(text.substr(0, n));
  answer.append(kAnswerCut);
}

std::string answer_text_of(const json::value& answer) {
  std::string out;
  const auto* obj = answer.if_object();
  if (!obj) return out;
  const auto* choices = obj->if_contains("choices");
  if (!choices || !choices->is_array()) return out;
  for (const auto& c : choices->as_array()) {
    if (!c.is_object()) continue;
    const auto& co = c.as_object();
    if (const auto* m = co.if_contains("message"); m && m->is_object()) {
      if (const auto* t = m->as_object().if_contains("content"); t && t->is_string()) {
        if (!out.empty()) out += "\n";
        out += t->as_string();
      }
    } else if (const auto* t = co.if_contains("text"); t && t->is_string()) {
      if (!out.empty()) out += "\n";
      out += t->as_string();
    }
  }
  return out;
}

// Series are found by label keys rendered into a reused buffer (observe::counter/histogram):
// no allocation per request once a series exists.
void record_metrics(const Exchange& ex, Route route, int http_status, bool model_served) {
  auto& m = observe::shard();
  char status_buf[16];
  const auto [end, ec] = std::to_chars(status_buf, status_buf + sizeof status_buf, http_status);
  const std::string_view status(status_buf, ec == std::errc() ? end - status_buf : 0);
  const std::string_view target = ex.served_by.empty() ? std::string_view("none") : ex.served_by;
  const std::string_view model = model_served ? std::string_view(ex.model) : "unknown";
  ++observe::counter(m.requests_total, {{"target", target}, {"model", model}, {"status", status}});
  observe::histogram(m.request_duration, {{"route", to_string(route)}})
      .observe(std::chrono::duration<double>(Clock::now() - ex.started).count());
  for (const auto& p : ex.policies) {
    ++observe::counter(m.policy_evaluations_total, {{"policy", p.kind}, {"verdict", p.verdict}});
    observe::histogram(m.policy_duration, {{"policy", p.kind}}).observe(p.latency_us / 1e6);
  }
  for (const auto& a : ex.attempts) {
    if (a.ttfb_ms >= 0) {
      observe::histogram(m.upstream_ttfb, {{"target", a.target}}).observe(a.ttfb_ms / 1000.0);
    }
  }
}

void count_fallback(const std::string& from, const std::string& to) {
  ++observe::counter(observe::shard().fallbacks_total, {{"from", from}, {"to", to}});
}

void count_attempt(const std::string& target, Failure f) {
  ++observe::counter(observe::shard().upstream_attempts_total,
                     {{"target", target}, {"outcome", providers::to_string(f)}});
}

// True when the output phase left a whole answer as the provider returned it: every output
// policy allowed it without error (a redacting or failing policy may have edited it).
bool output_untouched(const Exchange& ex) {
  for (const auto& p : ex.policies) {
    if (p.phase == Phase::output && (p.verdict != "allow" || p.degraded)) return false;
  }
  return true;
}

// A chunk like `like` carrying only `text` for choice `idx` (text a stream filter held back).
json::object held_chunk(const json::object& like, std::size_t idx, const std::string& text,
                        bool chat) {
  json::object choice;
  choice["index"] = idx;
  if (chat) {
    json::object delta;
    delta["content"] = text;
    choice["delta"] = std::move(delta);
  } else {
    choice["text"] = text;
  }
  choice["finish_reason"] = nullptr;
  json::object out = like;
  json::array choices;
  choices.push_back(std::move(choice));
  out["choices"] = std::move(choices);
  if (out.contains("usage")) out["usage"] = nullptr;
  return out;
}

// Used when no output policy looks at streams.
class PassThrough final : public policies::StreamFilter {
 public:
  void write(std::string_view in, std::string& out) override { out.append(in); }
  void finish(std::string&) override {}
  policies::Decision decision() const override { return {}; }
};

// Forwards provider chunks to the client as SSE, through the output-phase stream filters.
class StreamRelay final : public providers::ChunkSink {
 public:
  StreamRelay(ClientSink& sink, Exchange& ex, const policies::PolicyChain& chain,
              bool chain_enabled)
      : sink_(sink), ex_(ex), chain_(chain), chain_enabled_(chain_enabled) {}

  // Without output policies a chunk goes out as the upstream's bytes (no re-serialisation).
  awaitable<bool> chunk_raw(json::object& c, std::string_view raw) override {
    // A multi-line `data` (pretty-printed JSON) would need re-framing: serialise that one.
    const bool one_line = !raw.empty() && raw.find_first_of("\r\n") == std::string_view::npos;
    if (chain_enabled_ || blocked_ || !one_line) co_return co_await chunk(c);
    if (!co_await open()) co_return false;
    providers::read_usage(c, ex_.usage);
    note_answer(c);
    std::string& out = event_;
    out.assign("data: ");
    out.append(raw);
    out.append("\n\n");
    co_return co_await sink_.write(out);
  }

  awaitable<bool> chunk(json::object& c) override {
    if (blocked_) co_return false;
    if (!co_await open()) co_return false;
    providers::read_usage(c, ex_.usage);
    auto* choices = c.if_contains("choices");
    if (!chain_enabled_) {
      note_answer(c);
      co_return co_await write_event(c);
    }
    if (choices && choices->is_array() && !choices->as_array().empty()) {
      bool any = false;
      for (auto& cv : choices->as_array()) {
        if (!cv.is_object()) continue;
        auto& choice = cv.as_object();
        const std::size_t idx =
            choice.contains("index") && choice.at("index").is_int64()
                ? static_cast<std::size_t>(choice.at("index").as_int64())
                : 0;
        if (json::value* slot = content_slot(choice)) {
          std::string out;
          filter(idx).write(slot->as_string(), out);
          if (filter(idx).decision().verdict == policies::Verdict::block) blocked_ = true;
          append_answer(idx, out);
          *slot = out;
        }
        if (auto* fr = choice.if_contains("finish_reason"); fr && !fr->is_null()) {
          std::string tail;
          filter(idx).finish(tail);
          if (filter(idx).decision().verdict == policies::Verdict::block) blocked_ = true;
          if (!tail.empty() && !blocked_) {
            // Release what the filter held back as its own chunk, before the finish chunk.
            json::object pre = held_chunk(c, idx, tail, choice.contains("delta"));
            append_answer(idx, tail);
            if (!co_await write_event(pre)) co_return false;
          }
          finished_.insert(idx);
        }
        any = any || has_payload(choice);
      }
      if (blocked_) co_return co_await block();
      if (!any && !c.contains("usage")) co_return true;
    }
    co_return co_await write_event(c);
  }

  // After the provider finished without a finish chunk for some choice: release held text.
  awaitable<bool> flush_held(const json::object& like) {
    for (auto& [idx, f] : filters_) {
      if (finished_.count(idx)) continue;
      std::string tail;
      f->finish(tail);
      if (f->decision().verdict == policies::Verdict::block) co_return co_await block();
      if (tail.empty()) continue;
      append_answer(idx, tail);
      json::object pre = held_chunk(like, idx, tail, true);
      if (!co_await write_event(pre)) co_return false;
    }
    co_return true;
  }

  void set_target(std::string id) { target_id_ = std::move(id); }
  bool started() const { return started_; }
  bool blocked() const { return blocked_; }
  const json::object& last_chunk() const { return last_; }
  std::map<std::size_t, std::unique_ptr<policies::StreamFilter>>& filters() { return filters_; }

 private:
  // Starts the client's stream on the first chunk.
  awaitable<bool> open() {
    if (started_) co_return true;
    started_ = true;
    ++observe::shard().in_flight_streams;
    Headers target = header("x-kt-target", target_id_);
    co_return co_await sink_.begin_stream(200, "text/event-stream", std::move(target));
  }

  // Records the answer text of an unfiltered chunk (for the decision event).
  void note_answer(json::object& c) {
    auto* choices = c.if_contains("choices");
    if (!choices || !choices->is_array()) return;
    for (auto& cv : choices->as_array()) {
      if (!cv.is_object()) continue;
      auto& choice = cv.as_object();
      const json::value* idx = choice.if_contains("index");
      if (json::value* slot = content_slot(choice)) {
        append_answer(idx && idx->is_int64() ? static_cast<std::size_t>(idx->as_int64()) : 0,
                      slot->as_string());
      }
    }
  }

  policies::StreamFilter& filter(std::size_t idx) {
    auto& f = filters_[idx];
    if (!f) f = chain_.make_stream_filters(ex_);
    if (!f) f = std::make_unique<PassThrough>();
    return *f;
  }

  void append_answer(std::size_t idx, std::string_view text) {
    if (idx == 0) append_recorded(ex_.answer_text, text);
  }

  awaitable<bool> write_event(const json::object& c) {
    if (chain_enabled_) last_ = c;  // the model for chunks of held-back text (flush_held)
    std::string& out = event_;
    out.assign("data: ");
    out += json::serialize(c);
    out += "\n\n";
    co_return co_await sink_.write(out);
  }

  awaitable<bool> block() {
    ex_.verdict = Verdict::block;
    co_return false;
  }

  ClientSink& sink_;
  Exchange& ex_;
  const policies::PolicyChain& chain_;
  bool chain_enabled_;
  std::string target_id_;
  bool started_ = false;
  bool blocked_ = false;
  json::object last_;
  std::string event_;  // the SSE event being written (reused)
  std::map<std::size_t, std::unique_ptr<policies::StreamFilter>> filters_;
  std::set<std::size_t> finished_;
};

}  // namespace

awaitable<void> Gateway::pipeline(Route route, Request& req, ClientSink& sink,
                                  std::shared_ptr<const Runtime> rt) {
  Impl& im = *impl_;
  const config::Config& cfg = *rt->config;
  Exchange ex;
  ex.request_id = req.request_id;
  ex.route = route;
  ex.client_ip = req.client_ip;
  ex.raw_body = req.body;
  ex.config = rt->config;
  ex.user_id = std::string(req.header("x-user-id"));
  im.requests_processed.fetch_add(1, std::memory_order_relaxed);
  auto& metrics = observe::shard();
  ++metrics.in_flight_requests;
  struct InFlight {
    observe::MetricsShard& m;
    ~InFlight() { --m.in_flight_requests; }
  } in_flight{metrics};

  int status = 200;
  std::string model_label = "unknown";
  bool model_served = false;

  // Records metrics and the decision event. In sync durability this completes only after the
  // event is committed; returns false when the event could not be stored.
  auto finish = [&](int http_status) -> awaitable<bool> {
    ex.status = http_status;
    record_metrics(ex, route, http_status, model_served);
    if (!im.writer) co_return true;
    audit::EventOptions eo;
    eo.gateway_id = im.opts.gateway_id;
    eo.content = im.content_none ? audit::ContentMode::none : audit::ContentMode::redacted;
    eo.hipaa_audit_controls = im.audit_settings.hipaa_audit_controls;
    audit::Event ev = audit::make_event(ex, eo);
    if (!audit::should_record(ev, im.audit_settings)) co_return true;
    if (cfg.audit.durability == "async") {
      // Nothing to wait for: queue it (no timer, no completion hop through the executor).
      if (im.writer->try_submit(std::move(ev))) co_return true;
      im.audit_rejected.fetch_add(1, std::memory_order_relaxed);
      co_return false;
    }
    auto executor = co_await asio::this_coro::executor;
    struct Wait {
      explicit Wait(asio::any_io_executor e) : timer(e) {}
      asio::steady_timer timer;
      int result = -1;  // set on this thread only (the callback posts here)
    };
    auto w = std::make_shared<Wait>(executor);
    w->timer.expires_after(std::chrono::seconds(30));
    const bool queued = im.writer->try_submit(std::move(ev), [w](bool ok) {
      asio::post(w->timer.get_executor(), [w, ok] {
        w->result = ok ? 1 : 0;
        w->timer.cancel();
      });
    });
    if (!queued) {
      im.audit_rejected.fetch_add(1, std::memory_order_relaxed);
      co_return false;
    }
    if (w->result == -1) co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return w->result == 1;
  };

  auto fail = [&](api::ErrorKind kind, std::string message, Headers extra = {},
                  std::string_view policy = {}, int status_override = 0) -> awaitable<void> {
    const auto info = api::error_info(kind);
    status = status_override ? status_override : info.status;
    ex.error_message = message;
    if (ex.reason_code.empty()) ex.reason_code = info.code ? info.code : info.type;
    const bool stored = co_await finish(status);
    if (!stored && status < 500) {
      co_await sink.respond(503, "application/json",
                            api::error_body(api::ErrorKind::unavailable,
                                            "the audit store could not record this request"));
      co_return;
    }
    co_await sink.respond(status, "application/json",
                          api::error_body(kind, message, policy), std::move(extra));
  };

  // 1. Decode.
  api::DecodedRequest dr;
  api::DecodeError de;
  // The body's JSON lives in one arena per request (a couple of allocations instead of one per
  // string, array and object); it is reference-counted, so copies of parts stay valid.
  json::storage_ptr arena = json::make_shared_resource<json::monotonic_resource>(
      req.body.size() + req.body.size() / 2 + 512);
  if (!api::decode_request(api_endpoint_of(route), req.body, dr, de, std::move(arena))) {
    co_await fail(api::ErrorKind::validation, de.message);
    co_return;
  }
  providers::adopt(ex.body, std::move(dr.body));  // keeps the arena
  ex.model = std::move(dr.model);
  ex.stream = dr.stream;
  ex.include_usage = dr.include_usage;
  if (ex.user_id.empty()) {
    if (const auto* u = ex.body.as_object().if_contains("user"); u && u->is_string()) {
      ex.user_id = u->as_string();
    }
  }

  // 2. Input phase.
  const bool chain_enabled = cfg.pack.enabled;
  if (chain_enabled) {
    const policies::Decision d = rt->chain->run_input(
        ex, im.opts.fail_open ? policies::FailMode::allow : policies::FailMode::block);
    if (d.verdict == Verdict::block) {
      std::string policy;
      for (const auto& p : ex.policies) {
        if (p.verdict == "block") policy = p.kind;
      }
      ex.verdict = Verdict::block;
      ex.reason_code = d.reason_code;
      std::string block_message = d.message.empty() ? "Request blocked by policy" : d.message;
      co_await fail(api::ErrorKind::policy_input_blocked, std::move(block_message), header("x-should-retry", "false"), policy);
      co_return;
    }
  }

  // 3. Route.
  const auto ep = endpoint_of(route);
  std::vector<routing::Candidate> cands = rt->router->candidates(ex.model, ep);
  if (cands.empty()) {
    std::string served;
    for (const auto& m : rt->router->served_models()) served += (served.empty() ? "" : ", ") + m;
    std::string not_found_message = "The model '" + ex.model + "' is not served by this gateway" + (served.empty() ? std::string() : ". Served models: " + served);
    co_await fail(api::ErrorKind::model_not_found, std::move(not_found_message));
    co_return;
  }
  model_served = true;

  // 4. Concurrency gate.
  if (!co_await im.limiter.acquire()) {
    co_await fail(api::ErrorKind::unavailable,
                  "the gateway is at its concurrency limit; retry shortly", header("retry-after", "1"));
    co_return;
  }
  routing::LimiterSlot slot(&im.limiter);

  // 5. Attempts, with fallback.
  const auto& fb = cfg.providers.fallback;
  const int max_attempts = 1 + (fb.enabled ? std::max(0, fb.max_fallback_attempts) : 0);
  int made = 0;
  Outcome last;
  bool success = false;
  std::string skipped;
  // An empty chain has no stream filters: its streams are relayed unchanged.
  StreamRelay relay(sink, ex, *rt->chain, chain_enabled && rt->chain->size() > 0);
  std::string prev_target;
  Outcome result;
  for (const auto& c : cands) {
    if (made >= max_attempts) break;
    const config::Target& t = *c.target;
    std::string credential;
    std::string header = t.api_key_header, prefix = t.api_key_prefix;
    if (!im.opts.upstream_api_key.empty()) {
      credential = im.opts.upstream_api_key;
      header = im.opts.upstream_api_key_header;
      prefix = im.opts.upstream_api_key_prefix;
    } else if (!t.secret_env.empty()) {
      auto it = rt->credentials.find(t.id);
      if (it == rt->credentials.end()) {
        ex.attempts.push_back({t.id, t.provider, 0,
                               "unavailable: credential variable " + t.secret_env + " is not set"});
        skipped += (skipped.empty() ? "" : "; ") + t.id + ": credential not set";
        continue;
      }
      credential = it->second;
    }
    if (!c.state->breaker.allow()) {
      ex.attempts.push_back({t.id, t.provider, 0, "skipped: circuit open"});
      skipped += (skipped.empty() ? "" : "; ") + t.id + ": circuit open";
      continue;
    }
    if (made > 0) {
      count_fallback(prev_target, t.id);
    }
    ++made;
    prev_target = t.id;

    providers::CallContext ctx{ex, t, c.model};
    ctx.base_url = im.opts.upstream_url.empty() ? t.base_url : im.opts.upstream_url;
    ctx.credential = std::move(credential);
    ctx.credential_header = header;
    ctx.credential_prefix = prefix;
    const auto t0 = Clock::now();
    const auto timeout = std::chrono::milliseconds(t.timeout_ms > 0 ? t.timeout_ms : 60000);
    ctx.deadlines.total = t0 + timeout;
    ctx.deadlines.first_byte = ctx.deadlines.total;
    ctx.deadlines.connect = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10));
    providers::Provider& provider = providers::provider_for(t.format);
    relay.set_target(t.id);

    Outcome o;
    if (ex.stream) {
      auto r = co_await (provider.stream(ctx, relay) || sink.wait_disconnect());
      if (r.index() == 0) {
        o = std::move(std::get<0>(r));
      } else {
        o.failure = Failure::canceled;
        o.message = "client disconnected";
      }
    } else {
      auto r = co_await (provider.complete(ctx) || sink.wait_disconnect());
      if (r.index() == 0) {
        o = std::move(std::get<0>(r));
      } else {
        o.failure = Failure::canceled;
        o.message = "client disconnected";
      }
    }
    const auto t1 = Clock::now();
    // A provider may echo the credential in its error text (e.g. "Incorrect API key provided:
    // sk-…"): it must not reach the client, the event or the logs.
    scrub_secret(o.message, ctx.credential);
    Attempt a{t.id, t.provider, o.status,
              o.failure == Failure::none
                  ? std::string()
                  : std::string(providers::to_string(o.failure)) + ": " + o.message,
              ms_between(t0, t1), o.ttfb_ms, o.queue_ms};
    ex.attempts.push_back(std::move(a));
    count_attempt(t.id, o.failure);

    if (o.failure == Failure::none) {
      c.state->breaker.on_success();
      c.state->record_latency(ms_between(t0, t1));
      success = true;
      ex.served_by = t.id;
      result = std::move(o);
      break;
    }
    if (o.failure == Failure::canceled || relay.blocked()) {
      last = std::move(o);
      break;
    }
    const bool trigger = is_trigger(o.failure, fb);
    if (trigger) c.state->breaker.on_failure();
    last = std::move(o);
    if (!fb.enabled || !trigger || last.chunks_sent > 0 || relay.started()) break;
  }

  // 6. Answer.
  if (ex.stream && relay.started()) {
    --observe::shard().in_flight_streams;
    if (success) {
      if (ex.usage.prompt_tokens < 0) ex.usage = result.usage;
      const bool flushed = co_await relay.flush_held(relay.last_chunk());
      if (!flushed && relay.blocked()) {
        ex.reason_code = "pii.detected";
      }
    }
    if (relay.blocked()) {
      ex.verdict = Verdict::block;
      ex.error_message = "the answer was blocked by an output policy";
      status = 200;
      co_await finish(200);
      co_await sink.write(api::error_sse(api::ErrorKind::policy_output_blocked, ex.error_message));
      co_await sink.end_stream();
      co_return;
    }
    if (success) {
      const bool stored = co_await finish(200);
      if (!stored) {
        co_await sink.write(api::error_sse(api::ErrorKind::unavailable,
                                           "the audit store could not record this request"));
      } else {
        co_await sink.write("data: [DONE]\n\n");
      }
      co_await sink.end_stream();
      co_return;
    }
    // Failed after the client saw the first chunk: end with an error event, never truncate.
    ex.error_message = last.message;
    ex.reason_code = std::string("upstream.") + providers::to_string(last.failure);
    const int final_status = last.failure == Failure::canceled ? 499 : 200;
    co_await finish(final_status);
    if (last.failure != Failure::canceled) {
      std::string error_event = api::error_sse(last.failure == Failure::timeout ? api::ErrorKind::upstream_timeout : api::ErrorKind::upstream, last.message);
      co_await sink.write(error_event);
      co_await sink.end_stream();
    }
    co_return;
  }

  if (success) {
    // Whole answer: output phase, then respond.
    ex.usage = result.usage;
    if (chain_enabled) {
      const policies::Decision d = rt->chain->run_output(ex, result.answer);
      if (d.verdict == Verdict::block) {
        ex.verdict = Verdict::block;
        ex.reason_code = d.reason_code;
        std::string block_message = d.message.empty() ? "the answer was blocked by an output policy" : d.message;
        co_await fail(api::ErrorKind::policy_output_blocked, std::move(block_message), header("x-should-retry", "false"));
        co_return;
      }
    }
    append_recorded(ex.answer_text, answer_text_of(result.answer));
    // The upstream's own bytes when nothing edited the answer (no re-serialisation).
    std::string body = !result.raw.empty() && output_untouched(ex)
                           ? std::move(result.raw)
                           : json::serialize(result.answer);
    if (!co_await finish(200)) {
      co_await sink.respond(503, "application/json",
                            api::error_body(api::ErrorKind::unavailable,
                                            "the audit store could not record this request"));
      co_return;
    }
    co_await sink.respond(200, "application/json", std::move(body), header("x-kt-target", ex.served_by));
    co_return;
  }

  if (made == 0) {
    std::string unavailable_message = "no target is available for model '" + ex.model + "' (" + skipped + ")";
    co_await fail(api::ErrorKind::unavailable, std::move(unavailable_message), header("retry-after", "1"));
    co_return;
  }
  ex.reason_code = std::string("upstream.") + providers::to_string(last.failure);
  switch (last.failure) {
    case Failure::canceled:
      ex.error_message = "client disconnected";
      co_await finish(499);
      co_return;
    case Failure::rate_limit: {
      Headers h;
      if (!last.retry_after.empty()) h.emplace_back("retry-after", last.retry_after);
      co_await fail(api::ErrorKind::rate_limit, last.message, std::move(h));
      co_return;
    }
    case Failure::timeout:
      co_await fail(api::ErrorKind::upstream_timeout, last.message);
      co_return;
    case Failure::bad_request: {
      const int status_out = last.status == 400 || last.status == 422 ? last.status : 400;
      co_await fail(api::ErrorKind::validation, last.message, {}, {}, status_out);
      co_return;
    }
    case Failure::auth: {
      std::string message = "the provider rejected the gateway's credential: " + last.message;
      const int status_out = last.status == 403 ? 403 : 401;
      co_await fail(api::ErrorKind::authentication, std::move(message), {}, {}, status_out);
      co_return;
    }
    case Failure::not_found:
      co_await fail(api::ErrorKind::model_not_found, last.message);
      co_return;
    default:
      co_await fail(api::ErrorKind::upstream, last.message);
      co_return;
  }
}

}  // namespace kt::gateway
