// UpstreamClient against in-process servers on 127.0.0.1: keep-alive reuse, the stale
// connection retry, body framing, streaming delivery, every failure kind, and cancellation.
#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "http/client.h"
#include "test_server.h"

namespace kt::http {
namespace {

using namespace std::chrono_literals;
using namespace kt::http::testing;
using namespace boost::asio::experimental::awaitable_operators;
namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;

Deadlines within(std::chrono::milliseconds total) {
  Deadlines dl;
  dl.total = Clock::now() + total;
  return dl;
}

ClientRequest get(std::uint16_t port, std::string path = "/") {
  ClientRequest req;
  req.method = "GET";
  req.url = "http://127.0.0.1:" + std::to_string(port) + path;
  return req;
}

std::string ok_response(std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + std::string(extra_headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// Answers every request on a connection with "hello <n>" and keeps the connection open.
Handler keep_alive_server() {
  return [](tcp::socket socket, ServerState& state) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    Request req;
    while (co_await read_request(socket, buffer, req, state)) {
      if (!co_await write_raw(socket,
                              ok_response("hello " + std::to_string(state.requests.size()))))
        co_return;
    }
  };
}

// Reads the request and then says nothing (the connection stays open).
asio::awaitable<void> hang(tcp::socket& socket, ServerState& state) {
  beast::flat_buffer buffer;
  Request req;
  if (!co_await read_request(socket, buffer, req, state)) co_return;
  co_await sleep_for(60s);
}

// Answers "/after" with "after", and any other target with an SSE head and the chunk `first`,
// then lets `rest` write the rest of the body (its end included).
using RestOfBody = std::function<asio::awaitable<void>(tcp::socket&, const Request&)>;

asio::awaitable<void> serve_sse(tcp::socket socket, ServerState& state, std::string first,
                                RestOfBody rest) {
  beast::flat_buffer buffer;
  Request req;
  while (co_await read_request(socket, buffer, req, state)) {
    if (req.target() == "/after") {
      co_await write_raw(socket, ok_response("after"));
      continue;
    }
    co_await write_raw(socket,
                       "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n" +
                           first);
    co_await rest(socket, req);
  }
}

Handler sse_server(std::string first, RestOfBody rest) {
  return [first = std::move(first), rest = std::move(rest)](tcp::socket socket,
                                                            ServerState& state) {
    return serve_sse(std::move(socket), state, first, rest);
  };
}

class ClientTest : public ::testing::Test {
 protected:
  UpstreamClient& client = UpstreamClient::for_this_thread();
  asio::io_context ioc;
  std::shared_ptr<ServerState> state = std::make_shared<ServerState>();
};

TEST_F(ClientTest, KeepAliveReusesOneConnection) {
  const auto port = start_server(ioc, state, keep_alive_server());
  auto [first, second] = run_on(ioc, [&]() -> asio::awaitable<std::pair<Response, Response>> {
    ClientError err;
    Response a = co_await client.send(get(port, "/a"), within(5s), 1 << 20, err);
    EXPECT_FALSE(err) << err.message;
    Response b = co_await client.send(get(port, "/b"), within(5s), 1 << 20, err);
    EXPECT_FALSE(err) << err.message;
    co_return std::pair{std::move(a), std::move(b)};
  });
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "hello 1");
  EXPECT_EQ(second.body, "hello 2");
  EXPECT_EQ(state->accepts, 1);
  EXPECT_EQ(client.idle_connections(), 1u);
  EXPECT_EQ(state->requests, (std::vector<std::string>{"GET /a", "GET /b"}));
}

TEST_F(ClientTest, HeadersAreLowerCaseAndLookupIgnoresCase) {
  const auto port = start_server(ioc, state, keep_alive_server());
  Response r = run_on(ioc, [&]() -> asio::awaitable<Response> {
    ClientError err;
    co_return co_await client.send(get(port), within(5s), 1 << 20, err);
  });
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.header("x-missing"), "");
  for (const auto& [name, value] : r.headers) {
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
}

TEST_F(ClientTest, SendsBodyHostAndContentLengthAndDropsManagedHeaders) {
  std::string seen_host, seen_length, seen_body, seen_custom, seen_connection;
  const auto port =
      start_server(ioc, state, [&](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        if (!co_await read_request(socket, buffer, req, st)) co_return;
        seen_host = std::string(req[bhttp::field::host]);
        seen_length = std::string(req[bhttp::field::content_length]);
        seen_connection = std::string(req[bhttp::field::connection]);
        seen_custom = std::string(req["X-Custom"]);
        seen_body = req.body();
        co_await write_raw(socket, ok_response("{}"));
      });
  run_on(ioc, [&]() -> asio::awaitable<int> {
    ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat?x=1";
    req.body = R"({"model":"m"})";
    req.headers = {
        {"X-Custom", "yes"}, {"Host", "evil"}, {"Content-Length", "1"}, {"Connection", "close"}};
    ClientError err;
    Response r = co_await client.send(req, within(5s), 1 << 20, err);
    EXPECT_FALSE(err) << err.message;
    co_return r.status;
  });
  EXPECT_EQ(state->requests, (std::vector<std::string>{"POST /v1/chat?x=1"}));
  EXPECT_EQ(seen_host, "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(seen_length, "13");
  EXPECT_EQ(seen_connection, "");
  EXPECT_EQ(seen_custom, "yes");
  EXPECT_EQ(seen_body, R"({"model":"m"})");
}

TEST_F(ClientTest, RetriesOnceWhenServerClosedIdleConnection) {
  // Each connection answers one request (advertising keep-alive) and is then closed by the
  // server, as an upstream does when its idle timeout fires.
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        if (!co_await read_request(socket, buffer, req, st)) co_return;
        co_await write_raw(socket, ok_response("once"));
        co_await sleep_for(20ms);
        socket.close();
      });
  auto bodies = run_on(ioc, [&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> out;
    for (int i = 0; i < 3; ++i) {
      ClientError err;
      Response r = co_await client.send(get(port), within(5s), 1 << 20, err);
      EXPECT_FALSE(err) << err.message;
      out.push_back(r.body);
      co_await sleep_for(100ms);  // let the server close the idle connection
    }
    co_return out;
  });
  EXPECT_EQ(bodies, (std::vector<std::string>{"once", "once", "once"}));
  EXPECT_EQ(state->accepts, 3);
}

TEST_F(ClientTest, NoRetryWhenResponseBytesArrived) {
  // First connection: a full response. Second request on it: half a response, then close.
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        if (!co_await read_request(socket, buffer, req, st)) co_return;
        co_await write_raw(socket, ok_response("full"));
        if (!co_await read_request(socket, buffer, req, st)) co_return;
        co_await write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Le");
        socket.close();
      });
  ClientError second = run_on(ioc, [&]() -> asio::awaitable<ClientError> {
    ClientError err;
    co_await client.send(get(port), within(5s), 1 << 20, err);
    EXPECT_FALSE(err) << err.message;
    co_await client.send(get(port), within(5s), 1 << 20, err);
    co_return err;
  });
  EXPECT_EQ(second.kind, FailKind::reset) << second.message;
  EXPECT_EQ(state->accepts, 1);
}

