#include "http/client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/optional.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <optional>

#include "http/connection.h"
#include "http/errors.h"
#include "http/pool.h"
#include "http/target.h"

namespace kt::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
// A streamed (SSE) answer larger than this is cut with FailKind::too_large; a real answer is
// far smaller (64 MiB is hundreds of thousands of tokens).
constexpr std::uint64_t kStreamBodyLimit = 64ull * 1024 * 1024;

// The request as bytes: the head written by hand into one string (Beast's fields allocate per
// header and its serializer costs ~15k instructions per message), and the caller's body.
struct RequestMessage {
  std::string head;
  std::string_view body;
  bool head_request = false;  // HEAD: the response has no body
};

// A response parser that keeps only what the client hands out: the status, the headers (names
// lower-cased, straight into a HeaderList) and the body — appended to a string, or, for
// streams, copied into the caller's buffer with buffer_body's need_buffer protocol.
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  int status = 0;
  HeaderList headers;
  std::string body;           // whole-body mode
  bool to_buffer = false;     // stream mode: the body goes to [out, out + out_size)
  char* out = nullptr;
  std::size_t out_size = 0;

 private:
  void on_request_impl(bhttp::verb, boost::core::string_view, boost::core::string_view, int,
                       boost::system::error_code& ec) override {
    ec = bhttp::error::bad_version;  // never called for a response parser
  }
  void on_response_impl(int code, boost::core::string_view, int,
                        boost::system::error_code&) override {
    status = code;
  }
  void on_field_impl(bhttp::field, boost::core::string_view name, boost::core::string_view value,
                     boost::system::error_code&) override {
    if (headers.empty()) headers.reserve(8);
    auto& [n, v] = headers.emplace_back(std::string(name.data(), name.size()),
                                        std::string(value.data(), value.size()));
    for (char& c : n) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
  }
  void on_header_impl(boost::system::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         boost::system::error_code&) override {
    if (!to_buffer && length) {
      body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1 << 20)));
    }
  }
  std::size_t on_body_impl(boost::core::string_view s, boost::system::error_code& ec) override {
    if (!to_buffer) {
      body.append(s.data(), s.size());
      return s.size();
    }
    const std::size_t n = std::min(s.size(), out_size);
    if (n > 0) std::memcpy(out, s.data(), n);
    out += n;
    out_size -= n;
    if (n < s.size()) ec = bhttp::error::need_buffer;
    return n;
  }
  void on_chunk_header_impl(std::uint64_t, boost::core::string_view,
                            boost::system::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::core::string_view s,
                                 boost::system::error_code& ec) override {
    return on_body_impl(s, ec);
  }
  void on_finish_impl(boost::system::error_code&) override {}
};

std::string_view find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (beast::iequals(n, name)) return v;
  }
  return {};
}

