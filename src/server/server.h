// server.h — the HTTP/1.1 front end: one io_context and one SO_REUSEPORT listener per worker
// thread, keep-alive connections with size limits and read/idle deadlines, the infrastructure
// routes (/healthz, /readyz, /health, /metrics) and dispatch of everything else to the Gateway.
//
// Lifecycle: start() binds and runs the workers; begin_drain() stops accepting and closes idle
// connections while in-flight requests finish; stop() ends the workers. Thread-safe as noted.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "observe/metrics.h"

namespace kt::gateway {
class Gateway;
class ClientSink;
struct Request;
}  // namespace kt::gateway

namespace kt::server {

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 41002;
  int threads = 0;                                    // 0 = number of cores
  std::string api_token;                              // empty = no gateway token required
  std::size_t body_limit = 10 * 1024 * 1024;          // 413 beyond
  std::size_t header_limit = 16 * 1024;               // 431 beyond
  std::chrono::milliseconds header_timeout{15000};    // whole request head must arrive in time
  std::chrono::milliseconds body_timeout{60000};      // whole body must arrive in time
  std::chrono::milliseconds idle_timeout{75000};      // keep-alive connection without a request
  std::chrono::milliseconds write_timeout{60000};     // one write to a slow client
};

class Server {
 public:
  Server(ServerOptions opts, gateway::Gateway& gw);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();                       // throws std::system_error when it cannot bind
  std::uint16_t port() const;         // the bound port (useful with port 0)
  void begin_drain();                 // any thread
  std::int64_t in_flight() const;     // any thread
  void stop();                        // any thread; joins the workers

  struct Worker;

 private:
  boost::asio::awaitable<void> accept_loop(Worker& w);
  boost::asio::awaitable<void> session(Worker& w, boost::asio::ip::tcp::socket sock);
  boost::asio::awaitable<std::string> scrape();
  boost::asio::awaitable<void> dispatch(gateway::Request& req, gateway::ClientSink& sink);

  ServerOptions opts_;
  gateway::Gateway& gw_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint16_t bound_port_ = 0;
  std::atomic<bool> draining_{false};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace kt::server
