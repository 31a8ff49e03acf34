// GET /keeptrusts/events — recent decision events as JSON, the dashboard's feed. Filters as
// `kt events tail`: verdict, target, model, reason, since (5m|1h|24h|7d|RFC 3339), limit, after.
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
    auto parsed = boost::urls::parse_query(target.substr(q + 1));
    if (!parsed) {
      error = "the query string is malformed";
      return std::nullopt;
    }
    for (auto p : *parsed) params.emplace_back(p.key.decode(), p.value.decode());
  }
  return audit::filter_from_params(params, audit::now_ms(), error);
}

}  // namespace

asio::awaitable<void> Gateway::events(Request& req, ClientSink& sink) {
  if (req.method != "GET") {
    co_await sink.respond(405, "application/json",
                          api::error_body(api::ErrorKind::method_not_allowed, "use GET"),
                          header("allow", "GET"));
    co_return;
  }
  if (!impl_->store) {
    co_await sink.respond(503, "application/json",
                          api::error_body(api::ErrorKind::unavailable, "no event store is open"));
    co_return;
  }
  std::string error;
  const std::optional<audit::Filter> filter = parse_filter(req.target, error);
  if (!filter) {
    co_await sink.respond(422, "application/json",
                          api::error_body(api::ErrorKind::validation, error));
    co_return;
  }
  const audit::Filter f = *filter;
  // The store takes a mutex and does disk I/O: keep it off the I/O thread.
  auto store = impl_->store;
  auto ex = co_await asio::this_coro::executor;
  auto query = [store, f]() -> asio::awaitable<std::string> {
    co_return json::serialize(audit::events_json(*store, f));
  };
  std::string body = co_await asio::co_spawn(asio::system_executor(), std::move(query),
                                             asio::bind_executor(ex, asio::use_awaitable));
  co_await sink.respond(200, "application/json", std::move(body));
}

}  // namespace kt::gateway
