// HttpServer: a small multi-threaded HTTP/1.1 server for kt-mock. Each worker thread owns one
// io_context and its own SO_REUSEPORT acceptor on every listening port, so connections are spread
// by the kernel and a request never leaves the thread that accepted it. A connection runs one
// coroutine loop (keep-alive); handlers get a Call and write exactly one answer through it: a
// whole response, a chunked event stream, or an abrupt TCP reset (fault injection).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kt::mock {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Which listener a request arrived on: the API port or the stream/file port.
enum class Port { api, stream };

class Call {
 public:
  Call(tcp::socket& socket, Request& request, Port port)
      : socket_(socket), req_(request), port_(port) {}

  const Request& req() const { return req_; }
  Port port() const { return port_; }
  std::string_view path() const;                         // target without the query string
  std::string_view query() const;                        // after '?', or empty
  std::string_view header(std::string_view name) const;  // empty when absent
  asio::any_io_executor executor() { return socket_.get_executor(); }

  // Sends a complete response (Content-Length, keep-alive as the client asked).
  asio::awaitable<void> send(Response response);
  // Sends only the header of `response` (body ignored), waits, then the body: a stall after
  // headers, for deadline tests.
  asio::awaitable<void> send_stalled(Response response, std::chrono::milliseconds stall);
  // Starts a chunked response with the given header fields; then write chunks, then end().
  asio::awaitable<void> begin_stream(Response head);
  asio::awaitable<void> write_chunk(std::string_view data);
  asio::awaitable<void> end_stream();
  // Closes the TCP connection with RST (SO_LINGER 0) and without finishing the response.
  void reset();
  // Sleeps on a timer (never blocks the thread).
  asio::awaitable<void> sleep(std::chrono::milliseconds ms);
  asio::awaitable<void> sleep_until(std::chrono::steady_clock::time_point t);

  bool keep_alive() const { return keep_alive_ && !closed_; }
  bool answered() const { return answered_; }

 private:
  tcp::socket& socket_;
  Request& req_;
  Port port_;
  bool keep_alive_ = true;
  bool answered_ = false;
  bool closed_ = false;
};

using Handler = std::function<asio::awaitable<void>(Call&)>;

struct ListenSpec {
  std::string host;
  unsigned short port = 0;  // 0 = pick a free one
  Port kind = Port::api;
};

class HttpServer {
 public:
  // Binds every listener (throws std::system_error with a clear message on failure).
  HttpServer(std::vector<ListenSpec> listens, int threads, Handler handler);
  ~HttpServer();
  // The actual bound port of listener i (after port 0 was resolved).
  unsigned short bound_port(std::size_t i) const { return bound_ports_[i]; }
  // Runs the worker threads until stop(); returns when they have all finished.
  void run();
  void stop();

 private:
  struct Worker;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<unsigned short> bound_ports_;
  Handler handler_;
};

}  // namespace kt::mock
