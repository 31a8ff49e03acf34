// The stream port (a different origin from the API, like Replicate's streaming hosts):
// GET /v1/streams/{id} is a prediction's SSE stream per wire-formats §2.2/§2.3, and
// GET /files/{id}/{name} serves generated images without auth (§1.4).
#include "assets.h"
#include "mock_app.h"
#include "text.h"

namespace kt::mock {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using Clock = Prediction::Clock;

// Sleeps until `t` in steps of at most 50 ms; returns early when the prediction is canceled.
asio::awaitable<void> wait_until(Call& call, const Prediction& p, Clock::time_point t) {
  for (;;) {
    auto now = Clock::now();
    if (now >= t || p.canceled_at_us.load(std::memory_order_acquire) != 0) co_return;
    auto step = std::min(std::chrono::duration_cast<milliseconds>(t - now) + milliseconds(1),
                         milliseconds(50));
    co_await call.sleep(step);
  }
}

class EventWriter {
 public:
  EventWriter(Call& call, const Fault& f, long long stamp) : call_(call), f_(f), stamp_(stamp) {}

  // Writes one event; multi-line data goes on several data: lines. False once reset by a fault.
  asio::awaitable<bool> event(std::string_view name, std::string_view data) {
    if (f_.stall_ms > 0 && !stalled_ && events_ == f_.stall_after) {
      stalled_ = true;
      co_await call_.sleep(milliseconds(f_.stall_ms));
    }
    if (f_.reset_after > 0 && events_ == f_.reset_after) {
      call_.reset();
      co_return false;
    }
    std::string out;
    out.reserve(data.size() + 64);
    out.append("event: ").append(name).append("\nid: ").append(std::to_string(stamp_));
    out.append(":").append(std::to_string(events_)).append("\n");
    for (;;) {
      auto nl = data.find('\n');
      out.append("data: ").append(data.substr(0, nl)).append("\n");
      if (nl == std::string_view::npos) break;
      data.remove_prefix(nl + 1);
    }
    out.append("\n");
    co_await call_.write_chunk(out);
    ++events_;
    co_return true;
  }

 private:
  Call& call_;
  const Fault& f_;
  long long stamp_;
  int events_ = 0;
  bool stalled_ = false;
};

asio::awaitable<void> serve_stream(MockApp& app, Call& call, std::string_view id) {
  auto p = app.predictions.find(id);
  if (!p || p->image) {
    co_await call.send(make_response(http::status::not_found, "stream not found\n", "text/plain"));
    co_return;
  }
  std::string error;
  Fault fault = p->stream_fault;
  fault.merge(collect_fault(app, call, {}, &error));
  if (!error.empty()) {
    co_await call.send(
        make_response(http::status::bad_request, "kt-mock: " + error + "\n", "text/plain"));
    co_return;
  }
  p->stream_reads.fetch_add(1);
  if (fault.delay_headers_ms > 0) co_await call.sleep(milliseconds(fault.delay_headers_ms));
  if (fault.status) {
    Response res = make_response(static_cast<http::status>(fault.status),
                                 fault.body.value_or("kt-mock injected status\n"), "text/plain");
    if (fault.retry_after) res.set(http::field::retry_after, *fault.retry_after);
    co_await call.send(std::move(res));
    co_return;
  }
  if (fault.reset_after == 0) {
    call.reset();
    co_return;
  }
  Response head = make_response(http::status::ok, {}, "text/event-stream");
  head.set(http::field::cache_control, "no-store");
  head.set(http::field::access_control_allow_origin, "*");
  co_await call.begin_stream(std::move(head));
  co_await call.write_chunk(": hi\n\n");

  EventWriter out(call, fault, unix_seconds(p->created));
  std::size_t steps = p->planned_steps();
  for (std::size_t i = 0; i < steps; ++i) {
    co_await wait_until(call, *p, p->step_time(i));
    if (fault.slow_tokens_ms > 0) co_await call.sleep(milliseconds(fault.slow_tokens_ms));
    if (p->canceled_at_us.load(std::memory_order_acquire) != 0) break;
    if (!co_await out.event("output", p->fragments[i])) co_return;
  }
  co_await wait_until(call, *p, p->natural_end());
  if (fault.truncated_sse) {
    co_await call.end_stream();
    co_return;
  }
  auto view = p->at(Clock::now());
  bool ok = true;
  if (view.status == Status::failed) {
    ok = co_await out.event("error", p->fail_error) &&
         co_await out.event("done", R"({"reason":"error"})");
  } else if (view.status == Status::canceled) {
    ok = co_await out.event("done", R"({"reason":"canceled"})");
  } else {
    ok = co_await out.event("done", "{}");
  }
  if (ok) co_await call.end_stream();
}

asio::awaitable<void> serve_file(Call& call, std::string_view name) {
  auto dot = name.rfind('.');
  ImageAsset asset = image_asset(dot == std::string_view::npos ? "" : name.substr(dot + 1));
  if (asset.content_type.empty() || name.substr(0, 4) != "out-") {
    co_await call.send(make_response(http::status::not_found, "file not found\n", "text/plain"));
    co_return;
  }
  Response res = make_response(http::status::ok, *asset.bytes, asset.content_type);
  res.set(http::field::cache_control, "public,max-age=3600");
  co_await call.send(std::move(res));
}

}  // namespace

asio::awaitable<bool> serve_stream_port(MockApp& app, Call& call, std::string_view path) {
  if (call.req().method() != http::verb::get) co_return false;
  constexpr std::string_view kStreams = "/v1/streams/";
  constexpr std::string_view kFiles = "/files/";
  if (path.substr(0, kStreams.size()) == kStreams) {
    co_await serve_stream(app, call, path.substr(kStreams.size()));
    co_return true;
  }
  if (path.substr(0, kFiles.size()) == kFiles) {
    std::string_view rest = path.substr(kFiles.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) co_return false;
    co_await serve_file(call, rest.substr(slash + 1));
    co_return true;
  }
  co_return false;
}

}  // namespace kt::mock
