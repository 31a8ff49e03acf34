// gateway.h — the gateway behind the HTTP server: holds the active runtime (config, policy chain,
// router, credentials), runs the request pipeline (pipeline.cpp) and answers the model and admin
// routes. A reload builds a complete new Runtime and publishes it; every request takes the
// runtime current when it starts and keeps it to its end (hot reload never tears a request).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/diagnostic.h"
#include "gateway/client_sink.h"
#include "gateway/exchange.h"
#include "gateway/request.h"

namespace kt::gateway {

struct GatewayOptions {
  std::vector<std::string> config_files;
  bool fail_open = false;               // --fail-mode allow
  int max_concurrency = 16;
  int max_queue = 64;
  std::chrono::milliseconds queue_timeout{30000};
  std::string upstream_url;             // --upstream: every target's base_url
  std::string upstream_api_key;         // --upstream-api-key
  std::string upstream_api_key_header = "Authorization";
  std::string upstream_api_key_prefix = "Bearer";
  std::string audit_db;  // --audit-db: overrides audit.path when not empty
  std::string gateway_id;               // "" = derived from host name and listen address
};

struct ReloadResult {
  bool ok = false;
  std::string pack_name, pack_version;
  std::vector<config::Diagnostic> errors, warnings;
  std::string read_error;
};

struct Runtime;

class Gateway {
 public:
  explicit Gateway(GatewayOptions opts);
  ~Gateway();

  // (Re)loads the config files; on success the new runtime is published atomically.
  ReloadResult reload();
  bool ready() const;

  // POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/images/generations,
  // GET /v1/models[/{id}], /keeptrusts/*, /dashboard. Answers 404/405 for anything else.
  boost::asio::awaitable<void> handle(Request& req, ClientSink& sink);

  boost::json::object health(std::chrono::steady_clock::duration uptime) const;
  std::string extra_metrics() const;   // gauges that are not per-thread (circuit states, limiter)
  void shutdown();                     // flushes and stops the audit writer

  std::shared_ptr<const Runtime> runtime() const;

 private:
  boost::asio::awaitable<void> pipeline(Route route, Request& req, ClientSink& sink,
                                        std::shared_ptr<const Runtime> rt);
  boost::asio::awaitable<void> models(Request& req, ClientSink& sink,
                                      const std::shared_ptr<const Runtime>& rt);
  boost::asio::awaitable<void> admin(Request& req, ClientSink& sink,
                                     const std::shared_ptr<const Runtime>& rt);
  boost::asio::awaitable<void> events(Request& req, ClientSink& sink);      // events.cpp
  boost::asio::awaitable<void> dashboard(Request& req, ClientSink& sink);   // dashboard.cpp

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kt::gateway