TEST_F(ClientTest, ChunkedAndContentLengthBodies) {
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        while (co_await read_request(socket, buffer, req, st)) {
          if (req.target() == "/chunked") {
            co_await write_raw(socket,
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
          } else {
            co_await write_raw(socket, ok_response("fixed length"));
          }
        }
      });
  auto bodies = run_on(ioc, [&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> out;
    for (std::string path : {"/chunked", "/length", "/chunked"}) {
      ClientError err;
      Response r = co_await client.send(get(port, path), within(5s), 1 << 20, err);
      EXPECT_FALSE(err) << err.message;
      out.push_back(r.body);
    }
    co_return out;
  });
  EXPECT_EQ(bodies, (std::vector<std::string>{"hello, world", "fixed length", "hello, world"}));
  EXPECT_EQ(state->accepts, 1);
}

TEST_F(ClientTest, StreamDeliversPiecesBeforeTheResponseEnds) {
  asio::steady_timer gate(ioc, Clock::time_point::max());  // opened by the client
  bool second_written = false;
  const auto port = start_server(
      ioc, state,
      sse_server("d\r\ndata: first\n\n\r\n",
                 [&](tcp::socket& socket, const Request&) -> asio::awaitable<void> {
                   co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
                   second_written = true;
                   co_await write_raw(socket, "e\r\ndata: second\n\n\r\n0\r\n\r\n");
                 }));
  auto pieces = run_on(ioc, [&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> out;
    ClientError err;
    auto stream = co_await client.open(get(port, "/stream"), within(5s), err);
    EXPECT_FALSE(err) << err.message;
    if (!stream) co_return out;
    EXPECT_EQ(stream->status(), 200);
    EXPECT_EQ(stream->header("content-type"), "text/event-stream");
    for (;;) {
      std::string_view piece = co_await stream->read_some(err);
      EXPECT_FALSE(err) << err.message;
      if (piece.empty()) break;
      if (out.empty()) {
        EXPECT_FALSE(second_written);
        gate.cancel();
      }
      out.emplace_back(piece);
    }
    EXPECT_TRUE(stream->done());
    EXPECT_EQ(client.idle_connections(), 1u);  // read to the end: back in the pool
    ClientError again;
    Response r = co_await client.send(get(port, "/after"), within(5s), 1 << 20, again);
    EXPECT_FALSE(again) << again.message;
    EXPECT_EQ(r.body, "after");
    co_return out;
  });
  ASSERT_GE(pieces.size(), 2u);
  EXPECT_EQ(pieces.front(), "data: first\n\n");
  std::string all;
  for (const auto& p : pieces) all += p;
  EXPECT_EQ(all, "data: first\n\ndata: second\n\n");
  EXPECT_EQ(state->accepts, 1);
}

