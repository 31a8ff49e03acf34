// test_server.h — tiny in-process servers for the client tests: an accept loop on 127.0.0.1:0
// that hands each connection to a coroutine, and a helper that runs one client coroutine on
// the test's io_context until it finishes.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kt::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

struct ServerState {
  int accepts = 0;
  std::vector<std::string> requests;  // "METHOD target" of each request read
};

using Handler = std::function<asio::awaitable<void>(tcp::socket, ServerState&)>;

inline asio::awaitable<void> accept_loop(tcp::acceptor acceptor, std::shared_ptr<ServerState> state,
                                         Handler handler) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    ++state->accepts;
    asio::co_spawn(acceptor.get_executor(), handler(std::move(socket), *state), asio::detached);
  }
}

// Listens on 127.0.0.1 with an ephemeral port and returns the port.
inline std::uint16_t start_server(asio::io_context& ioc, std::shared_ptr<ServerState> state,
                                  Handler handler) {
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(ioc, accept_loop(std::move(acceptor), std::move(state), std::move(handler)),
                 asio::detached);
  return port;
}

// Reads one request; false at EOF or on error.
template <class Stream>
asio::awaitable<bool> read_request(Stream& stream, beast::flat_buffer& buffer,
                                   beast::http::request<beast::http::string_body>& req,
                                   ServerState& state) {
  req = {};
  auto [ec, n] =
      co_await beast::http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return false;
  state.requests.push_back(std::string(req.method_string()) + " " + std::string(req.target()));
  co_return true;
}

template <class Stream>
asio::awaitable<bool> write_raw(Stream& stream, std::string_view bytes) {
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()),
                                            asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Runs `f` (a callable returning awaitable<T>) on `ioc` until it completes; rethrows.
template <class F>
auto run_on(asio::io_context& ioc, F f) {
  using T = typename decltype(f())::value_type;
  std::exception_ptr error;
  std::optional<T> out;
  asio::co_spawn(ioc, std::move(f), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) out.emplace(std::move(v));
    ioc.stop();
  });
  ioc.restart();
  ioc.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

}  // namespace kt::http::testing
