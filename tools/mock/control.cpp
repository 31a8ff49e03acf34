// The /_mock control API: health, request journal, fault queue, prediction internals, reset.
#include <charconv>

#include "mock_app.h"
#include "text.h"

namespace kt::mock {
namespace {

namespace json = boost::json;

Response json_ok(json::value v, http::status status = http::status::ok) {
  return make_response(status, json::serialize(v));
}

Response bad_request(std::string_view message) {
  return openai_error(400, message, "invalid_request_error");
}

// Queues one {"path","fault","count"} item; returns an error message or empty.
std::string queue_fault(MockApp& app, const json::value& item) {
  if (!item.is_object()) return "each fault must be an object {\"path\",\"fault\",\"count\"}";
  const auto& o = item.as_object();
  const auto* path = o.if_contains("path");
  const auto* spec = o.if_contains("fault");
  if (!path || !path->is_string() || path->as_string().empty())
    return "fault needs a string \"path\"";
  if (!spec || !spec->is_string()) return "fault needs a string \"fault\" spec";
  std::int64_t count = 1;
  if (const auto* c = o.if_contains("count")) {
    if (!c->is_int64() || c->as_int64() < 1 || c->as_int64() > 1000000) {
      return "fault \"count\" must be an integer in 1..1000000";
    }
    count = c->as_int64();
  }
  std::string error;
  auto fault = parse_fault(spec->as_string(), &error);
  if (!fault) return error;
  app.faults.push(std::string(path->as_string()), std::string(spec->as_string()), *fault,
                  static_cast<int>(count));
  return {};
}

json::object prediction_internals(const Prediction& p) {
  auto now = Prediction::Clock::now();
  auto view = p.at(now);
  long long cancel_us = p.canceled_at_us.load();
  return {{"id", p.id},
          {"model", p.model},
          {"status", status_name(view.status)},
          {"canceled", cancel_us != 0},
          {"emitted", view.emitted},
          {"planned_steps", p.planned_steps()},
          {"cold_start_ms", p.cold_start.count()},
          {"token_delay_ms", p.token_delay.count()},
          {"fail_after", p.fail_after},
          {"stream_reads", p.stream_reads.load()},
          {"created_at", rfc3339(p.created)}};
}

// The control response for `path`, or nullopt when the path is not a control route.
std::optional<Response> control_response(MockApp& app, const Call& call, std::string_view path) {
  auto method = call.req().method();
  if (path == "/healthz" || path == "/_mock/health") return json_ok(json::object{{"status", "ok"}});
  if (path == "/_mock/requests") {
    if (method == http::verb::delete_) {
      app.journal.clear();
      return json_ok(json::object{{"cleared", true}});
    }
    std::size_t limit = 1000;
    if (auto l = query_param(call.query(), "limit")) {
      auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
      if (ec != std::errc() || p != l->data() + l->size()) {
        return bad_request("limit must be a non-negative integer");
      }
    }
    std::string prefix = query_param(call.query(), "path").value_or("");
    return json_ok(json::object{{"requests", app.journal.recent(prefix, limit)}});
  }
  if (path == "/_mock/faults") {
    if (method == http::verb::delete_) {
      app.faults.clear();
      return json_ok(json::object{{"cleared", true}});
    }
    if (method == http::verb::post) {
      boost::system::error_code ec;
      json::value body = json::parse(call.req().body(), ec);
      if (ec)
        return bad_request("body must be JSON: {\"path\",\"fault\",\"count\"} or a list of them");
      std::string error;
      if (body.is_array()) {
        for (const auto& item : body.as_array()) {
          error = queue_fault(app, item);
          if (!error.empty()) break;
        }
      } else {
        error = queue_fault(app, body);
      }
      if (!error.empty()) return bad_request(error);
    }
    return json_ok(json::object{{"faults", app.faults.describe()}});
  }
  if (path == "/_mock/reset" && method == http::verb::post) {
    app.journal.clear();
    app.faults.clear();
    app.predictions.clear();
    return json_ok(json::object{{"reset", true}});
  }
  constexpr std::string_view kPredictions = "/_mock/predictions/";
  if (path.substr(0, kPredictions.size()) == kPredictions) {
    auto p = app.predictions.find(path.substr(kPredictions.size()));
    if (!p) return openai_error(404, "no such prediction", "invalid_request_error", "not_found");
    return json_ok(prediction_internals(*p));
  }
  return std::nullopt;
}

}  // namespace

asio::awaitable<bool> serve_control(MockApp& app, Call& call, std::string_view path) {
  auto res = control_response(app, call, path);
  if (!res) co_return false;
  co_await call.send(std::move(*res));
  co_return true;
}

}  // namespace kt::mock
