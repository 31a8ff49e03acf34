#include "gateway/gateway.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include <cstdlib>
#include <ctime>

#include "api/errors.h"
#include "audit/open.h"
#include "audit/postgres_store.h"
#include "audit/sqlite_store.h"
#include "config/config_json.h"
#include "config/loader.h"
#include "gateway/gateway_impl.h"
#include "observe/metrics.h"

namespace kt::gateway {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;

namespace {

std::string default_gateway_id() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "kt");
  return std::string(host) + "-" + std::to_string(::getpid());
}

awaitable<void> respond_error(ClientSink& sink, api::ErrorKind kind, std::string_view message,
                              Headers extra = {}) {
  const auto info = api::error_info(kind);
  co_await sink.respond(info.status, "application/json", api::error_body(kind, message),
                        std::move(extra));
}

std::string reload_ok_body(const ReloadResult& r) {
  json::object pack;
  pack["name"] = r.pack_name;
  pack["version"] = r.pack_version;
  json::object out;
  out["status"] = "reloaded";
  out["pack"] = std::move(pack);
  return json::serialize(out);
}

// 422 with the lint errors; the old config stays active.
std::string reload_error_body(const ReloadResult& r) {
  json::array errors;
  for (const auto& d : r.errors) {
    errors.push_back(json::object{{"code", d.code}, {"path", d.path}, {"line", d.line},
                                  {"column", d.column}, {"message", d.message},
                                  {"suggestion", d.suggestion}});
  }
  json::object err{{"message", r.read_error.empty()
                                   ? "the new configuration is invalid; the old one stays active"
                                   : r.read_error},
                   {"type", "validation_error"},
                   {"code", "invalid_config"},
                   {"param", nullptr},
                   {"details", errors}};
  return json::serialize(json::object{{"error", err}});
}

}  // namespace

