// The Replicate API simulator (wire-formats §1): prediction create (models, versions,
// deployments endpoints), Prefer: wait, get, cancel, list, models, versions, deployments, with
// problem+json errors. Predictions advance with time (predictions.h); their SSE stream and output
// files are served on the stream port (replicate_stream.cpp).
#include <charconv>

#include "assets.h"
#include "mock_app.h"
#include "replicate_catalog.h"
#include "text.h"

namespace kt::mock {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using Clock = Prediction::Clock;

constexpr std::string_view kNotFound = "The requested resource could not be found.";

Response problem(int status, std::string_view title, std::string_view detail,
                 const std::vector<InvalidField>& fields = {}) {
  json::object body;
  if (!title.empty()) body["title"] = title;
  body["detail"] = detail;
  body["status"] = status;
  if (!fields.empty()) {
    json::array arr;
    for (const auto& f : fields) {
      arr.push_back({{"type", f.type}, {"field", f.field}, {"description", f.description}});
    }
    body["invalid_fields"] = std::move(arr);
  }
  return make_response(static_cast<http::status>(status), json::serialize(body),
                       "application/problem+json");
}

Response validation_problem(const std::vector<InvalidField>& fields) {
  std::string detail;
  for (const auto& f : fields) detail += "- " + f.field + ": " + f.description + "\n";
  return problem(422, "Input validation failed", detail, fields);
}

Response not_found() { return problem(404, "", kNotFound); }

void add_rate_headers(Response& res, bool create) {
  res.set("ratelimit-remaining", create ? "599" : "2999");
  res.set("ratelimit-reset", "1");
}

asio::awaitable<bool> check_auth(MockApp& app, Call& call) {
  std::string_view auth = call.header("authorization");
  if (auth.empty()) {
    co_await call.send(problem(401, "Unauthenticated", "You did not pass an authentication token"));
    co_return false;
  }
  std::string_view token;
  for (std::string_view scheme : {"Bearer ", "Token "}) {
    if (auth.substr(0, scheme.size()) == scheme) token = auth.substr(scheme.size());
  }
  bool valid = app.opts.require_token.empty() ? token.substr(0, 3) == "r8_" && token.size() > 3
                                              : token == app.opts.require_token;
  if (!valid) {
    co_await call.send(
        problem(401, "Unauthenticated", "You did not pass a valid authentication token"));
    co_return false;
  }
  co_return true;
}

std::string throttle_detail(const Fault& f) {
  std::string secs = f.retry_after.value_or("1");
  return "Request was throttled. Expected available in " + secs + " second" +
         (secs == "1" ? "" : "s") + ".";
}

// Delay, injected status, reset before the answer; true when answered.
asio::awaitable<bool> fault_prelude(Call& call, const Fault& f) {
  if (f.delay_headers_ms > 0) co_await call.sleep(milliseconds(f.delay_headers_ms));
  if (f.status) {
    std::string detail =
        f.body.value_or(f.status == 429 ? throttle_detail(f)
                                        : "kt-mock injected status " + std::to_string(f.status));
    Response res = problem(f.status, f.status == 429 ? "" : "Injected fault", detail);
    if (f.retry_after) res.set(http::field::retry_after, *f.retry_after);
    co_await call.send(std::move(res));
    co_return true;
  }
  if (f.reset_after == 0) {
    call.reset();
    co_return true;
  }
  co_return false;
}

asio::awaitable<void> send_json(Call& call, http::status status, const json::object& body,
                                const Fault& f, bool create, bool stall_allowed) {
  std::string text = json::serialize(body);
  if (f.malformed_json) text.resize(text.size() / 2);
  Response res = make_response(status, std::move(text), "application/json; charset=utf-8");
  add_rate_headers(res, create);
  if (stall_allowed && f.stall_ms > 0) {
    co_await call.send_stalled(std::move(res), milliseconds(f.stall_ms));
  } else {
    co_await call.send(std::move(res));
  }
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Renders a prediction as the API shows it at `now`. In sync mode (a Prefer: wait answer) image
// outputs are data: URIs, and with the quirk a finished prediction still says "processing",
// without metrics or completed_at (wire-formats §1.3).
json::object render(const MockApp& app, const Call& call, const Prediction& p,
                    Clock::time_point now, bool sync, bool quirk) {
  auto view = p.at(now);
  std::string get = api_base(app, call) + "/v1/predictions/" + p.id;
  json::object urls{{"cancel", get + "/cancel"}, {"get", get}};
  if (!p.image) urls["stream"] = stream_base(app, call) + "/v1/streams/" + p.id;
  urls["web"] = "https://replicate.com/p/" + p.id;

  json::value output = nullptr;
  if (!p.image && view.status != Status::canceled && view.status != Status::starting) {
    json::array tokens;
    for (std::size_t i = 0; i < view.emitted; ++i) tokens.push_back(json::string(p.fragments[i]));
    output = std::move(tokens);
  } else if (p.image && view.status == Status::succeeded) {
    json::array files;
    for (const auto& name : p.fragments) {
      std::string ext = name.substr(name.rfind('.') + 1);
      files.push_back(json::string(sync ? image_data_uri(ext)
                                        : stream_base(app, call) + "/files/" + p.id + "/" + name));
    }
    output = p.single_output && !files.empty() ? files.front() : json::value(std::move(files));
  }

  bool started = view.status != Status::starting &&
                 !(view.status == Status::canceled && view.completed < p.started());
  bool terminal = is_terminal(view.status);
  bool hide_end = sync && quirk && view.status == Status::succeeded;
  Status shown = hide_end ? Status::processing : view.status;

  json::object out{
      {"id", p.id},
      {"model", p.model},
      {"version", p.version},
      {"input", p.input},
      {"logs", view.status == Status::canceled ? json::value(nullptr) : json::value("")},
      {"output", std::move(output)},
      {"data_removed", false}};
  out["error"] = view.status == Status::failed ? json::value(p.fail_error) : json::value(nullptr);
  out["status"] = status_name(shown);
  out["source"] = "api";
  out["created_at"] = rfc3339(p.created);
  if (started) out["started_at"] = rfc3339(p.started());
  if (terminal && !hide_end) {
    out["completed_at"] = rfc3339(view.completed);
    double predict = started ? seconds_between(p.started(), view.completed) : 0.0;
    json::object metrics{{"predict_time", predict},
                         {"total_time", seconds_between(p.created, view.completed)}};
    if (!p.image && view.status == Status::succeeded) {
      metrics["input_token_count"] = p.input_token_count;
      metrics["output_token_count"] = view.emitted;
      metrics["tokens_per_second"] =
          predict > 0 ? static_cast<double>(view.emitted) / predict : 0.0;
      metrics["time_to_first_token"] = std::chrono::duration<double>(p.token_delay).count();
    }
    out["metrics"] = std::move(metrics);
  }
  if (!p.deployment.empty()) out["deployment"] = p.deployment;
  out["urls"] = std::move(urls);
  return out;
}

// Reads an optional integer header (x-mock-*); false when present but not a number.
bool header_int(const Call& call, std::string_view name, int* out) {
  std::string_view v = call.header(name);
  if (v.empty()) return true;
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0) return false;
  *out = n;
  return true;
}

// Prefer: wait / wait=N -> seconds (clamped to 60); 0 when absent or not a wait preference.
int prefer_wait_seconds(std::string_view prefer) {
  if (prefer == "wait") return 60;
  if (prefer.substr(0, 5) != "wait=") return 0;
  int n = 0;
  auto digits = prefer.substr(5);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size() || n < 1) return 0;
  return std::min(n, 60);
}

