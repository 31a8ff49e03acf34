// kt gateway run — starts the gateway (product-spec §2).
//
// Order of start-up: bind the listeners (so /healthz answers and /readyz says 503), load the
// config (policies compiled, audit store opened), then mark ready. SIGHUP reloads the config
// files (an invalid file keeps the old config); SIGTERM/SIGINT stop accepting, let in-flight
// requests finish up to the drain deadline, flush the audit writer and exit 0.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>

#include <cstdlib>
#include <iostream>
#include <thread>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit/event.h"
#include "cli/command.h"
#include "config/lint.h"
#include "gateway/gateway.h"
#include "server/server.h"

namespace kt::cli {
namespace {

struct RunOptions {
  std::string listen = "0.0.0.0:41002";
  std::vector<std::string> configs;
  std::string fail_mode = "block";
  int max_concurrency = 16;
  int max_queue = -1;
  int queue_timeout_ms = 30000;
  std::string api_token;
  std::string upstream;
  std::string upstream_api_key;
  std::string upstream_api_key_header = "Authorization";
  std::string upstream_api_key_prefix = "Bearer";
  int threads = 0;
  std::string audit_db;  // empty: audit.path, else ./kt-events.db
  std::string log_level = "info";
  std::string log_format = "text";
  std::string gateway_id;
  int drain_seconds = 30;
};

void setup_logging(const RunOptions& o) {
  auto logger = spdlog::stderr_logger_mt("kt");
  if (o.log_format == "json") {
    logger->set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(o.log_level));
  spdlog::set_default_logger(logger);
}

bool split_listen(const std::string& listen, std::string& host, std::uint16_t& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  const std::string p = listen.substr(colon + 1);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// At the drain deadline: shut the reading side of every client connection still open on our
// port, so each request in flight sees its client gone — the pipeline cancels the upstream call
// and records the request's decision event — instead of vanishing with its worker. (The
// listeners are closed by then; upstream connections have other local ports.)
void disconnect_clients(std::uint16_t port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;
  while (const dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
    const int s = static_cast<int>(fd);
    int type = 0;
    int listening = 0;
    socklen_t n = sizeof type;
    if (::getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &n) != 0 || type != SOCK_STREAM) continue;
    n = sizeof listening;
    if (::getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &listening, &n) != 0 || listening) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    std::uint16_t p = 0;
    if (local.ss_family == AF_INET) {
      p = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
    } else if (local.ss_family == AF_INET6) {
      p = ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
    }
    if (p == port) ::shutdown(s, SHUT_RD);
  }
  ::closedir(dir);
}

void print_diagnostics(const gateway::ReloadResult& r) {
  if (!r.read_error.empty()) std::cerr << "error: " << r.read_error << "\n";
  for (const auto& d : r.errors) {
    std::cerr << "error[" << d.code << "]: " << d.message << "\n  --> " << d.path;
    if (d.line > 0) std::cerr << " (line " << d.line << ", column " << d.column << ")";
    std::cerr << "\n";
    if (!d.suggestion.empty()) std::cerr << "  help: " << d.suggestion << "\n";
  }
}

int run(RunOptions o) {
  setup_logging(o);
  std::string host;
  std::uint16_t port = 0;
  if (!split_listen(o.listen, host, port)) {
    std::cerr << "error: --listen must be <host:port>, got '" << o.listen << "'\n";
    return 2;
  }
  if (o.configs.empty()) {
    std::cerr << "error: --policy-config <path> is required\n";
    return 2;
  }
  gateway::GatewayOptions go;
  go.config_files = o.configs;
  go.fail_open = o.fail_mode == "allow";
  go.max_concurrency = o.max_concurrency;
  go.max_queue = o.max_queue >= 0 ? o.max_queue : std::max(64, o.max_concurrency * 4);
  go.queue_timeout = std::chrono::milliseconds(o.queue_timeout_ms);
  go.upstream_url = o.upstream;
  go.upstream_api_key = o.upstream_api_key;
  go.upstream_api_key_header = o.upstream_api_key_header;
  go.upstream_api_key_prefix = o.upstream_api_key_prefix;
  go.audit_db = o.audit_db;
  go.gateway_id = o.gateway_id;
  if (go.gateway_id.empty()) {
    // Stable across restarts, so a restarted gateway continues its own audit chain.
    char hn[256] = {0};
    if (::gethostname(hn, sizeof hn - 1) != 0) std::snprintf(hn, sizeof hn, "kt");
    go.gateway_id = std::string(hn) + ":" + std::to_string(port);
  }
  // Credentials given as flags are scrubbed from events like the credential variables.
  audit::add_known_secret(o.api_token);
  audit::add_known_secret(o.upstream_api_key);
  gateway::Gateway gw(go);

  server::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = o.threads;
  so.api_token = o.api_token;
  server::Server srv(so, gw);
  try {
    srv.start();
  } catch (const std::exception& e) {
    std::cerr << "error: cannot listen on " << o.listen << ": " << e.what() << "\n";
    return 1;
  }
  spdlog::info("kt {} listening on {}:{}", KT_VERSION, host, srv.port());

  const auto loaded = gw.reload();
  if (!loaded.ok) {
    std::cerr << "error: the policy configuration is invalid\n";
    print_diagnostics(loaded);
    srv.stop();
    return 2;
  }
  for (const auto& w : loaded.warnings) spdlog::warn("config {}: {} ({})", w.code, w.message, w.path);
  spdlog::info("config loaded: pack {} v{}; ready", loaded.pack_name, loaded.pack_version);

  boost::asio::io_context control;
  boost::asio::signal_set signals(control, SIGTERM, SIGINT, SIGHUP);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          const auto r = gw.reload();
          if (r.ok) {
            spdlog::info("SIGHUP: config reloaded: pack {} v{}", r.pack_name, r.pack_version);
          } else {
            spdlog::error("SIGHUP: the new config is invalid; keeping the old one");
            print_diagnostics(r);
          }
          signals.async_wait(on_signal);
          return;
        }
        if (stopping) return;
        stopping = true;
        spdlog::info("shutting down: draining in-flight requests");
        srv.begin_drain();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.drain_seconds);
        while (srv.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (srv.in_flight() > 0) {
          spdlog::warn("drain deadline passed with {} requests in flight; disconnecting them",
                       srv.in_flight());
          disconnect_clients(srv.port());
          const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(2);
          while (srv.in_flight() > 0 && std::chrono::steady_clock::now() < grace) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }
        srv.stop();
        gw.shutdown();
        control.stop();
      };
  signals.async_wait(on_signal);
  control.run();
  spdlog::info("stopped");
  return 0;
}

