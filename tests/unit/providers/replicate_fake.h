// replicate_fake.h — a scripted in-process stand-in for the Replicate API, for driving the
// provider over real sockets: every request is recorded and answered by a test-supplied
// function; a reply can be an SSE stream whose pieces are written with delays (chunked).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace kt::providers::replicate::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

struct Seen {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct Reply {
  Reply() = default;
  Reply(int status_code, std::string text, std::string type = "application/json",
        std::vector<std::pair<std::string, std::string>> extra = {})
      : status(status_code), body(std::move(text)), content_type(std::move(type)),
        headers(std::move(extra)) {}
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is an event stream written piece by piece, each after its delay.
  std::optional<std::vector<std::pair<std::chrono::milliseconds, std::string>>> sse;
};

struct FakeState {
  std::vector<Seen> seen;
  std::function<Reply(const Seen&)> handler;
  int count(std::string_view method, std::string_view target_prefix) const {
    int n = 0;
    for (const auto& s : seen) {
      if (s.method == method && s.target.rfind(target_prefix, 0) == 0) ++n;
    }
    return n;
  }
};

inline asio::awaitable<void> sleep_ms(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

inline asio::awaitable<bool> write_all(tcp::socket& socket, std::string bytes) {
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes),
                                            asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

inline asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<FakeState> state) {
  beast::flat_buffer buffer;
  for (;;) {
    beast::http::request<beast::http::string_body> req;
    auto [ec, n] = co_await beast::http::async_read(socket, buffer, req,
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    Seen seen{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      seen.headers[name] = std::string(f.value());
    }
    state->seen.push_back(seen);
    Reply reply = state->handler(seen);
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: " +
                       (reply.sse ? std::string("text/event-stream") : reply.content_type) + "\r\n";
    for (const auto& [k, v] : reply.headers) head += k + ": " + v + "\r\n";
    if (!reply.sse) {
      head += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
      if (!co_await write_all(socket, std::move(head))) co_return;
      continue;
    }
    head += "Transfer-Encoding: chunked\r\n\r\n";
    if (!co_await write_all(socket, std::move(head))) co_return;
    for (const auto& [delay, piece] : *reply.sse) {
      co_await sleep_ms(delay);
      std::ostringstream chunk;
      chunk << std::hex << piece.size() << "\r\n" << piece << "\r\n";
      if (!co_await write_all(socket, chunk.str())) co_return;
    }
    if (!co_await write_all(socket, "0\r\n\r\n")) co_return;
  }
}

inline asio::awaitable<void> accept_loop(tcp::acceptor acceptor, std::shared_ptr<FakeState> state) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), state), asio::detached);
  }
}

// Listens on 127.0.0.1:<ephemeral> and returns the port.
inline std::uint16_t start_fake(asio::io_context& ioc, std::shared_ptr<FakeState> state) {
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(ioc, accept_loop(std::move(acceptor), std::move(state)), asio::detached);
  return port;
}

// Runs `f` (returning awaitable<T>) on `ioc` until it completes; rethrows its exception.
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

}  // namespace kt::providers::replicate::testing