TEST_F(ClientTest, AbandonedStreamIsNotPooled) {
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        while (co_await read_request(socket, buffer, req, st)) {
          co_await write_raw(socket, ok_response("0123456789"));
        }
      });
  run_on(ioc, [&]() -> asio::awaitable<int> {
    ClientError err;
    auto stream = co_await client.open(get(port), within(5s), err);
    EXPECT_TRUE(stream != nullptr) << err.message;
    stream.reset();  // body never read
    Response r = co_await client.send(get(port), within(5s), 1 << 20, err);
    EXPECT_EQ(r.body, "0123456789");
    co_return 0;
  });
  EXPECT_EQ(state->accepts, 2);
}

// A reader that stops at an SSE answer's last event hands the rest of the body to
// drain_in_background: the end of the body arrives a moment later and the connection goes back
// to the pool, so the next call reuses it. A body that does not end within the budget closes it.
TEST_F(ClientTest, DrainInBackgroundReturnsTheConnectionToThePool) {
  const auto port = start_server(
      ioc, state,
      sse_server("e\r\ndata: [DONE]\n\n\r\n",
                 [](tcp::socket& socket, const Request& req) -> asio::awaitable<void> {
                   co_await sleep_for(req.target() == "/never-ends" ? 60s : 20ms);
                   co_await write_raw(socket, "0\r\n\r\n");
                 }));
  auto last_event_then_drain = [&](std::string path,
                                   std::chrono::milliseconds budget) -> asio::awaitable<void> {
    ClientError err;
    auto stream = co_await client.open(get(port, path), within(5s), err);
    EXPECT_FALSE(err) << err.message;
    if (!stream) co_return;
    std::string_view piece = co_await stream->read_some(err);
    EXPECT_EQ(piece, "data: [DONE]\n\n");
    EXPECT_FALSE(stream->done());
    drain_in_background(std::move(stream), budget);
  };
  run_on(ioc, [&]() -> asio::awaitable<int> {
    co_await last_event_then_drain("/stream", 2s);
    EXPECT_EQ(client.idle_connections(), 0u);  // the end of the body is still to come
    asio::steady_timer wait(co_await asio::this_coro::executor, 200ms);
    co_await wait.async_wait(asio::use_awaitable);
    EXPECT_EQ(client.idle_connections(), 1u);
    ClientError err;
    Response r = co_await client.send(get(port, "/after"), within(5s), 1 << 20, err);
    EXPECT_EQ(r.body, "after");
    co_await last_event_then_drain("/never-ends", 50ms);
    wait.expires_after(300ms);
    co_await wait.async_wait(asio::use_awaitable);
    EXPECT_EQ(client.idle_connections(), 0u);  // gave up: closed, not pooled
    co_return 0;
  });
  EXPECT_EQ(state->accepts, 1);
}