Gateway::Gateway(GatewayOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {
  if (impl_->opts.gateway_id.empty()) impl_->opts.gateway_id = default_gateway_id();
}

Gateway::~Gateway() { shutdown(); }

std::shared_ptr<const Runtime> Gateway::runtime() const {
  struct Cache {
    const Impl* owner = nullptr;
    std::uint64_t gen = ~0ull;
    std::shared_ptr<const Runtime> rt;
  };
  thread_local Cache cache;
  const std::uint64_t gen = impl_->generation.load(std::memory_order_acquire);
  if (cache.owner != impl_.get() || cache.gen != gen) {
    std::lock_guard lock(impl_->rt_mu);
    cache.owner = impl_.get();
    cache.gen = impl_->generation.load(std::memory_order_relaxed);
    cache.rt = impl_->rt;
  }
  return cache.rt;
}

bool Gateway::ready() const { return impl_->generation.load(std::memory_order_acquire) > 0; }

ReloadResult Gateway::reload() {
  std::lock_guard reload_lock(impl_->reload_mu);
  ReloadResult out;
  auto loaded = config::load_config(impl_->opts.config_files);
  out.errors = std::move(loaded.errors);
  out.warnings = std::move(loaded.warnings);
  out.read_error = std::move(loaded.read_error);
  if (!loaded.ok()) return out;

  auto rt = std::make_shared<Runtime>();
  rt->config = loaded.config;
  const auto& cfg = *rt->config;
  try {
    rt->chain = std::make_unique<policies::PolicyChain>(cfg);
  } catch (const std::exception& e) {
    out.errors.push_back({"E004", "policy", std::string("policy chain could not be built: ") +
                          e.what(), "", cfg.files.empty() ? "" : cfg.files.front(), 0, 0});
    return out;
  }
  rt->router = std::make_unique<routing::Router>(cfg, impl_->target_states);
  for (const auto& t : cfg.providers.targets) {
    if (!t.secret_env.empty()) {
      if (const char* v = std::getenv(t.secret_env.c_str()); v && *v) rt->credentials[t.id] = v;
    }
  }
  rt->loaded_at = static_cast<std::int64_t>(std::time(nullptr));

  // The audit store is opened with the first config; later reloads keep it (changing the store
  // needs a restart, so one gateway's chain never spans two stores).
  if (!impl_->store) {
    try {
      if (cfg.audit.store == "postgres") {
        impl_->store = audit::open_postgres_store(cfg.audit.url_env, cfg.audit.durability != "async");
      } else {
        audit::SqliteOptions so;
        so.path = audit::location_from_config(cfg.audit, impl_->opts.audit_db).path;
        so.immutable = !cfg.policies.audit_logger || cfg.policies.audit_logger->immutable;
        so.fsync = cfg.audit.durability == "fsync";
        impl_->store = std::make_shared<audit::SqliteStore>(so);
      }
      audit::WriterOptions wo;
      wo.gateway_id = impl_->opts.gateway_id;
      wo.sync = cfg.audit.durability != "async";  // sync and fsync wait for the commit
      wo.retention_days =
          cfg.policies.audit_logger ? cfg.policies.audit_logger->retention_days : 365;
      impl_->writer = std::make_unique<audit::AuditWriter>(impl_->store, wo);
    } catch (const std::exception& e) {
      impl_->store.reset();
      out.errors.push_back({"E004", "audit", std::string("audit store could not be opened: ") +
                            e.what(), "", cfg.files.empty() ? "" : cfg.files.front(), 0, 0});
      return out;
    }
  }
  impl_->audit_settings = cfg.policies.audit_logger.value_or(config::AuditLoggerSettings{});
  impl_->content_none = cfg.audit.content == "none";
  {
    std::lock_guard lock(impl_->rt_mu);
    impl_->rt = rt;
    impl_->generation.fetch_add(1, std::memory_order_acq_rel);
  }
  out.ok = true;
  out.pack_name = cfg.pack.name;
  out.pack_version = cfg.pack.version;
  return out;
}

void Gateway::shutdown() {
  if (impl_->writer) impl_->writer->stop();
}

json::object Gateway::health(std::chrono::steady_clock::duration uptime) const {
  json::object h;
  auto rt = runtime();
  json::object providers;
  int reachable = 0, total = 0;
  if (rt) {
    for (const auto& e : rt->router->entries()) {
      ++total;
      std::string state = "reachable";
      if (!e.target->secret_env.empty() && !rt->credentials.count(e.target->id)) {
        state = "unavailable";
      } else if (e.state->breaker.state() == routing::CircuitBreaker::State::open) {
        state = "open_circuit";
      } else {
        ++reachable;
      }
      providers[e.target->id] = state;
    }
  }
  const char* status = !rt                  ? "unhealthy"
                       : reachable == total ? "healthy"
                       : reachable == 0     ? "unhealthy"
                                            : "degraded";
  h["status"] = status;
  h["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(uptime).count();
  h["version"] = KT_VERSION;
  h["providers"] = std::move(providers);
  h["policies_loaded"] = rt ? static_cast<std::int64_t>(rt->config->policies.chain.size()) : 0;
  h["requests_processed"] = impl_->requests_processed.load(std::memory_order_relaxed);
  if (rt) {
    h["pack"] = json::object{{"name", rt->config->pack.name},
                             {"version", rt->config->pack.version},
                             {"enabled", rt->config->pack.enabled}};
  }
  return h;
}

std::string Gateway::extra_metrics() const {
  std::string out;
  out += "# HELP keeptrusts_gateway_circuit_state Circuit breaker state per target "
         "(0 closed, 1 half-open, 2 open).\n# TYPE keeptrusts_gateway_circuit_state gauge\n";
  if (auto rt = runtime()) {
    for (const auto& e : rt->router->entries()) {
      const auto s = e.state->breaker.state();
      const int v = s == routing::CircuitBreaker::State::closed      ? 0
                    : s == routing::CircuitBreaker::State::half_open ? 1
                                                                     : 2;
      out += "keeptrusts_gateway_circuit_state{" + observe::labels({{"target", e.target->id}}) +
             "} " + std::to_string(v) + "\n";
    }
  }
  out += "# HELP keeptrusts_gateway_upstream_in_flight Upstream calls in progress.\n"
         "# TYPE keeptrusts_gateway_upstream_in_flight gauge\n";
  out += "keeptrusts_gateway_upstream_in_flight " + std::to_string(impl_->limiter.active()) + "\n";
  out += "# HELP keeptrusts_gateway_upstream_queued Requests waiting for an upstream slot.\n"
         "# TYPE keeptrusts_gateway_upstream_queued gauge\n";
  out += "keeptrusts_gateway_upstream_queued " + std::to_string(impl_->limiter.queued()) + "\n";
  if (impl_->writer) {
    const auto st = impl_->writer->stats();
    out += "# HELP keeptrusts_gateway_audit_events_total Audit events by outcome.\n"
           "# TYPE keeptrusts_gateway_audit_events_total counter\n";
    out += "keeptrusts_gateway_audit_events_total{outcome=\"committed\"} " +
           std::to_string(st.committed) + "\n";
    out += "keeptrusts_gateway_audit_events_total{outcome=\"failed\"} " +
           std::to_string(st.failed) + "\n";
    out += "keeptrusts_gateway_audit_events_total{outcome=\"rejected\"} " +
           std::to_string(st.rejected) + "\n";
  }
  return out;
}

awaitable<void> Gateway::handle(Request& req, ClientSink& sink) {
  const std::string_view path = req.path;
  const bool is_post = req.method == "POST";
  const bool is_get = req.method == "GET" || req.method == "HEAD";
  auto rt = runtime();

  struct ApiRoute {
    std::string_view path;
    Route route;
  };
  static constexpr ApiRoute kApi[] = {
      {"/v1/chat/completions", Route::chat_completions},
      {"/v1/completions", Route::completions},
      {"/v1/embeddings", Route::embeddings},
      {"/v1/images/generations", Route::images_generations},
  };
  for (const auto& r : kApi) {
    if (path != r.path) continue;
    if (!is_post) {
      std::string message = "method " + std::string(req.method) + " is not allowed on " + std::string(path) + "; use POST";
      co_await respond_error(sink, api::ErrorKind::method_not_allowed, std::move(message), header("allow", "POST"));
      co_return;
    }
    if (!rt) {
      co_await respond_error(sink, api::ErrorKind::unavailable,
                             "the gateway is starting: no configuration is loaded yet",
                             header("retry-after", "1"));
      co_return;
    }
    co_await pipeline(r.route, req, sink, std::move(rt));
    co_return;
  }
  if (path == "/v1/models" || path.starts_with("/v1/models/")) {
    if (!is_get) {
      std::string message = "method " + std::string(req.method) + " is not allowed on " + std::string(path) + "; use GET";
      co_await respond_error(sink, api::ErrorKind::method_not_allowed, std::move(message), header("allow", "GET"));
      co_return;
    }
    if (!rt) {
      co_await respond_error(sink, api::ErrorKind::unavailable, "no configuration is loaded yet");
      co_return;
    }
    co_await models(req, sink, rt);
    co_return;
  }
  if (path.starts_with("/keeptrusts/") || path == "/dashboard" || path.starts_with("/dashboard/")) {
    co_await admin(req, sink, rt);
    co_return;
  }
  std::string message = "no route for " + std::string(req.method) + " " + std::string(path);
  co_await respond_error(sink, api::ErrorKind::not_found, std::move(message));
}

awaitable<void> Gateway::models(Request& req, ClientSink& sink,
                                const std::shared_ptr<const Runtime>& rt) {
  auto model_json = [&](const std::string& id) {
    std::string owner = "kt";
    for (const auto& e : rt->router->entries()) {
      if (e.target->model == id) {
        owner = e.target->provider;
        break;
      }
    }
    return json::object{{"id", id}, {"object", "model"}, {"created", rt->loaded_at},
                        {"owned_by", owner}};
  };
  const auto served = rt->router->served_models();
  if (req.path == "/v1/models") {
    json::array data;
    for (const auto& m : served) data.push_back(model_json(m));
    json::object list;
    list["object"] = "list";
    list["data"] = std::move(data);
    co_await sink.respond(200, "application/json", json::serialize(list));
    co_return;
  }
  const std::string id(req.path.substr(std::string_view("/v1/models/").size()));
  for (const auto& m : served) {
    if (m == id) {
      co_await sink.respond(200, "application/json", json::serialize(model_json(m)));
      co_return;
    }
  }
  std::string message = "The model '" + id + "' is not served by this gateway";
  co_await respond_error(sink, api::ErrorKind::model_not_found, std::move(message));
}

awaitable<void> Gateway::admin(Request& req, ClientSink& sink,
                               const std::shared_ptr<const Runtime>& rt) {
  const std::string_view path = req.path;
  if (path == "/keeptrusts/config") {
    if (req.method != "GET") {
      co_await respond_error(sink, api::ErrorKind::method_not_allowed, "use GET",
                             header("allow", "GET"));
      co_return;
    }
    if (!rt) {
      co_await respond_error(sink, api::ErrorKind::unavailable, "no configuration is loaded yet");
      co_return;
    }
    co_await sink.respond(200, "application/json",
                          json::serialize(config::config_to_json(*rt->config)));
    co_return;
  }
  if (path == "/keeptrusts/config/reload") {
    if (req.method != "POST") {
      co_await respond_error(sink, api::ErrorKind::method_not_allowed, "use POST",
                             header("allow", "POST"));
      co_return;
    }
    // Compiling a config (Hyperscan databases) takes milliseconds: do it off the I/O thread.
    auto ex = co_await asio::this_coro::executor;
    ReloadResult r = co_await asio::co_spawn(
        asio::system_executor(), [this]() -> awaitable<ReloadResult> { co_return reload(); },
        asio::bind_executor(ex, asio::use_awaitable));
    if (r.ok) {
      spdlog::info("config reloaded: {} v{}", r.pack_name, r.pack_version);
      co_await sink.respond(200, "application/json", reload_ok_body(r));
      co_return;
    }
    co_await sink.respond(422, "application/json", reload_error_body(r));
    co_return;
  }
  if (path == "/keeptrusts/events") {
    co_await events(req, sink);
    co_return;
  }
  if (path == "/dashboard" || path.starts_with("/dashboard/")) {
    co_await dashboard(req, sink);
    co_return;
  }
  std::string message = "no route for " + std::string(req.method) + " " + std::string(path);
  co_await respond_error(sink, api::ErrorKind::not_found, std::move(message));
}

}  // namespace kt::gateway