enum class CreateRoute { model, version, deployment };

std::string chat_prompt(const json::object& input) {
  const auto* p = input.if_contains("prompt");
  return p && p->is_string() ? std::string(p->as_string()) : std::string();
}

std::shared_ptr<Prediction> build_prediction(const MockApp& app, const ReplicateModel& model,
                                             std::string_view model_name, json::object input,
                                             const Fault& fault) {
  auto p = std::make_shared<Prediction>();
  p->id = random_id(26);
  p->model = std::string(model_name);
  p->version = std::string(model.version);
  p->image = model.image;
  p->created = Clock::now();
  int cold = fault.cold_start_ms >= 0 ? fault.cold_start_ms : app.opts.cold_start_ms;
  int delay = fault.token_delay_ms >= 0   ? fault.token_delay_ms
              : fault.slow_tokens_ms >= 0 ? fault.slow_tokens_ms
                                          : app.opts.token_delay_ms;
  p->cold_start = milliseconds(cold);
  p->token_delay = milliseconds(delay);
  p->fail_after = fault.fail_after;
  p->fail_error = fault.body.value_or(
      "CUDA out of memory (kt-mock fail_after=" + std::to_string(fault.fail_after) + ")");
  p->stream_fault = fault;
  p->stream_fault.slow_tokens_ms = -1;  // folded into the token delay above
  if (!model.image) {
    std::string prompt = chat_prompt(input);
    p->input_token_count = count_words(prompt);
    p->fragments = split_tokens(echo_answer(last_user_text(prompt)));
    long long cap = model.default_length;
    if (const auto* v = input.if_contains(model.length_key); v && v->is_int64())
      cap = v->as_int64();
    if (p->fragments.size() > static_cast<std::size_t>(cap))
      p->fragments.resize(static_cast<std::size_t>(cap));
    p->steps = static_cast<int>(p->fragments.size());
  } else {
    auto int_or = [&](std::string_view key, long long d) {
      const auto* v = input.if_contains(key);
      return v && v->is_int64() ? v->as_int64() : d;
    };
    const auto* f = input.if_contains("output_format");
    std::string ext = f && f->is_string() ? std::string(f->as_string()) : "webp";
    long long outputs = model.array_output ? int_or("num_outputs", 1) : 1;
    for (long long i = 0; i < outputs; ++i)
      p->fragments.push_back("out-" + std::to_string(i) + "." + ext);
    p->single_output = !model.array_output;
    p->steps = static_cast<int>(model.array_output ? int_or("num_inference_steps", 4)
                                                   : int_or("steps", 4));
  }
  p->input = std::move(input);
  return p;
}

