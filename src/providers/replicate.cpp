#include "providers/replicate.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include <algorithm>
#include <ctime>

#include "http/sse.h"
#include "providers/replicate_request.h"
#include "providers/replicate_response.h"
#include "providers/replicate_stream.h"
#include "providers/replicate_urls.h"

namespace kt::providers {
namespace replicate {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using Clock = http::Clock;
using namespace std::chrono_literals;

// Polling: start fast (a sync answer is usually nearly done), back off to at most 1 s.
constexpr auto kFirstPoll = 50ms;
constexpr double kPollGrowth = 1.5;
constexpr auto kMaxPoll = 1000ms;
// Metrics can trail the `done` event slightly; wait this long at most for token counts.
constexpr auto kMetricsWait = 3s;
// Prefer: wait=N leaves this much of the deadline for polling and cancelling.
constexpr auto kWaitMargin = 1s;
constexpr std::size_t kApiBodyLimit = 8 * 1024 * 1024;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Outcome fail(Failure f, std::string message, int status = 0) {
  Outcome o;
  o.failure = f;
  o.message = std::move(message);
  o.status = status;
  return o;
}

Outcome client_failure(const http::ClientError& err, std::string_view what) {
  switch (err.kind) {
    case http::FailKind::timeout:
      return fail(Failure::timeout, "Replicate did not answer in time (" + std::string(what) + ")");
    case http::FailKind::canceled:
      return fail(Failure::canceled, "the call was canceled");
    default:
      return fail(Failure::connection_error,
                  "Replicate " + std::string(what) + " failed: " + err.message);
  }
}

// Per-attempt plumbing shared by the steps below.
class Api {
 public:
  explicit Api(CallContext& ctx) : ctx_(ctx), client_(http::UpstreamClient::for_this_thread()) {}

  CallContext& ctx() const { return ctx_; }
  Clock::time_point deadline() const { return ctx_.deadlines.total; }
  bool expired() const { return Clock::now() >= deadline(); }

  // Returns "" when the URL may be followed (SSRF rule).
  std::string check(std::string_view url) const {
    return check_followable(url, ctx_.base_url, ctx_.target.stream_hosts);
  }

  // API calls carry the credential; stream and file hosts never see it.
  http::ClientRequest request(std::string method, std::string url, bool api) const {
    http::ClientRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.ca_file = ctx_.target.tls_ca_file;
    if (api && !ctx_.credential.empty()) {
      req.headers.emplace_back(ctx_.credential_header,
                               ctx_.credential_prefix.empty()
                                   ? ctx_.credential
                                   : ctx_.credential_prefix + " " + ctx_.credential);
    }
    return req;
  }

  http::Deadlines deadlines(Clock::time_point until) const {
    http::Deadlines dl = ctx_.deadlines;
    dl.total = std::min(dl.total, until);
    return dl;
  }

  awaitable<http::Response> send(const http::ClientRequest& req, http::ClientError& err,
                                 Clock::time_point until = Clock::time_point::max(),
                                 std::size_t limit = kApiBodyLimit) {
    const http::Deadlines dl = deadlines(until);
    http::Response res = co_await client_.send(req, dl, limit, err);
    co_return res;
  }

  awaitable<std::unique_ptr<http::BodyStream>> open(const http::ClientRequest& req,
                                                    http::ClientError& err) {
    co_return co_await client_.open(req, ctx_.deadlines, err);
  }