TEST_F(ClientTest, ConnectionRefused) {
  std::uint16_t port;
  {
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  ClientError err = run_on(ioc, [&]() -> asio::awaitable<ClientError> {
    ClientError e;
    co_await client.send(get(port), within(5s), 1 << 20, e);
    co_return e;
  });
  EXPECT_EQ(err.kind, FailKind::connect);
  EXPECT_NE(err.message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST_F(ClientTest, UnknownHostIsAConnectFailure) {
  ClientError err = run_on(ioc, [&]() -> asio::awaitable<ClientError> {
    ClientError e;
    ClientRequest req;
    req.url = "http://no-such-host.invalid/";
    co_await client.send(req, within(10s), 1 << 20, e);
    co_return e;
  });
  EXPECT_EQ(err.kind, FailKind::connect) << err.message;
}

TEST_F(ClientTest, FirstByteTimeout) {
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        co_await hang(socket, st);
      });
  const auto started = Clock::now();
  ClientError err = run_on(ioc, [&]() -> asio::awaitable<ClientError> {
    ClientError e;
    Deadlines dl = within(10s);
    dl.first_byte = Clock::now() + 150ms;
    co_await client.send(get(port), dl, 1 << 20, e);
    co_return e;
  });
  const auto elapsed = Clock::now() - started;
  EXPECT_EQ(err.kind, FailKind::timeout) << err.message;
  EXPECT_NE(err.message.find("response head"), std::string::npos) << err.message;
  EXPECT_GE(elapsed, 140ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_EQ(client.idle_connections(), 0u);
}

// Sends a head promising 100 bytes, 10 of them, and then stalls or (with `close`) disconnects.
Handler partial_body_server(bool close) {
  return [close](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    Request req;
    if (!co_await read_request(socket, buffer, req, st)) co_return;
    co_await write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    if (close) {
      socket.set_option(asio::socket_base::linger(true, 0));  // RST
      socket.close();
      co_return;
    }
    co_await sleep_for(60s);
  };
}

TEST_F(ClientTest, TotalTimeoutDuringSlowBody) {
  const auto port = start_server(ioc, state, partial_body_server(false));
  const auto started = Clock::now();
  auto [sent, streamed] =
      run_on(ioc, [&]() -> asio::awaitable<std::pair<ClientError, ClientError>> {
        ClientError a;
        co_await client.send(get(port), within(200ms), 1 << 20, a);
        ClientError b;
        auto stream = co_await client.open(get(port), within(200ms), b);
        EXPECT_TRUE(stream != nullptr) << b.message;
        std::string got;
        while (stream && !b) {
          std::string_view piece = co_await stream->read_some(b);
          if (piece.empty()) break;
          got += piece;
        }
        EXPECT_EQ(got, "0123456789");
        co_return std::pair{a, b};
      });
  EXPECT_EQ(sent.kind, FailKind::timeout) << sent.message;
  EXPECT_EQ(streamed.kind, FailKind::timeout) << streamed.message;
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(ClientTest, ResetMidBody) {
  const auto port = start_server(ioc, state, partial_body_server(true));
  ClientError err = run_on(ioc, [&]() -> asio::awaitable<ClientError> {
    ClientError e;
    co_await client.send(get(port), within(5s), 1 << 20, e);
    co_return e;
  });
  EXPECT_EQ(err.kind, FailKind::reset) << err.message;
  EXPECT_NE(err.message.find("response body"), std::string::npos) << err.message;
}

TEST_F(ClientTest, BodyLimit) {
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        while (co_await read_request(socket, buffer, req, st)) {
          if (req.target() == "/chunked") {
            std::string body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            for (int i = 0; i < 20; ++i) body += "a\r\n0123456789\r\n";
            co_await write_raw(socket, body + "0\r\n\r\n");
          } else {
            co_await write_raw(socket, ok_response(std::string(1000, 'x')));
          }
        }
      });
  auto errors = run_on(ioc, [&]() -> asio::awaitable<std::vector<ClientError>> {
    std::vector<ClientError> out;
    for (std::string path : {"/length", "/chunked"}) {
      ClientError e;
      co_await client.send(get(port, path), within(5s), 100, e);
      out.push_back(e);
    }
    ClientError fits;
    Response r = co_await client.send(get(port, "/length"), within(5s), 1000, fits);
    EXPECT_FALSE(fits) << fits.message;
    EXPECT_EQ(r.body.size(), 1000u);
    co_return out;
  });
  for (const auto& e : errors) EXPECT_EQ(e.kind, FailKind::too_large) << e.message;
}

// A streamed answer that never ends is cut at the stream limit (64 MiB) instead of being relayed
// forever: the upstream can neither exhaust memory nor hold a client for ever.
TEST_F(ClientTest, EndlessStreamIsCutAtTheStreamLimit) {
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        if (!co_await read_request(socket, buffer, req, st)) co_return;
        if (!co_await write_raw(socket,
                                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n"))
          co_return;
        const std::string piece = "100000\r\n" + std::string(1 << 20, 'x') + "\r\n";
        for (int i = 0; i < 200; ++i) {
          if (!co_await write_raw(socket, piece)) co_return;
        }
      });
  auto [got, err] = run_on(ioc, [&]() -> asio::awaitable<std::pair<std::size_t, ClientError>> {
    ClientError e;
    std::size_t total = 0;
    auto stream = co_await client.open(get(port, "/endless"), within(60s), e);
    if (!stream) co_return std::pair{total, e};
    for (;;) {
      std::string_view piece = co_await stream->read_some(e);
      if (e || piece.empty()) break;
      total += piece.size();
    }
    co_return std::pair{total, e};
  });
  EXPECT_EQ(err.kind, FailKind::too_large) << err.message;
  EXPECT_LE(got, 64u << 20);
  EXPECT_GE(got, 60u << 20);
}

TEST_F(ClientTest, UnparseableResponseIsAProtocolError) {
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        if (!co_await read_request(socket, buffer, req, st)) co_return;
        co_await write_raw(socket, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
      });
  ClientError err = run_on(ioc, [&]() -> asio::awaitable<ClientError> {
    ClientError e;
    co_await client.send(get(port), within(5s), 1 << 20, e);
    co_return e;
  });
  EXPECT_EQ(err.kind, FailKind::protocol) << err.message;
}

