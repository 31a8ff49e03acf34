#include "http_server.h"

#include <iostream>
#include <system_error>
#include <thread>

namespace kt::mock {
namespace {

namespace beast = boost::beast;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Request bodies above this are refused with 413 (the mock never needs more).
constexpr std::size_t kBodyLimit = 64 * 1024 * 1024;

asio::awaitable<void> run_session(tcp::socket socket, Port port, const Handler& handler) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    auto [ec, n] = co_await http::async_read(socket, buffer, parser, kNoThrow);
    if (ec) {
      if (ec == http::error::body_limit) {
        Response res{http::status::payload_too_large, 11};
        res.set(http::field::content_type, "application/json");
        res.body() = R"({"error":{"message":"request body too large for kt-mock",)"
                     R"("type":"invalid_request_error"}})";
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(socket, res, kNoThrow);
      }
      break;
    }
    Request req = parser.release();
    Call call(socket, req, port);
    bool failed = false;
    try {
      co_await handler(call);
    } catch (const std::exception&) {
      // A write failed (the peer went away) or a handler threw: answer if still possible, drop
      // the connection.
      failed = true;
    }
    if (!call.answered() && socket.is_open()) {
      Response res{http::status::internal_server_error, req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() =
          failed
              ? R"({"error":{"message":"kt-mock internal error","type":"server_error"}})"
              : R"({"error":{"message":"kt-mock handler gave no answer","type":"server_error"}})";
      res.keep_alive(false);
      res.prepare_payload();
      co_await http::async_write(socket, res, kNoThrow);
      break;
    }
    if (failed) break;
    if (!call.keep_alive()) break;
  }
  beast::error_code ignored;
  if (socket.is_open()) socket.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

std::string_view Call::path() const {
  std::string_view t = req_.target();
  return t.substr(0, t.find('?'));
}

std::string_view Call::query() const {
  std::string_view t = req_.target();
  auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::string_view Call::header(std::string_view name) const {
  auto it = req_.find(name);
  if (it == req_.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

asio::awaitable<void> Call::send(Response response) {
  answered_ = true;
  if (!req_.keep_alive()) response.keep_alive(false);
  keep_alive_ = response.keep_alive();
  response.prepare_payload();
  co_await http::async_write(socket_, response, use_awaitable);
}

asio::awaitable<void> Call::send_stalled(Response response, std::chrono::milliseconds stall) {
  answered_ = true;
  if (!req_.keep_alive()) response.keep_alive(false);
  keep_alive_ = response.keep_alive();
  response.prepare_payload();
  http::response_serializer<http::string_body> sr(response);
  co_await http::async_write_header(socket_, sr, use_awaitable);
  co_await sleep(stall);
  co_await http::async_write(socket_, sr, use_awaitable);
}

asio::awaitable<void> Call::begin_stream(Response head) {
  answered_ = true;
  http::response<http::empty_body> res(std::move(head.base()));
  res.chunked(true);
  if (!req_.keep_alive()) res.keep_alive(false);
  keep_alive_ = res.keep_alive();
  http::response_serializer<http::empty_body> sr(res);
  co_await http::async_write_header(socket_, sr, use_awaitable);
}

asio::awaitable<void> Call::write_chunk(std::string_view data) {
  if (data.empty()) co_return;  // an empty chunk would end the body
  co_await asio::async_write(socket_, http::make_chunk(asio::buffer(data)), use_awaitable);
}

asio::awaitable<void> Call::end_stream() {
  co_await asio::async_write(socket_, http::make_chunk_last(), use_awaitable);
}

void Call::reset() {
  answered_ = true;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  socket_.close(ignored);
}

asio::awaitable<void> Call::sleep(std::chrono::milliseconds ms) {
  if (ms.count() > 0) co_await sleep_until(std::chrono::steady_clock::now() + ms);
}

asio::awaitable<void> Call::sleep_until(std::chrono::steady_clock::time_point t) {
  if (t <= std::chrono::steady_clock::now()) co_return;
  asio::steady_timer timer(socket_.get_executor(), t);
  co_await timer.async_wait(use_awaitable);
}

struct HttpServer::Worker {
  asio::io_context ctx{1};
  std::vector<std::pair<tcp::acceptor, Port>> acceptors;
  std::thread thread;
};

namespace {

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Port port, const Handler& handler) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(acceptor.get_executor(), run_session(std::move(socket), port, handler),
                   asio::detached);
  }
}

tcp::acceptor open_acceptor(asio::io_context& ctx, const ListenSpec& spec, unsigned short port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(spec.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + spec.host + "'");
  tcp::endpoint endpoint(address, port);
  tcp::acceptor acceptor(ctx);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
  acceptor.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + spec.host + ":" + std::to_string(port) + ": " +
                             ec.message());
  }
  acceptor.listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace

HttpServer::HttpServer(std::vector<ListenSpec> listens, int threads, Handler handler)
    : handler_(std::move(handler)) {
  if (threads < 1) threads = 1;
  for (int t = 0; t < threads; ++t) {
    auto worker = std::make_unique<Worker>();
    for (std::size_t i = 0; i < listens.size(); ++i) {
      unsigned short port = t == 0 ? listens[i].port : bound_ports_[i];
      auto acceptor = open_acceptor(worker->ctx, listens[i], port);
      if (t == 0) bound_ports_.push_back(acceptor.local_endpoint().port());
      worker->acceptors.emplace_back(std::move(acceptor), listens[i].kind);
    }
    workers_.push_back(std::move(worker));
  }
}

HttpServer::~HttpServer() {
  stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void HttpServer::run() {
  for (auto& w : workers_) {
    for (auto& [acceptor, kind] : w->acceptors) {
      asio::co_spawn(w->ctx, accept_loop(acceptor, kind, handler_), asio::detached);
    }
  }
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    workers_[i]->thread = std::thread([w = workers_[i].get()] { w->ctx.run(); });
  }
  workers_[0]->ctx.run();
  for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->thread.join();
}

void HttpServer::stop() {
  for (auto& w : workers_) w->ctx.stop();
}

}  // namespace kt::mock