// The client owns these: it frames the body and manages the connection itself.
bool is_managed_header(std::string_view name) {
  return beast::iequals(name, "host") || beast::iequals(name, "content-length") ||
         beast::iequals(name, "connection") || beast::iequals(name, "transfer-encoding");
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// A CR or LF in a value would let a caller inject headers or a second request.
bool is_field_value(std::string_view s) {
  for (const char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool build_request(const ClientRequest& req, const Target& t, RequestMessage& msg,
                   ClientError& err) {
  if (!is_token(req.method)) {
    err = ClientError{FailKind::protocol, "invalid request method"};
    return false;
  }
  std::string& h = msg.head;
  h.clear();
  h.reserve(256);
  h.append(req.method).append(" ").append(t.path).append(" HTTP/1.1\r\nHost: ");
  h.append(t.host_header).append("\r\n");
  for (const auto& [name, value] : req.headers) {
    if (!is_token(name) || !is_field_value(value)) {
      err = ClientError{FailKind::protocol, "invalid request header"};
      return false;
    }
    if (!is_managed_header(name)) h.append(name).append(": ").append(value).append("\r\n");
  }
  // As Beast's prepare_payload: a length for a body, and for POST/PUT/OPTIONS even when empty.
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" ||
      req.method == "OPTIONS") {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, req.body.size());
    h.append("Content-Length: ").append(digits, end).append("\r\n");
  }
  h.append("\r\n");  // HTTP/1.1 keeps the connection alive without a Connection header
  msg.body = req.body;
  msg.head_request = req.method == "HEAD";
  return true;
}

bool reusable(const ResponseParser& parser, Connection& conn) {
  return parser.is_done() && parser.keep_alive() && conn.buffer().size() == 0;
}

// Sends `msg` and reads the response head into `parser` (re-created per attempt), on a pooled
// connection when there is one. A pooled connection the server already closed is replaced by a
// fresh one once, as long as no byte of a response arrived on it.
asio::awaitable<std::unique_ptr<Connection>> exchange_head(
    ConnectionPool& pool, const Target& t, const ClientRequest& req, RequestMessage& msg,
    const Deadlines& dl, boost::optional<std::uint64_t> body_limit,
    std::optional<ResponseParser>& parser, ClientError& err) {
  asio::ssl::context* tls_context = nullptr;
  if (t.tls) {
    std::string why;
    tls_context = pool.tls_context(req.ca_file, why);
    if (!tls_context) {
      err = ClientError{FailKind::tls, "upstream " + std::string(t.host_header) + ": " + why};
      co_return nullptr;
    }
  }
  std::string key;
  make_pool_key(t, req.ca_file, key);
  const Clock::time_point start = Clock::now();
  const Clock::time_point connect_deadline =
      dl.total - start <= dl.connect ? dl.total : start + dl.connect;
  const Clock::time_point head_deadline = std::min(dl.first_byte, dl.total);

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn;
    if (attempt == 0) conn = pool.checkout(key, start);
    if (!conn) {
      conn = co_await open_connection(t, tls_context, key, connect_deadline, err);
      if (!conn) co_return nullptr;
    }
    const bool to_buffer = parser && parser->to_buffer;
    parser.emplace();
    parser->to_buffer = to_buffer;
    parser->header_limit(kHeaderLimit);
    parser->body_limit(body_limit);
    if (msg.head_request) parser->skip(true);

    if (!to_buffer) conn->buffer().reserve(Connection::kReadBufferBytes);
    conn->expire_at(head_deadline);
    Phase phase = Phase::request;
    const std::array<asio::const_buffer, 2> bytes{asio::buffer(msg.head),
                                                  asio::buffer(msg.body.data(), msg.body.size())};
    auto [ec, written] = co_await conn->with_stream(
        [&](auto& stream) { return asio::async_write(stream, bytes, kTok); });
    if (!ec) {
      phase = Phase::head;
      std::tie(ec, std::ignore) = co_await conn->with_stream([&](auto& stream) {
        return bhttp::async_read_header(stream, conn->buffer(), *parser, kTok);
      });
    }
    if (!ec) {
      if (to_buffer) conn->buffer().shrink_to_fit();
      co_return conn;
    }
    const bool stale = conn->reused && is_stale_connection_error(ec) && !parser->got_some() &&
                       conn->buffer().size() == 0;
    if (attempt == 0 && stale) continue;
    err = describe_failure(ec, phase, t);
    co_return nullptr;
  }
}

// parse_target, remembered per thread for the last URL: a gateway calls the same few URLs
// over and over. The cache keeps offsets; the views handed out point into the caller's URL
// (or at the literal default port / "/" path, as parse_target's do).
bool parse_target_cached(std::string_view url, Target& t) {
  struct Cache {
    std::string url;
    bool ok = false;
    Target t;  // views into `url`
  };
  thread_local Cache cache;
  if (cache.url != url) {
    cache.url.assign(url);
    cache.ok = parse_target(cache.url, cache.t);
  }
  if (!cache.ok) return false;
  const char* base = cache.url.data();
  const char* end = base + cache.url.size();
  auto rebase = [&](std::string_view v) {
    if (v.data() < base || v.data() >= end) return v;  // a literal, not part of the URL
    return url.substr(static_cast<std::size_t>(v.data() - base), v.size());
  };
  t.tls = cache.t.tls;
  t.port_number = cache.t.port_number;
  t.host = rebase(cache.t.host);
  t.host_header = rebase(cache.t.host_header);
  t.port = rebase(cache.t.port);
  t.path = rebase(cache.t.path);
  return true;
}

// Parses the URL and builds the request message; false with `err` set on bad input.
bool prepare(const ClientRequest& req, Target& t, RequestMessage& msg, ClientError& err) {
  err = ClientError();
  if (!parse_target_cached(req.url, t)) {
    err = ClientError{FailKind::connect, "invalid upstream URL (expected absolute http(s) URL)"};
    return false;
  }
  return build_request(req, t, msg, err);
}

asio::awaitable<ConnectionPool*> this_thread_pool() {
  auto ex = co_await asio::this_coro::executor;
  co_return &ConnectionPool::of(asio::query(ex, asio::execution::context));
}

class PooledBodyStream final : public BodyStream {
 public:
  PooledBodyStream(ConnectionPool& pool, std::string_view host_header, Clock::time_point total)
      : pool_(pool), host_header_(host_header), total_(total) {}

  std::optional<ResponseParser>& parser() {
    if (!parser_) parser_.emplace();
    parser_->to_buffer = true;
    return parser_;
  }

  void start(std::unique_ptr<Connection> conn) {
    conn_ = std::move(conn);
    status_ = parser_->status;
    headers_ = std::move(parser_->headers);
  }

