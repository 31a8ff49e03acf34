// client.h — the upstream HTTP client: pooled keep-alive connections per thread and origin,
// TLS with peer and hostname verification (system trust store, or a target's ca_file), and
// deadlines for connect, first byte and the whole attempt. Bodies are read whole (with a size
// limit) or incrementally, for SSE.
//
// Threading: an UpstreamClient belongs to one thread (one io_context); get it with
// UpstreamClient::for_this_thread(). Nothing in it is synchronised.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kt::http {

using Clock = std::chrono::steady_clock;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ClientRequest {
  std::string method = "POST";
  std::string url;                 // absolute http:// or https:// URL
  HeaderList headers;              // Host, Content-Length and Connection are set by the client
  std::string body;
  std::string ca_file;             // private CA bundle for TLS; empty = system trust store
};

struct Deadlines {
  std::chrono::milliseconds connect{10000};  // TCP + TLS handshake (capped by `total`)
  Clock::time_point total = Clock::time_point::max();  // whole attempt, incl. reading the body
  Clock::time_point first_byte = Clock::time_point::max();  // response head must arrive by then
};

// Why a call failed (maps onto the fallback triggers).
enum class FailKind { none, connect, tls, timeout, reset, protocol, too_large, canceled };

struct ClientError {
  FailKind kind = FailKind::none;
  std::string message;   // short, for logs and events; never contains headers or bodies
  explicit operator bool() const { return kind != FailKind::none; }
};

struct Response {
  int status = 0;
  HeaderList headers;    // lower-case names
  std::string body;
  std::string_view header(std::string_view name) const;
};

// An open response whose body is read piece by piece (SSE). Destroying it before the body was
// read to the end closes the connection instead of returning it to the pool.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  virtual int status() const = 0;
  virtual const HeaderList& headers() const = 0;
  std::string_view header(std::string_view name) const;
  // Next piece of the (de-chunked) body; empty with !err at the end of the body.
  virtual boost::asio::awaitable<std::string_view> read_some(ClientError& err) = 0;
  virtual bool done() const = 0;
  // Moves the deadline of the reads still to come (only ever earlier).
  virtual void shorten_deadline(Clock::time_point t) = 0;
  virtual boost::asio::any_io_executor executor() const = 0;
};

// Reads what is left of `body` in the background (for at most `budget` and 64 KiB) so that its
// connection goes back to the pool. An SSE answer's last event (`[DONE]`, Replicate's `done`)
// arrives just before the end of its body; a reader that stopped there closed the connection,
// and the next call to that origin paid a new TCP (or TLS) handshake.
void drain_in_background(std::unique_ptr<BodyStream> body,
                         std::chrono::milliseconds budget = std::chrono::milliseconds(2000));

class UpstreamClient {
 public:
  static UpstreamClient& for_this_thread();
  virtual ~UpstreamClient() = default;

  // Sends the request and reads the whole response (body capped at body_limit bytes).
  virtual boost::asio::awaitable<Response> send(const ClientRequest& req, const Deadlines& dl,
                                                std::size_t body_limit, ClientError& err) = 0;
  // Sends the request and returns once the response head arrived; the body is read through
  // the returned stream (each read bounded by the `total` deadline).
  virtual boost::asio::awaitable<std::unique_ptr<BodyStream>> open(const ClientRequest& req,
                                                                   const Deadlines& dl,
                                                                   ClientError& err) = 0;
  // Idle pooled connections (for tests and metrics).
  virtual std::size_t idle_connections() const = 0;
};

}  // namespace kt::http
