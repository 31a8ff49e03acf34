// GET /dashboard — the events dashboard (product-spec §7): one self-contained page from the
// binary (observe/dashboard/page.h) that reads /keeptrusts/events. Nothing else lives under
// /dashboard/. The page carries no data and no secret; an api token given as ?token= is read by
// the page's script, which sends it as a Bearer header and removes it from the address bar.
#include <boost/asio.hpp>

#include "api/errors.h"
#include "gateway/gateway.h"
#include "observe/dashboard/page.h"

namespace kt::gateway {

boost::asio::awaitable<void> Gateway::dashboard(Request& req, ClientSink& sink) {
  if (req.path != "/dashboard") {
    co_await sink.respond(404, "application/json",
                          api::error_body(api::ErrorKind::not_found,
                                          "no route for " + std::string(req.path) +
                                              " (the dashboard is at /dashboard)"));
    co_return;
  }
  // Headers are built before co_await: GCC 12 rejects braced string literals in its operand.
  if (req.method != "GET") {
    Headers allow;
    allow.emplace_back("allow", "GET");
    co_await sink.respond(405, "application/json",
                          api::error_body(api::ErrorKind::method_not_allowed, "use GET"),
                          std::move(allow));
    co_return;
  }
  namespace page = observe::dashboard;
  Headers headers;
  headers.emplace_back("content-security-policy", page::content_security_policy());
  headers.emplace_back("cache-control", "no-store");
  headers.emplace_back("referrer-policy", "no-referrer");
  headers.emplace_back("x-content-type-options", "nosniff");
  headers.emplace_back("x-frame-options", "DENY");
  co_await sink.respond(200, "text/html; charset=utf-8", std::string(page::page()),
                        std::move(headers));
}

}  // namespace kt::gateway
