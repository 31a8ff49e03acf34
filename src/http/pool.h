// pool.h — idle keep-alive connections per origin, and the TLS contexts (system trust store, or
// one per private CA file), owned by one io_context as an Asio service: when the io_context is
// destroyed its pooled sockets are closed with it. Single-threaded like the io_context's thread.
#pragma once

#include <boost/asio/execution_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/connection.h"

namespace kt::http {

class ConnectionPool : public boost::asio::execution_context::service {
 public:
  // As many idle connections per origin as nginx keeps in bench/nginx.conf (keepalive 256), so a
  // burst of concurrent streams does not reconnect on every round.
  static constexpr std::size_t kMaxIdlePerOrigin = 256;
  static constexpr std::chrono::seconds kIdleExpiry{60};

  static boost::asio::execution_context::id id;

  // The pool of `ctx`, found through a per-thread cache so the hot path takes no lock (Asio's
  // service registry does). The cache is cleared when the pool's io_context is destroyed.
  static ConnectionPool& of(boost::asio::execution_context& ctx);
  // The pool this thread used last (null before the first request), for idle counts.
  static ConnectionPool* last_used_on_this_thread();

  explicit ConnectionPool(boost::asio::execution_context& owner);
  ~ConnectionPool() override;

  // The most recently returned live connection for `key`, or null. Expired ones are closed.
  std::unique_ptr<Connection> checkout(std::string_view key, Clock::time_point now);
  // Keeps a connection whose response was read to its end and that both sides keep alive.
  void checkin(std::unique_ptr<Connection> conn, Clock::time_point now);
  std::size_t idle() const { return idle_count_; }

  // The verifying TLS client context for `ca_file` ("" = system trust store), created once.
  // Null with `error` set when the CA file cannot be loaded.
  boost::asio::ssl::context* tls_context(const std::string& ca_file, std::string& error);

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using IdleList = std::vector<std::unique_ptr<Connection>>;  // oldest first

  void shutdown() override;
  void drop_expired(IdleList& list, Clock::time_point now);

  std::unordered_map<std::string, IdleList, KeyHash, std::equal_to<>> idle_;
  std::size_t idle_count_ = 0;
  std::unordered_map<std::string, std::unique_ptr<boost::asio::ssl::context>> tls_contexts_;
};

}  // namespace kt::http
