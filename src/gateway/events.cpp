// GET /keeptrusts/events — recent decision events as JSON, the dashboard's feed. Filters as
// `kt events tail`: verdict, target, model, reason, since and until (30s|5m|1h|7d or RFC 3339;
// until is exclusive), limit (newest first, at most 1000).
#include <boost/asio.hpp>
#include <boost/url.hpp>

#include "api/errors.h"
#include "audit/query.h"
#include "audit/time_format.h"
#include "gateway/gateway.h"
#include "gateway/gateway_impl.h"

namespace kt::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The query string's filters (decoded), or nullopt with `error` naming the bad parameter.
// A plain function: GCC 12 mishandles some temporaries inside coroutines.
std::optional<audit::Filter> parse_filter(std::string_view target, std::string& error) {
  std::vector<std::pair<std::string, std::string>> params;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    // A NUL-terminated copy: Boost.URL 1.81's parse_query runs strlen on its argument even when
    // given an explicit length (ASan: heap overflow reading past the request target).
    const std::string query(target.substr(q + 1));
    auto parsed = boost::urls::parse_query(boost::core::string_view(query.data(), query.size()));
    if (!parsed) {
      error = "the query string is malformed";
      return std::nullopt;
    }
    for (auto p : *parsed) params.emplace_back(p.key.decode(), p.value.decode());
  }
  return audit::filter_from_params(params, audit::now_ms(), error);
}

// The whole answer of GET /keeptrusts/events: status and JSON body.
std::string events_response(audit::EventStore* store, std::string_view method,
                            std::string_view target, int& status) {
  if (method != "GET") {
    status = 405;
    return api::error_body(api::ErrorKind::method_not_allowed, "use GET");
  }
  if (!store) {
    status = 503;
    return api::error_body(api::ErrorKind::unavailable, "no event store is open");
  }
  std::string error;
  const std::optional<audit::Filter> filter = parse_filter(target, error);
  if (!filter) {
    status = 422;
    return api::error_body(api::ErrorKind::validation, error);
  }
  try {
    status = 200;
    return json::serialize(audit::events_json(*store, *filter));
  } catch (const std::exception& e) {
    status = 503;
    return api::error_body(api::ErrorKind::unavailable,
                           std::string("the event store failed: ") + e.what());
  }
}

}  // namespace

asio::awaitable<void> Gateway::events(Request& req, ClientSink& sink) {
  // Built in a plain function and sent with named locals: GCC 12 miscompiles several temporaries
  // and lambdas inside coroutines. The query is bounded (limit <= 1000 rows) and indexed, so it
  // runs on the I/O thread.
  int status = 200;
  std::string body = events_response(impl_->store.get(), req.method, req.target, status);
  Headers extra;
  if (status == 405) extra = header("allow", "GET");
  co_await sink.respond(status, "application/json", std::move(body), std::move(extra));
}

}  // namespace kt::gateway
