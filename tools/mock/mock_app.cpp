#include "mock_app.h"

#include <boost/url/decode_view.hpp>

namespace kt::mock {

Response make_response(http::status status, std::string body, std::string_view content_type) {
  Response res{status, 11};
  res.set(http::field::server, "kt-mock");
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

Response openai_error(int status, std::string_view message, std::string_view type,
                      std::string_view code, std::string_view param) {
  boost::json::object err{
      {"message", message},
      {"type", type},
      {"param", param.empty() ? boost::json::value(nullptr) : boost::json::value(param)},
      {"code", code.empty() ? boost::json::value(nullptr) : boost::json::value(code)}};
  Response res =
      make_response(static_cast<http::status>(status),
                    boost::json::serialize(boost::json::object{{"error", std::move(err)}}));
  return res;
}

Fault collect_fault(MockApp& app, const Call& call, std::string_view model_spec,
                    std::string* error) {
  Fault fault;
  if (auto queued = app.faults.take(call.path())) fault = *queued;
  for (std::string_view spec : {call.header("x-mock-fault"), model_spec}) {
    if (spec.empty()) continue;
    auto parsed = parse_fault(spec, error);
    if (!parsed) return fault;
    fault.merge(*parsed);
  }
  return fault;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = item.find('=');
    if (item.substr(0, eq) != name) continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    std::string value;
    for (char c : raw) value += c == '+' ? ' ' : c;
    boost::system::result<boost::urls::pct_string_view> pct =
        boost::urls::make_pct_string_view(value);
    if (!pct) return value;
    return std::string(pct->decode());
  }
  return std::nullopt;
}

asio::awaitable<void> dispatch(MockApp& app, Call& call) {
  std::string_view path = call.path();
  if (path.substr(0, 7) == "/_mock/" || path == "/healthz") {
    if (co_await serve_control(app, call, path)) co_return;
  } else {
    app.journal.record(call);
    if (call.port() == Port::stream) {
      if (co_await serve_stream_port(app, call, path)) co_return;
    } else {
      if (co_await serve_openai(app, call, path)) co_return;
      if (co_await serve_replicate(app, call, path)) co_return;
    }
  }
  co_await call.send(openai_error(
      404,
      "kt-mock has no route " + std::string(call.req().method_string()) + " " + std::string(path),
      "invalid_request_error", "not_found"));
}

}  // namespace kt::mock

namespace kt::mock {
namespace {

bool is_wildcard(std::string_view host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

std::string client_host(const Call& call, std::string_view fallback) {
  std::string_view host = call.header("host");
  if (host.empty()) return std::string(fallback);
  if (host.front() == '[') return std::string(host.substr(0, host.find(']') + 1));
  return std::string(host.substr(0, host.rfind(':')));
}

std::string authority(std::string_view host, unsigned short port) {
  bool v6 = host.find(':') != std::string_view::npos && host.front() != '[';
  return "http://" + (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" +
         std::to_string(port);
}

}  // namespace

std::string api_base(const MockApp& app, const Call& call) {
  const auto& o = app.opts;
  return authority(is_wildcard(o.api_host) ? client_host(call, "127.0.0.1") : o.api_host,
                   o.api_port);
}

std::string stream_base(const MockApp& app, const Call& call) {
  const auto& o = app.opts;
  return authority(is_wildcard(o.stream_host) ? client_host(call, "127.0.0.1") : o.stream_host,
                   o.stream_port);
}

}  // namespace kt::mock
