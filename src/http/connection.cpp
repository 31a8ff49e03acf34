#include "http/connection.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/errors.h"

namespace kt::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);

// Puts the host name into SNI and into the certificate check (an IP literal is checked against
// the certificate's IP addresses instead and is never sent as SNI).
bool configure_peer_check(SSL* ssl, const std::string& host, bool is_ip) {
  if (is_ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
}

asio::awaitable<tcp::resolver::results_type> resolve(const Target& t, Clock::time_point deadline,
                                                     ClientError& err) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  asio::steady_timer timer(ex, deadline);
  // getaddrinfo has no deadline of its own, so race it against a timer.
  auto outcome = co_await (resolver.async_resolve(t.host, t.port, kTok) || timer.async_wait(kTok));
  if (outcome.index() == 1) {
    if (std::get<0>(std::get<1>(outcome)) == asio::error::operation_aborted) {
      err = describe_failure(asio::error::operation_aborted, Phase::connect, t);
    } else {
      err = describe_failure(beast::error::timeout, Phase::connect, t);
    }
    co_return tcp::resolver::results_type();
  }
  auto [ec, results] = std::get<0>(std::move(outcome));
  if (ec) {
    err = describe_failure(ec, Phase::connect, t);
    if (ec != asio::error::operation_aborted) err.message += " (name resolution)";
  }
  co_return results;
}

}  // namespace

Connection::Connection(const asio::any_io_executor& ex, asio::ssl::context* tls_context,
                       std::string_view pool_key)
    : pool_key_(pool_key) {
  if (tls_context) {
    tls_.emplace(ex, *tls_context);
  } else {
    plain_.emplace(ex);
  }
}

void Connection::expire_at(Clock::time_point t) {
  if (t == Clock::time_point::max()) {
    socket().expires_never();
  } else {
    socket().expires_at(t);
  }
}

asio::awaitable<std::unique_ptr<Connection>> open_connection(const Target& t,
                                                             asio::ssl::context* tls_context,
                                                             std::string_view pool_key,
                                                             Clock::time_point deadline,
                                                             ClientError& err) {
  auto ex = co_await asio::this_coro::executor;
  auto conn = std::make_unique<Connection>(ex, tls_context, pool_key);
  const std::string host(t.host);
  boost::system::error_code addr_ec;
  const auto address = asio::ip::make_address(host, addr_ec);
  const bool is_ip = !addr_ec;

  conn->expire_at(deadline);
  boost::system::error_code ec;
  if (is_ip) {
    const tcp::endpoint endpoint(address, t.port_number);
    std::tie(ec) = co_await conn->socket().async_connect(endpoint, kTok);
  } else {
    auto endpoints = co_await resolve(t, deadline, err);
    if (err) co_return nullptr;
    std::tie(ec, std::ignore) = co_await conn->socket().async_connect(endpoints, kTok);
  }
  if (ec) {
    err = describe_failure(ec, Phase::connect, t);
    co_return nullptr;
  }
  conn->socket().socket().set_option(tcp::no_delay(true), ec);

  if (auto* tls = conn->tls()) {
    if (!configure_peer_check(tls->native_handle(), host, is_ip)) {
      err = ClientError{FailKind::tls, "upstream " + std::string(t.host_header) +
                                           ": cannot set up TLS peer verification"};
      co_return nullptr;
    }
    std::tie(ec) = co_await tls->async_handshake(asio::ssl::stream_base::client, kTok);
    if (ec) {
      err = describe_failure(ec, Phase::tls, t);
      const long verify = SSL_get_verify_result(tls->native_handle());
      if (err.kind == FailKind::tls && verify != X509_V_OK) {
        err.message = "upstream " + std::string(t.host_header) +
                      ": TLS certificate verification failed (" +
                      X509_verify_cert_error_string(verify) + ")";
      }
      co_return nullptr;
    }
  }
  co_return conn;
}

}  // namespace kt::http