const Command gateway_run_cmd{"gateway", [](CLI::App& g) {
  auto o = std::make_shared<RunOptions>();
  auto* sub = g.add_subcommand("run", "Run the gateway");
  sub->add_option("--listen", o->listen, "Bind address <host:port>")->capture_default_str();
  sub->add_option("--policy-config", o->configs,
                  "Policy config file; repeat to layer files (maps merge, lists replace)")
      ->required();
  sub->add_option("--fail-mode", o->fail_mode, "When a policy itself errors: block or allow")
      ->check(CLI::IsMember({"block", "allow"}))
      ->capture_default_str();
  sub->add_option("--max-concurrency", o->max_concurrency, "Concurrent upstream calls")
      ->envname("KEEPTRUSTS_GATEWAY_MAX_CONCURRENCY")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  sub->add_option("--max-queue", o->max_queue,
                  "Requests that may wait for an upstream slot before 503 (default 4x concurrency, "
                  "at least 64)");
  sub->add_option("--queue-timeout-ms", o->queue_timeout_ms, "Longest wait for an upstream slot")
      ->capture_default_str();
  sub->add_option("--api-token", o->api_token,
                  "Require 'Authorization: Bearer <token>' from clients")
      ->envname("KEEPTRUSTS_GATEWAY_TOKEN");
  sub->add_option("--upstream", o->upstream, "Debug: override every target's base URL")
      ->envname("KEEPTRUSTS_UPSTREAM_URL");
  sub->add_option("--upstream-api-key", o->upstream_api_key, "Debug: override the credential")
      ->envname("KEEPTRUSTS_UPSTREAM_API_KEY");
  sub->add_option("--upstream-api-key-header", o->upstream_api_key_header,
                  "Header that carries the credential")
      ->envname("KEEPTRUSTS_UPSTREAM_API_KEY_HEADER")
      ->capture_default_str();
  sub->add_option("--upstream-api-key-prefix", o->upstream_api_key_prefix,
                  "Prefix of the credential value (may be empty)")
      ->envname("KEEPTRUSTS_UPSTREAM_API_KEY_PREFIX")
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "Worker threads (default: number of cores)");
  sub->add_option("--audit-db", o->audit_db,
                  "SQLite event store (overrides audit.path; default ./kt-events.db)");
  sub->add_option("--log-level", o->log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  sub->add_option("--log-format", o->log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->add_option("--gateway-id", o->gateway_id,
                  "This instance's id in the audit chain (default: host name and pid)")
      ->envname("KT_GATEWAY_ID");
  sub->add_option("--drain-seconds", o->drain_seconds, "Longest wait for in-flight requests on "
                  "SIGTERM")->capture_default_str();
  sub->callback([o] { set_exit_code(run(*o)); });
}};

}  // namespace
}  // namespace kt::cli