TEST_F(ClientTest, BadInputIsRejectedBeforeConnecting) {
  auto errors = run_on(ioc, [&]() -> asio::awaitable<std::vector<ClientError>> {
    std::vector<ClientError> out;
    for (std::string url : {"ftp://example.com/", "not a url", "http://user:secret@127.0.0.1:1/",
                            "http://127.0.0.1:70000/", "/relative"}) {
      ClientRequest req;
      req.url = url;
      ClientError e;
      co_await client.send(req, within(5s), 1 << 20, e);
      out.push_back(e);
    }
    ClientRequest injected = get(1);
    injected.headers = {{"X-A", "1\r\nX-Injected: 1"}};
    ClientError e;
    co_await client.send(injected, within(5s), 1 << 20, e);
    out.push_back(e);
    ClientRequest bad_method = get(1);
    bad_method.method = "GE T";
    co_await client.send(bad_method, within(5s), 1 << 20, e);
    out.push_back(e);
    co_return out;
  });
  ASSERT_EQ(errors.size(), 7u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(errors[i].kind, FailKind::connect) << i;
    EXPECT_EQ(errors[i].message.find("secret"), std::string::npos);
  }
  EXPECT_EQ(errors[5].kind, FailKind::protocol);
  EXPECT_EQ(errors[6].kind, FailKind::protocol);
}

TEST_F(ClientTest, CancellationAbortsAHungRequestAndKeepsThePoolClean) {
  // The first connection hangs; later ones answer.
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        if (st.accepts == 1) {
          co_await hang(socket, st);
          co_return;
        }
        beast::flat_buffer buffer;
        Request req;
        while (co_await read_request(socket, buffer, req, st)) {
          co_await write_raw(socket, ok_response("fine"));
        }
      });
  const auto started = Clock::now();
  auto [winner, after] = run_on(ioc, [&]() -> asio::awaitable<std::pair<std::size_t, Response>> {
    ClientError err;
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    auto raced = co_await (client.send(get(port), within(30s), 1 << 20, err) ||
                           timer.async_wait(asio::use_awaitable));
    EXPECT_EQ(client.idle_connections(), 0u);
    ClientError err2;
    Response r = co_await client.send(get(port), within(5s), 1 << 20, err2);
    EXPECT_FALSE(err2) << err2.message;
    co_return std::pair{raced.index(), std::move(r)};
  });
  EXPECT_EQ(winner, 1u);
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_EQ(after.body, "fine");
  EXPECT_EQ(state->accepts, 2);
}

TEST_F(ClientTest, CancellationAbortsAStreamRead) {
  const auto port =
      start_server(ioc, state, [](tcp::socket socket, ServerState& st) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        Request req;
        if (!co_await read_request(socket, buffer, req, st)) co_return;
        co_await write_raw(socket,
                           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
        co_await sleep_for(60s);
      });
  const auto started = Clock::now();
  std::size_t winner = run_on(ioc, [&]() -> asio::awaitable<std::size_t> {
    ClientError err;
    auto stream = co_await client.open(get(port), within(30s), err);
    EXPECT_TRUE(stream != nullptr) << err.message;
    if (!stream) co_return 0;
    EXPECT_EQ(co_await stream->read_some(err), "abc");
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    auto raced = co_await (stream->read_some(err) || timer.async_wait(asio::use_awaitable));
    EXPECT_TRUE(stream->done());
    co_return raced.index();
  });
  EXPECT_EQ(winner, 1u);
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_EQ(client.idle_connections(), 0u);
}

}  // namespace
}  // namespace kt::http