  int status() const override { return status_; }
  const HeaderList& headers() const override { return headers_; }
  bool done() const override { return !conn_; }
  void shorten_deadline(Clock::time_point t) override { total_ = std::min(total_, t); }
  asio::any_io_executor executor() const override {
    return conn_ ? conn_->socket().get_executor() : asio::any_io_executor();
  }

  asio::awaitable<std::string_view> read_some(ClientError& err) override {
    err = ClientError();
    if (!conn_) co_return std::string_view();
    auto& scratch = conn_->body_scratch();
    conn_->expire_at(total_);
    while (!parser_->is_done()) {
      parser_->out = scratch.data();
      parser_->out_size = scratch.size();
      auto [ec, n] = co_await conn_->with_stream([&](auto& stream) {
        return bhttp::async_read_some(stream, conn_->buffer(), *parser_, kTok);
      });
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        Target t;
        t.host_header = host_header_;
        err = describe_failure(ec, Phase::body, t);
        conn_.reset();
        co_return std::string_view();
      }
      const std::size_t got = scratch.size() - parser_->out_size;
      if (got > 0) co_return std::string_view(scratch.data(), got);
    }
    if (reusable(*parser_, *conn_)) pool_.checkin(std::move(conn_), Clock::now());
    conn_.reset();
    co_return std::string_view();
  }

 private:
  ConnectionPool& pool_;
  std::string host_header_;
  Clock::time_point total_;
  std::optional<ResponseParser> parser_;
  std::unique_ptr<Connection> conn_;  // null once the body ended or failed
  int status_ = 0;
  HeaderList headers_;
};

asio::awaitable<void> drain(std::unique_ptr<BodyStream> body) {
  std::size_t total = 0;
  while (total <= 64 * 1024) {
    ClientError err;
    const std::string_view piece = co_await body->read_some(err);
    if (err || piece.empty()) co_return;  // the end: the stream checked the connection in
    total += piece.size();
  }
}

class PooledClient final : public UpstreamClient {
 public:
  asio::awaitable<Response> send(const ClientRequest& req, const Deadlines& dl,
                                 std::size_t body_limit, ClientError& err) override {
    ConnectionPool& pool = *co_await this_thread_pool();
    Target t;
    RequestMessage msg;
    if (!prepare(req, t, msg, err)) co_return Response();
    std::optional<ResponseParser> parser;
    auto conn = co_await exchange_head(pool, t, req, msg, dl, body_limit, parser, err);
    if (!conn) co_return Response();
    conn->expire_at(dl.total);
    auto [ec, n] = co_await conn->with_stream(
        [&](auto& stream) { return bhttp::async_read(stream, conn->buffer(), *parser, kTok); });
    if (ec) {
      err = describe_failure(ec, Phase::body, t);
      co_return Response();
    }
    Response r;
    r.status = parser->status;
    r.headers = std::move(parser->headers);
    r.body = std::move(parser->body);
    if (reusable(*parser, *conn)) pool.checkin(std::move(conn), Clock::now());
    co_return r;
  }

  asio::awaitable<std::unique_ptr<BodyStream>> open(const ClientRequest& req, const Deadlines& dl,
                                                    ClientError& err) override {
    ConnectionPool& pool = *co_await this_thread_pool();
    Target t;
    RequestMessage msg;
    if (!prepare(req, t, msg, err)) co_return nullptr;
    auto stream = std::make_unique<PooledBodyStream>(pool, t.host_header, dl.total);
    // Streams (SSE) may run long; each event is bounded by the reader (SseReader's event limit)
    // and the whole body by kStreamBodyLimit, so a runaway upstream cannot stream forever.
    auto conn = co_await exchange_head(pool, t, req, msg, dl,
                                       boost::optional<std::uint64_t>(kStreamBodyLimit),
                                       stream->parser(), err);
    if (!conn) co_return nullptr;
    stream->start(std::move(conn));
    co_return stream;
  }

  std::size_t idle_connections() const override {
    const ConnectionPool* pool = ConnectionPool::last_used_on_this_thread();
    return pool ? pool->idle() : 0;
  }
};

}  // namespace

std::string_view Response::header(std::string_view name) const {
  return find_header(headers, name);
}

std::string_view BodyStream::header(std::string_view name) const {
  return find_header(headers(), name);
}

UpstreamClient& UpstreamClient::for_this_thread() {
  static thread_local PooledClient client;
  return client;
}

void drain_in_background(std::unique_ptr<BodyStream> body, std::chrono::milliseconds budget) {
  if (!body || body->done()) return;
  const asio::any_io_executor ex = body->executor();
  if (!ex) return;
  body->shorten_deadline(Clock::now() + budget);
  asio::co_spawn(ex, drain(std::move(body)), asio::detached);
}

}  // namespace kt::http
