#include "http/pool.h"

#include <openssl/ssl.h>

namespace kt::http {

boost::asio::execution_context::id ConnectionPool::id;

namespace {

// Trivially destructible, so it is safe to touch even while thread_locals are torn down.
struct PoolCache {
  boost::asio::execution_context* ctx = nullptr;
  ConnectionPool* pool = nullptr;
};
thread_local PoolCache tl_cache;

}  // namespace

ConnectionPool& ConnectionPool::of(boost::asio::execution_context& ctx) {
  if (tl_cache.ctx != &ctx) {
    tl_cache.pool = &boost::asio::use_service<ConnectionPool>(ctx);
    tl_cache.ctx = &ctx;
  }
  return *tl_cache.pool;
}

ConnectionPool* ConnectionPool::last_used_on_this_thread() { return tl_cache.pool; }

ConnectionPool::ConnectionPool(boost::asio::execution_context& owner)
    : boost::asio::execution_context::service(owner) {}

ConnectionPool::~ConnectionPool() {
  // An io_context is destroyed by the thread that ran it (kt's servers and the tests), so this
  // thread's cache is the one that may point here.
  if (tl_cache.pool == this) tl_cache = PoolCache();
}

void ConnectionPool::shutdown() {
  // Close the sockets while the io_context's services still exist.
  idle_.clear();
  idle_count_ = 0;
}

void ConnectionPool::drop_expired(IdleList& list, Clock::time_point now) {
  std::size_t expired = 0;
  while (expired < list.size() && now - list[expired]->idle_since >= kIdleExpiry) ++expired;
  if (expired == 0) return;
  list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(expired));
  idle_count_ -= expired;
}

std::unique_ptr<Connection> ConnectionPool::checkout(std::string_view key, Clock::time_point now) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  IdleList& list = it->second;
  drop_expired(list, now);
  if (list.empty()) return nullptr;
  std::unique_ptr<Connection> conn = std::move(list.back());
  list.pop_back();
  --idle_count_;
  conn->reused = true;
  return conn;
}

void ConnectionPool::checkin(std::unique_ptr<Connection> conn, Clock::time_point now) {
  auto it = idle_.find(conn->pool_key());
  if (it == idle_.end()) it = idle_.emplace(conn->pool_key(), IdleList()).first;
  IdleList& list = it->second;
  drop_expired(list, now);
  if (list.size() >= kMaxIdlePerOrigin) {
    list.erase(list.begin());
    --idle_count_;
  }
  conn->idle_since = now;
  conn->socket().expires_never();
  list.push_back(std::move(conn));
  ++idle_count_;
}

boost::asio::ssl::context* ConnectionPool::tls_context(const std::string& ca_file,
                                                       std::string& error) {
  auto it = tls_contexts_.find(ca_file);
  if (it != tls_contexts_.end()) return it->second.get();
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) error = "cannot load the system trust store: " + ec.message();
  } else {
    ctx->load_verify_file(ca_file, ec);
    if (ec) error = "cannot load ca_file " + ca_file + ": " + ec.message();
  }
  if (ec) return nullptr;
  return tls_contexts_.emplace(ca_file, std::move(ctx)).first->second.get();
}

}  // namespace kt::http