asio::awaitable<void> create_prediction(MockApp& app, Call& call, CreateRoute route,
                                        std::string_view name_in_path) {
  if (!co_await check_auth(app, call)) co_return;
  ModelFault mf = split_model_fault(name_in_path);
  std::string error;
  Fault fault = collect_fault(app, call, mf.spec, &error);
  if (error.empty()) {
    int quirk = fault.sync_quirk;
    if (!header_int(call, "x-mock-cold-start-ms", &fault.cold_start_ms) ||
        !header_int(call, "x-mock-token-delay-ms", &fault.token_delay_ms) ||
        !header_int(call, "x-mock-fail-after", &fault.fail_after) ||
        !header_int(call, "x-mock-sync-quirk", &quirk)) {
      error = "x-mock-* headers must be non-negative integers";
    }
    fault.sync_quirk = quirk;
  }
  if (!error.empty()) {
    co_await call.send(problem(400, "Invalid kt-mock fault", error));
    co_return;
  }
  if (co_await fault_prelude(call, fault)) co_return;

  boost::system::error_code ec;
  json::value body = json::parse(call.req().body(), ec);
  if (ec || !body.is_object()) {
    co_await call.send(problem(400, "Invalid request body",
                               "Failed to parse request body as JSON: " +
                                   (ec ? ec.message() : std::string("expected a JSON object"))));
    co_return;
  }
  auto& obj = body.as_object();
  std::vector<InvalidField> invalid;
  for (const auto& kv : obj) {
    std::string_view key = kv.key();
    bool allowed = key == "input" || key == "webhook" || key == "webhook_events_filter" ||
                   key == "stream" || (route == CreateRoute::version && key == "version");
    if (!allowed) {
      invalid.push_back({"additional_property_not_allowed", std::string(key),
                         "Additional property " + std::string(key) + " is not allowed"});
    }
  }
  const ReplicateModel* model = nullptr;
  std::string model_name;
  std::string deployment;
  if (route == CreateRoute::model) {
    bool fault_model = mf.model.substr(0, 11) == "mock-fault/";
    model = fault_model ? &replicate_models().front() : find_replicate_model(mf.model);
    if (!model || !model->by_name) {
      co_await call.send(not_found());
      co_return;
    }
    model_name = fault_model ? mf.model : std::string(model->owner_name);
  } else if (route == CreateRoute::deployment) {
    const auto* d = find_replicate_deployment(mf.model);
    if (!d) {
      co_await call.send(not_found());
      co_return;
    }
    model = find_replicate_model(d->model);
    model_name = std::string(model->owner_name);
    deployment = std::string(d->owner_name);
  } else {
    const auto* v = obj.if_contains("version");
    if (!v) {
      invalid.push_back({"required", "version", "version is required"});
    } else if (!v->is_string()) {
      invalid.push_back({"type", "version", "Invalid type. Expected: string"});
    } else {
      model = find_replicate_version(v->as_string());
      if (!model && invalid.empty()) {
        co_await call.send(problem(422, "Invalid version or not permitted",
                                   "The specified version does not exist (or perhaps you don't "
                                   "have permission to use it?)"));
        co_return;
      }
      if (model) model_name = std::string(model->owner_name);
    }
  }
  const auto* input = obj.if_contains("input");
  if (!input) {
    invalid.push_back({"required", "input", "input is required"});
  } else if (!input->is_object()) {
    invalid.push_back({"type", "input", "Invalid type. Expected: object"});
  } else if (model) {
    auto more = validate_input(*model, input->as_object());
    invalid.insert(invalid.end(), more.begin(), more.end());
  }
  if (!invalid.empty()) {
    co_await call.send(validation_problem(invalid));
    co_return;
  }

  auto p = build_prediction(app, *model, model_name, input->as_object(), fault);
  p->deployment = deployment;
  app.predictions.add(p);

  std::string_view prefer = call.header("prefer");
  int wait_s = prefer_wait_seconds(prefer);
  if (wait_s > 0) {
    auto deadline = Clock::now() + std::chrono::seconds(wait_s);
    for (;;) {
      auto now = Clock::now();
      if (is_terminal(p->at(now).status) || now >= deadline) break;
      auto next = std::min({deadline, p->natural_end(), now + milliseconds(50)});
      co_await call.sleep(
          std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(next - now)));
    }
  }
  bool quirk = fault.sync_quirk >= 0 ? fault.sync_quirk == 1 : app.opts.sync_quirk;
  json::object out = render(app, call, *p, Clock::now(), wait_s > 0, quirk);
  std::string text = json::serialize(out);
  if (fault.malformed_json) text.resize(text.size() / 2);
  Response res =
      make_response(http::status::created, std::move(text), "application/json; charset=utf-8");
  add_rate_headers(res, true);
  res.set(http::field::location, api_base(app, call) + "/v1/predictions/" + p->id);
  if (wait_s > 0) res.set("preference-applied", prefer);
  co_await call.send(std::move(res));
}

