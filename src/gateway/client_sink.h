// client_sink.h — how the pipeline answers the client, independent of the HTTP server.
//
// A request is answered either whole (respond) or as a stream (begin_stream, write..., end_stream).
// write() returns false once the client is gone; wait_disconnect() completes when the client
// closes its connection while the gateway is still working, so the pipeline can cancel the
// upstream call (and a Replicate prediction) instead of paying for an answer nobody reads.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kt::gateway {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One header. Use this instead of a braced list inside a co_await expression: GCC 12 fails to
// keep braced temporaries of string literals alive across a suspension point.
inline Headers header(std::string name, std::string value) {
  Headers h;
  h.emplace_back(std::move(name), std::move(value));
  return h;
}

class ClientSink {
 public:
  virtual ~ClientSink() = default;
  virtual boost::asio::awaitable<void> respond(int status, std::string_view content_type,
                                               std::string body, Headers extra = {}) = 0;
  virtual boost::asio::awaitable<bool> begin_stream(int status, std::string_view content_type,
                                                    Headers extra = {}) = 0;
  virtual boost::asio::awaitable<bool> write(std::string_view data) = 0;
  virtual boost::asio::awaitable<void> end_stream() = 0;
  virtual boost::asio::awaitable<void> wait_disconnect() = 0;
  virtual bool stream_started() const = 0;
  virtual bool client_gone() const = 0;
};

}  // namespace kt::gateway