 private:
  CallContext& ctx_;
  http::UpstreamClient& client_;
};

awaitable<void> send_cancel(http::ClientRequest req) {
  http::Deadlines dl;
  dl.connect = 5s;
  dl.total = Clock::now() + 10s;
  http::ClientError err;
  co_await http::UpstreamClient::for_this_thread().send(req, dl, 64 * 1024, err);
}

// Cancels a started prediction unless it reached a terminal state: whatever ends the attempt
// early (deadline, client gone, an exception from a cancelled coroutine) runs this destructor,
// and the cancel is sent from a detached coroutine that outlives the attempt.
class PredictionCanceller {
 public:
  PredictionCanceller(asio::any_io_executor executor, const Api& api)
      : executor_(std::move(executor)), api_(api) {}
  PredictionCanceller(const PredictionCanceller&) = delete;
  PredictionCanceller& operator=(const PredictionCanceller&) = delete;
  ~PredictionCanceller() {
    if (url_.empty()) return;
    http::ClientRequest req = api_.request("POST", std::move(url_), true);
    try {
      asio::co_spawn(executor_, send_cancel(std::move(req)), asio::detached);
    } catch (...) {
      // The executor is shutting down: no cancel can be sent any more.
    }
  }
  void arm(std::string cancel_url) { url_ = std::move(cancel_url); }
  void disarm() { url_.clear(); }