// Faults for the read-only routes (GET/cancel): queued or from the header.
asio::awaitable<std::optional<Fault>> read_fault(MockApp& app, Call& call) {
  std::string error;
  Fault f = collect_fault(app, call, {}, &error);
  if (!error.empty()) {
    co_await call.send(problem(400, "Invalid kt-mock fault", error));
    co_return std::nullopt;
  }
  if (co_await fault_prelude(call, f)) co_return std::nullopt;
  if (f.reset_after > 0) {  // a JSON reply has no events to count: reset before any byte
    call.reset();
    co_return std::nullopt;
  }
  co_return f;
}

asio::awaitable<void> list_predictions(MockApp& app, Call& call) {
  auto fault = co_await read_fault(app, call);
  if (!fault) co_return;
  std::size_t offset = 0;
  if (auto c = query_param(call.query(), "cursor")) {
    auto [ptr, ec] = std::from_chars(c->data(), c->data() + c->size(), offset);
    if (ec != std::errc()) offset = 0;
  }
  constexpr std::size_t kPage = 100;
  bool more = false;
  auto page = app.predictions.list(offset, kPage, &more);
  json::array results;
  auto now = Clock::now();
  for (const auto& p : page) results.push_back(render(app, call, *p, now, false, false));
  std::string base = api_base(app, call) + "/v1/predictions";
  json::object out{
      {"next", more ? json::value(base + "?cursor=" + std::to_string(offset + kPage))
                    : json::value(nullptr)},
      {"previous",
       offset > 0
           ? json::value(base + "?cursor=" + std::to_string(offset >= kPage ? offset - kPage : 0))
           : json::value(nullptr)},
      {"results", std::move(results)}};
  co_await send_json(call, http::status::ok, out, *fault, false, true);
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

std::string join2(std::string_view a, std::string_view b) {
  return std::string(a) + "/" + std::string(b);
}

}  // namespace

