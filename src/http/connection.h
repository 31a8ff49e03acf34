// connection.h — one upstream connection (plain TCP or TLS over TCP) with its read buffer, and
// the coroutine that opens it: DNS, TCP connect and TLS handshake with peer and hostname
// verification, all within one deadline. Deadlines are enforced by beast::tcp_stream, which
// closes the socket and fails the pending operation with beast::error::timeout.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "http/client.h"
#include "http/target.h"

namespace kt::http {

class Connection {
 public:
  // Read buffer for whole answers. Beast reads max(512, free capacity) bytes at a time: from an
  // empty buffer a typical answer (~1 KiB of head and JSON) took two recv calls and two trips
  // through the event loop. Streams keep theirs small (1,000 streams, 1,000 buffers).
  static constexpr std::size_t kReadBufferBytes = 4 * 1024;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  // `tls_context` null = plain TCP.
  Connection(const boost::asio::any_io_executor& ex, boost::asio::ssl::context* tls_context,
             std::string_view pool_key);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  boost::beast::tcp_stream& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }
  // Calls op(stream) with the outermost stream; op returns the same awaitable type for both.
  template <class Op>
  auto with_stream(Op&& op) {
    return tls_ ? op(*tls_) : op(*plain_);
  }
  // Every following operation fails with beast::error::timeout once `t` has passed.
  void expire_at(Clock::time_point t);

  const std::string& pool_key() const { return pool_key_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  // Scratch space for body pieces handed out by BodyStream::read_some.
  std::array<char, 4 * 1024>& body_scratch() { return body_scratch_; }

  bool reused = false;  // came out of the pool (so a failure may be a stale keep-alive)
  Clock::time_point idle_since;

 private:
  std::string pool_key_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
  boost::beast::flat_buffer buffer_;
  std::array<char, 4 * 1024> body_scratch_;  // 4 KiB: SSE events are far smaller; per stream
};

// Resolves, connects and (for https) completes the TLS handshake by `deadline`. On failure sets
// err (connect, tls, timeout or canceled) and returns null.
boost::asio::awaitable<std::unique_ptr<Connection>> open_connection(
    const Target& target, boost::asio::ssl::context* tls_context, std::string_view pool_key,
    Clock::time_point deadline, ClientError& err);

}  // namespace kt::http