 private:
  asio::any_io_executor executor_;
  const Api& api_;
  std::string url_;
};

// Sleeps `d`, or returns false at once when the deadline would pass first.
awaitable<bool> sleep_within_deadline(const Api& api, Clock::duration d) {
  if (Clock::now() + d >= api.deadline()) co_return false;
  if (d <= Clock::duration::zero()) co_return true;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
  co_return true;
}

// Accepts a prediction answer: parses it and checks the URLs we are going to follow.
std::optional<Outcome> accept_prediction(const Api& api, const http::Response& res,
                                         Prediction& p) {
  if (auto why = parse_prediction(res.body, p); !why.empty()) {
    return fail(Failure::connection_error, why, res.status);
  }
  for (const std::string* url : {&p.url_get, &p.url_cancel}) {
    if (url->empty()) {
      return fail(Failure::connection_error, "Replicate answered without urls.get/urls.cancel",
                  res.status);
    }
    if (auto why = api.check(*url); !why.empty()) {
      return fail(Failure::connection_error, why, res.status);
    }
  }
  return std::nullopt;
}

// POSTs the create request; `wait` adds Prefer: wait=N when the deadline leaves room, and then
// `*waited` says whether it was sent (the answer came after Replicate held the request).
awaitable<std::optional<Outcome>> create(Api& api, const CreateCall& call,
                                         const json::object& input, bool wait, Prediction& p,
                                         bool* waited = nullptr) {
  http::ClientRequest req = api.request("POST", call.url, true);
  req.headers.emplace_back("content-type", "application/json");
  req.headers.emplace_back("accept", "application/json");
  if (wait) {
    auto room = std::chrono::duration_cast<std::chrono::seconds>(api.deadline() - Clock::now() -
                                                                  kWaitMargin);
    if (api.deadline() == Clock::time_point::max()) room = 60s;
    long seconds = std::min<long>(60, room.count());
    if (seconds >= 1) {
      req.headers.emplace_back("prefer", "wait=" + std::to_string(seconds));
      if (waited) *waited = true;
    }
  }
  req.body = create_body(call, input);
  http::ClientError err;
  http::Response res = co_await api.send(req, err);
  if (err) co_return client_failure(err, "create");
  if (res.status < 200 || res.status > 299) {
    co_return error_outcome(res.status, res.body, res.header("retry-after"));
  }
  co_return accept_prediction(api, res, p);
}

// GETs urls.get. `transient` is set for answers worth polling again (429, 5xx).
awaitable<std::optional<Outcome>> fetch(Api& api, const std::string& url, Prediction& p,
                                        bool& transient,
                                        Clock::time_point until = Clock::time_point::max()) {
  transient = false;
  http::ClientRequest req = api.request("GET", url, true);
  req.headers.emplace_back("accept", "application/json");
  http::ClientError err;
  http::Response res = co_await api.send(req, err, until);
  if (err) co_return client_failure(err, "poll");
  if (res.status < 200 || res.status > 299) {
    transient = res.status == 429 || res.status >= 500;
    co_return error_outcome(res.status, res.body, res.header("retry-after"));
  }
  Prediction next;
  if (auto bad = accept_prediction(api, res, next)) co_return bad;
  p = std::move(next);
  co_return std::nullopt;
}

// Polls until the prediction is terminal or the deadline passes (→ timeout). `on_poll` sees
// every state (used to stream diffed output); it returns false to stop (client gone).
// `at_once`: the first poll goes out without a pause — after a `Prefer: wait` answer, which
// Replicate may send as "processing" (without metrics) for a prediction that already finished
// (wire-formats §1.3), so waiting kFirstPoll there would only add latency.
template <typename OnPoll>
awaitable<std::optional<Outcome>> poll_until_terminal(Api& api, Prediction& p, OnPoll on_poll,
                                                      bool at_once = false) {
  Clock::duration delay = at_once ? Clock::duration::zero() : Clock::duration(kFirstPoll);
  while (!p.terminal()) {
    if (!co_await sleep_within_deadline(api, delay)) {
      co_return fail(Failure::timeout, "the Replicate prediction did not finish before the "
                                       "target deadline (status " + p.status + ")");
    }
    delay = delay <= Clock::duration::zero()
                ? Clock::duration(kFirstPoll)
                : std::min<Clock::duration>(
                      std::chrono::duration_cast<Clock::duration>(delay * kPollGrowth), kMaxPoll);
    bool transient = false;
    std::string url = p.url_get;
    if (auto bad = co_await fetch(api, url, p, transient)) {
      if (!transient) co_return bad;
      continue;
    }
    if (!co_await on_poll(p)) co_return fail(Failure::canceled, "client disconnected");
  }
  co_return std::nullopt;
}

// After success: token counts may trail the terminal state; fetch (briefly) until they appear.
awaitable<void> settle_metrics(Api& api, Prediction& p) {
  const auto until = std::min(api.deadline(), Clock::now() + kMetricsWait);
  Clock::duration delay = kFirstPoll;
  for (int tries = 0; !(p.terminal() && p.has_token_counts()) && tries < 8; ++tries) {
    if (tries > 0) {
      if (Clock::now() + delay >= until) break;
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      co_await timer.async_wait(asio::use_awaitable);
      delay = std::min<Clock::duration>(
          std::chrono::duration_cast<Clock::duration>(delay * kPollGrowth), kMaxPoll);
    }
    Prediction next = p;
    bool transient = false;
    if (co_await fetch(api, p.url_get, next, transient, until)) break;
    p = std::move(next);
  }
}

// The GET of a prediction's SSE stream (urls.stream; no credential: stream hosts never see it).
http::ClientRequest stream_request(const Api& api, const std::string& url) {
  http::ClientRequest req = api.request("GET", url, false);
  req.headers.emplace_back("accept", "text/event-stream");
  req.headers.emplace_back("cache-control", "no-store");
  return req;
}

// Waits on a prediction's SSE stream until it reports the end (`done`, or an `error` event), and
// notes when the first output arrived. The output itself is read from the prediction afterwards,
// so any problem with the stream only means the caller polls.
awaitable<void> await_stream_end(Api& api, const std::string& url, Clock::time_point t0,
                                 double& first_output_ms) {
  http::ClientRequest req = stream_request(api, url);
  http::ClientError err;
  auto body = co_await api.open(req, err);
  if (err || !body || body->status() != 200) co_return;
  http::SseReader reader;
  bool ended = false;
  auto on_event = [&](const http::SseEvent& e) {
    const StreamStep step = interpret(e);
    if (step.kind == StreamStep::Kind::output && first_output_ms < 0) {
      first_output_ms = ms_between(t0, Clock::now());
    }
    ended = ended || step.kind == StreamStep::Kind::done || step.kind == StreamStep::Kind::failed;
  };
  while (!ended) {
    http::ClientError rerr;
    std::string_view piece = co_await body->read_some(rerr);
    if (rerr || piece.empty() || !reader.feed(piece, on_event)) co_return;
  }
  http::drain_in_background(std::move(body));  // its connection back to the pool
}

// One prediction from create to a terminal state (complete() and images).
struct Run {
  Prediction prediction;
  std::optional<Outcome> failure;
  int status = 0;
  double ttfb_ms = -1;
};

awaitable<Run> run_prediction(CallContext& ctx, CreateCall call, json::object input) {
  Api api(ctx);
  const auto t0 = Clock::now();
  PredictionCanceller canceller(co_await asio::this_coro::executor, api);
  Run run;
  Prediction& p = run.prediction;
  bool waited = false;
  // Text models answer with a stream URL: the create returns at once with the prediction's id
  // (so a client that leaves can have it cancelled), and the stream's `done` tells the moment it
  // ends. Image models have no stream: `Prefer: wait` holds the create until they finish.
  const bool text = ctx.ex.route != gateway::Route::images_generations;
  if ((run.failure = co_await create(api, call, input, !text, p, &waited))) co_return run;
  run.status = 201;
  canceller.arm(p.url_cancel);
  auto note_output = [&](const Prediction& now) -> awaitable<bool> {
    if (run.ttfb_ms < 0 && output_fragments(now.output) > 0) run.ttfb_ms = ms_between(t0, Clock::now());
    co_return true;
  };
  co_await note_output(p);
  if (text && !p.terminal() && !p.url_stream.empty() && api.check(p.url_stream).empty()) {
    double first_output_ms = -1;
    co_await await_stream_end(api, p.url_stream, t0, first_output_ms);
    if (run.ttfb_ms < 0 && first_output_ms >= 0) run.ttfb_ms = first_output_ms;
    waited = true;  // ended (or the stream broke): the first poll goes out at once
  }
  if ((run.failure = co_await poll_until_terminal(api, p, note_output, waited))) co_return run;
  canceller.disarm();
  if (p.status != "succeeded") {
    run.failure = prediction_failure(p);
    co_return run;
  }
  if (ctx.ex.route != gateway::Route::images_generations) co_await settle_metrics(api, p);
  co_return run;
}

// Runs one prediction per input, concurrently; results in input order.
awaitable<std::vector<Run>> run_all(CallContext& ctx, const CreateCall& call,
                                    const std::vector<json::object>& inputs) {
  std::vector<Run> runs;
  if (inputs.size() == 1) {
    runs.push_back(co_await run_prediction(ctx, call, inputs[0]));
    co_return runs;
  }
  auto executor = co_await asio::this_coro::executor;
  using Op = decltype(asio::co_spawn(executor, run_prediction(ctx, call, inputs[0]),
                                     asio::deferred));
  std::vector<Op> ops;
  for (const auto& input : inputs) {
    ops.push_back(asio::co_spawn(executor, run_prediction(ctx, call, input), asio::deferred));
  }
  auto done = co_await asio::experimental::make_parallel_group(std::move(ops))
                  .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  for (const auto& e : std::get<1>(done)) {
    if (e) std::rethrow_exception(e);
  }
  runs = std::move(std::get<2>(done));
  co_return runs;
}

// The first failure among the runs, with the timings of the attempt.
std::optional<Outcome> first_failure(std::vector<Run>& runs) {
  for (auto& r : runs) {
    if (r.failure) {
      r.failure->queue_ms = queue_ms(r.prediction);
      return r.failure;
    }
  }
  return std::nullopt;
}

void add_timings(Outcome& o, const std::vector<Run>& runs) {
  for (const auto& r : runs) {
    if (r.ttfb_ms >= 0 && (o.ttfb_ms < 0 || r.ttfb_ms < o.ttfb_ms)) o.ttfb_ms = r.ttfb_ms;
    o.queue_ms = std::max(o.queue_ms, queue_ms(r.prediction));
  }
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

bool is_chat(const CallContext& ctx) { return ctx.ex.route == gateway::Route::chat_completions; }

// Builds the text plan for chat or completions; "" or the client error.
std::string text_plan(CallContext& ctx, TextPlan& plan) {
  const json::object* body = ctx.ex.body.if_object();
  if (!body) return "the request body must be a JSON object";
  return is_chat(ctx) ? chat_plan(*body, ctx.model, ctx.target.max_tokens_cap, plan)
                      : completion_plan(*body, ctx.model, ctx.target.max_tokens_cap, plan);
}

awaitable<Outcome> complete_text(CallContext& ctx, const CreateCall& call) {
  TextPlan plan;
  if (auto err = text_plan(ctx, plan); !err.empty()) co_return fail(Failure::bad_request, err);
  std::vector<json::object> inputs(static_cast<std::size_t>(plan.n), plan.input);
  std::vector<Run> runs = co_await run_all(ctx, call, inputs);
  if (auto bad = first_failure(runs)) co_return *bad;
  Outcome o;
  o.status = runs.front().status;
  add_timings(o, runs);
  std::vector<Prediction> choices;
  for (auto& r : runs) choices.push_back(std::move(r.prediction));
  o.usage = total_usage(choices);
  o.answer = is_chat(ctx) ? chat_completion(choices, ctx.model, unix_now(), plan.length_limit)
                          : text_completion(choices, ctx.model, unix_now(), plan.length_limit);
  co_return o;
}

// Turns one output file into an OpenAI image entry (downloading it for b64_json).
awaitable<std::optional<Outcome>> image_entry(Api& api, const std::string& file, bool b64,
                                              json::array& data) {
  if (!b64) {
    data.push_back(json::object{{"url", file}});
    co_return std::nullopt;
  }
  if (file.rfind("data:", 0) == 0) {
    auto bytes = decode_data_uri(file);
    if (!bytes) co_return fail(Failure::connection_error, "Replicate returned a malformed data: URI");
    data.push_back(json::object{{"b64_json", base64_encode(*bytes)}});
    co_return std::nullopt;
  }
  if (auto why = api.check(file); !why.empty()) co_return fail(Failure::connection_error, why);
  http::ClientError err;
  const http::ClientRequest req = api.request("GET", file, false);
  http::Response res =
      co_await api.send(req, err, Clock::time_point::max(), api.ctx().response_limit);
  if (err) co_return client_failure(err, "image download");
  if (res.status != 200) {
    co_return fail(Failure::server_error,
                   "downloading the Replicate image failed with HTTP " + std::to_string(res.status),
                   res.status);
  }
  data.push_back(json::object{{"b64_json", base64_encode(res.body)}});
  co_return std::nullopt;
}

awaitable<Outcome> complete_images(CallContext& ctx, const CreateCall& call) {
  const json::object* body = ctx.ex.body.if_object();
  ImagePlan plan;
  std::string err = body ? image_plan(*body, ctx.model, plan) : "the request body must be a JSON object";
  if (!err.empty()) co_return fail(Failure::bad_request, err);
  std::vector<Run> runs = co_await run_all(ctx, call, plan.inputs);
  if (auto bad = first_failure(runs)) co_return *bad;
  Api api(ctx);
  json::array data;
  for (const auto& r : runs) {
    for (const auto& file : output_files(r.prediction.output)) {
      if (data.size() >= static_cast<std::size_t>(plan.n)) break;
      if (auto bad = co_await image_entry(api, file, plan.b64_json, data)) co_return *bad;
    }
  }
  if (data.empty()) co_return fail(Failure::server_error, "the Replicate prediction returned no image");
  Outcome o;
  o.status = runs.front().status;
  add_timings(o, runs);
  o.answer = json::object{{"created", unix_now()}, {"data", std::move(data)}};
  co_return o;
}

// One streamed answer: relays tokens into the sink as they arrive.
class StreamSession {
 public:
  StreamSession(CallContext& ctx, ChunkSink& sink, Api& api)
      : ctx_(ctx), sink_(sink), api_(api), t0_(Clock::now()) {}

  awaitable<Outcome> run(const CreateCall& call, const TextPlan& plan) {
    PredictionCanceller canceller(co_await asio::this_coro::executor, api_);
    Prediction p;
    if (auto bad = co_await create(api_, call, plan.input, false, p)) co_return *bad;
    canceller.arm(p.url_cancel);
    maker_.emplace(is_chat(ctx_), p.id, unix_now(), ctx_.model, ctx_.ex.include_usage);

    std::optional<Outcome> bad;
    bool finished = false;  // the stream said `done`
    if (!p.url_stream.empty()) {
      if (auto why = api_.check(p.url_stream); !why.empty()) {
        co_return with_progress(fail(Failure::connection_error, why), p);
      }
      bad = co_await relay_stream(p.url_stream, finished);
    }
    if (!bad && !finished) bad = co_await poll_output(p);
    if (bad) {
      if (ended_upstream_ || p.terminal()) canceller.disarm();
      co_return with_progress(std::move(*bad), p);
    }
    canceller.disarm();
    co_await settle_metrics(api_, p);
    Outcome o;
    o.status = 201;
    if (!co_await finish(p, plan.length_limit, o)) {
      co_return with_progress(fail(Failure::canceled, "client disconnected"), p);
    }
    co_return with_progress(std::move(o), p);
  }

 private:
  Outcome with_progress(Outcome o, const Prediction& p) const {
    o.chunks_sent = chunks_sent_;
    o.ttfb_ms = ttfb_ms_;
    o.queue_ms = queue_ms(p);
    return o;
  }

  // Chunks are built into named objects before each co_await: GCC 12 mishandles temporaries
  // that live across a suspension point inside a co_await expression.
  awaitable<bool> emit(json::object& c) {
    bool delivered = co_await sink_.chunk(c);
    if (delivered) ++chunks_sent_;
    co_return delivered;
  }

  awaitable<bool> emit_token(std::string_view text) {
    if (ttfb_ms_ < 0) ttfb_ms_ = ms_between(t0_, Clock::now());
    if (!opened_) {
      opened_ = true;
      // No variable declared in the `if` itself: GCC 12 does not keep such condition variables
      // alive correctly across a co_await in the block (it resumed a dead frame).
      std::optional<json::object> first = maker_->opening();
      if (first) {
        bool delivered = co_await emit(*first);
        if (!delivered) co_return false;
      }
    }
    emitted_ += text;
    if (text.empty()) co_return true;
    json::object chunk = maker_->content(text);
    bool delivered = co_await emit(chunk);
    co_return delivered;
  }

  // Emits the part of the prediction's output not yet sent.
  awaitable<bool> emit_text_diff(const Prediction& p) {
    std::string text = output_text(p.output);
    if (text.size() <= emitted_.size() || text.compare(0, emitted_.size(), emitted_) != 0) {
      co_return true;
    }
    co_return co_await emit_token(std::string_view(text).substr(emitted_.size()));
  }

  // No stream (or it ended without `done`): poll and emit the output that is new.
  awaitable<std::optional<Outcome>> poll_output(Prediction& p) {
    const bool delivered = co_await emit_text_diff(p);
    if (!delivered) co_return fail(Failure::canceled, "client disconnected");
    auto emit_new = [this](const Prediction& now) { return emit_text_diff(now); };
    if (auto bad = co_await poll_until_terminal(api_, p, emit_new)) co_return bad;
    if (p.status != "succeeded") co_return prediction_failure(p);
    co_return std::nullopt;
  }

  awaitable<std::optional<Outcome>> relay_stream(const std::string& url, bool& finished) {
    http::ClientRequest req = stream_request(api_, url);
    http::ClientError err;
    auto body = co_await api_.open(req, err);
    if (err || !body) co_return client_failure(err, "stream");
    if (body->status() != 200) {
      co_return fail(Failure::server_error,
                     "the Replicate stream answered HTTP " + std::to_string(body->status()),
                     body->status());
    }
    http::SseReader reader;
    std::vector<StreamStep> steps;
    auto on_event = [&](const http::SseEvent& e) {
      StreamStep s = interpret(e);
      if (s.kind != StreamStep::Kind::ignore) steps.push_back(std::move(s));
    };
    for (;;) {
      http::ClientError rerr;
      std::string_view piece = co_await body->read_some(rerr);
      if (rerr) co_return client_failure(rerr, "stream");
      if (piece.empty()) co_return std::nullopt;  // ended without `done`: the caller polls
      if (!reader.feed(piece, on_event)) {
        co_return fail(Failure::connection_error, "a Replicate stream event exceeds the size limit");
      }
      // An if-chain rather than a switch: no co_await inside switch cases (GCC 12).
      for (auto& s : steps) {
        if (s.kind == StreamStep::Kind::output) {
          const bool delivered = co_await emit_token(s.text);
          if (!delivered) co_return fail(Failure::canceled, "client disconnected");
        } else if (s.kind == StreamStep::Kind::failed) {
          ended_upstream_ = true;
          std::string message = std::move(s.text);
          co_return fail(Failure::server_error, std::move(message));
        } else if (s.kind == StreamStep::Kind::done) {
          finished = true;
          http::drain_in_background(std::move(body));  // its connection back to the pool
          co_return std::nullopt;
        }
      }
      steps.clear();
    }
  }

  awaitable<bool> finish(const Prediction& p, int length_limit, Outcome& o) {
    bool delivered = co_await emit_token("");  // a role chunk even for an empty answer
    if (!delivered) co_return false;
    json::object last = maker_->finish(finish_reason(p, length_limit));
    delivered = co_await emit(last);
    if (!delivered) co_return false;
    if (p.has_token_counts()) o.usage = {*p.input_tokens, *p.output_tokens};
    if (ctx_.ex.include_usage && o.usage.prompt_tokens >= 0) {
      json::object usage = maker_->usage(o.usage);
      delivered = co_await emit(usage);
    }
    co_return delivered;
  }

  CallContext& ctx_;
  ChunkSink& sink_;
  Api& api_;
  Clock::time_point t0_;
  std::optional<ChunkMaker> maker_;
  std::string emitted_;
  bool opened_ = false;
  bool ended_upstream_ = false;  // the stream reported the prediction's end (error, canceled)
  int chunks_sent_ = 0;
  double ttfb_ms_ = -1;
};

std::optional<Outcome> unsupported_route(const CallContext& ctx) {
  if (ctx.ex.route == gateway::Route::embeddings) {
    return fail(Failure::bad_request, "embeddings are not supported by the Replicate provider");
  }
  return std::nullopt;
}

class ReplicateProvider final : public Provider {
 public:
  awaitable<Outcome> complete(CallContext& ctx) override {
    if (auto bad = unsupported_route(ctx)) co_return *bad;
    CreateCall call;
    if (auto err = create_call(ctx.base_url, ctx.model, call); !err.empty()) {
      co_return fail(Failure::not_found, err);
    }
    if (ctx.ex.route == gateway::Route::images_generations) {
      co_return co_await complete_images(ctx, call);
    }
    co_return co_await complete_text(ctx, call);
  }

  awaitable<Outcome> stream(CallContext& ctx, ChunkSink& sink) override {
    if (auto bad = unsupported_route(ctx)) co_return *bad;
    if (ctx.ex.route == gateway::Route::images_generations) {
      co_return fail(Failure::bad_request, "streaming image generation is not supported by the "
                                           "Replicate provider");
    }
    CreateCall call;
    if (auto err = create_call(ctx.base_url, ctx.model, call); !err.empty()) {
      co_return fail(Failure::not_found, err);
    }
    TextPlan plan;
    if (auto err = text_plan(ctx, plan); !err.empty()) co_return fail(Failure::bad_request, err);
    if (plan.n > 1) {
      co_return fail(Failure::bad_request,
                     "'n' > 1 with 'stream': true is not supported by the Replicate provider");
    }
    Api api(ctx);
    StreamSession session(ctx, sink, api);
    co_return co_await session.run(call, plan);
  }
};

}  // namespace
}  // namespace replicate

Provider& replicate_provider() {
  static replicate::ReplicateProvider provider;
  return provider;
}

}  // namespace kt::providers