json::array replicate_model_objects(const MockApp&, const Call&) {
  json::array out;
  for (const auto& m : replicate_models()) out.push_back(replicate_model_object(m));
  return out;
}

asio::awaitable<bool> serve_replicate(MockApp& app, Call& call, std::string_view path) {
  auto seg = segments(path);
  if (seg.size() < 2 || seg[0] != "v1") co_return false;
  auto method = call.req().method();
  bool post = method == http::verb::post;
  bool get = method == http::verb::get;

  if (seg[1] == "predictions") {
    if (seg.size() == 2 && post) {
      co_await create_prediction(app, call, CreateRoute::version, {});
      co_return true;
    }
    if (!(get || post)) co_return false;
    if (!co_await check_auth(app, call)) co_return true;
    if (seg.size() == 2 && get) {
      co_await list_predictions(app, call);
      co_return true;
    }
    bool cancel = seg.size() == 4 && seg[3] == "cancel" && post;
    if (!(seg.size() == 3 && get) && !cancel) co_return false;
    auto fault = co_await read_fault(app, call);
    if (!fault) co_return true;
    auto p = app.predictions.find(seg[2]);
    if (!p) {
      co_await call.send(not_found());
      co_return true;
    }
    auto now = Clock::now();
    if (cancel) p->cancel(now);
    co_await send_json(call, http::status::ok, render(app, call, *p, now, false, false), *fault,
                       false, true);
    co_return true;
  }

  if (seg[1] == "models" && seg.size() >= 4) {
    std::string name = join2(seg[2], seg[3]);
    if (seg.size() == 5 && seg[4] == "predictions" && post) {
      co_await create_prediction(app, call, CreateRoute::model, name);
      co_return true;
    }
    if (!get) co_return false;
    if (!co_await check_auth(app, call)) co_return true;
    const auto* m = find_replicate_model(name);
    if (!m) {
      co_await call.send(not_found());
      co_return true;
    }
    json::object body;
    if (seg.size() == 4) {
      body = replicate_model_object(*m);
    } else if (seg.size() == 5 && seg[4] == "versions") {
      json::array results;
      if (is_version_hash(m->version)) results.push_back(replicate_version_object(*m));
      body = {{"next", nullptr}, {"previous", nullptr}, {"results", std::move(results)}};
    } else if (seg.size() == 6 && seg[4] == "versions" && m->version == seg[5] &&
               is_version_hash(m->version)) {
      body = replicate_version_object(*m);
    } else {
      co_await call.send(not_found());
      co_return true;
    }
    co_await send_json(call, http::status::ok, body, Fault{}, false, false);
    co_return true;
  }

  if (seg[1] == "deployments" && seg.size() >= 4) {
    std::string name = join2(seg[2], seg[3]);
    if (seg.size() == 5 && seg[4] == "predictions" && post) {
      co_await create_prediction(app, call, CreateRoute::deployment, name);
      co_return true;
    }
    if (!(get && seg.size() == 4)) co_return false;
    if (!co_await check_auth(app, call)) co_return true;
    const auto* d = find_replicate_deployment(name);
    if (!d) {
      co_await call.send(not_found());
      co_return true;
    }
    const auto* m = find_replicate_model(d->model);
    json::object body{
        {"owner", seg[2]},
        {"name", seg[3]},
        {"current_release",
         {{"number", 1},
          {"model", d->model},
          {"version", m->version},
          {"created_at", "2024-05-01T12:00:00.000000Z"},
          {"created_by", {{"type", "organization"}, {"username", seg[2]}, {"name", seg[2]}}},
          {"configuration",
           {{"hardware", "gpu-a40-large"}, {"min_instances", 0}, {"max_instances", 1}}}}}};
    co_await send_json(call, http::status::ok, body, Fault{}, false, false);
    co_return true;
  }
  co_return false;
}

}  // namespace kt::mock
