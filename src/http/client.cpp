#include "http/client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/optional.hpp>

#include <algorithm>
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

using RequestMessage = bhttp::request<bhttp::span_body<const char>>;

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
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool build_request(const ClientRequest& req, const Target& t, RequestMessage& msg,
                   ClientError& err) {
  if (!is_token(req.method)) {
    err = ClientError{FailKind::protocol, "invalid request method"};
    return false;
  }
  msg.method_string(req.method);
  msg.target(t.path);
  msg.version(11);
  msg.set(bhttp::field::host, t.host_header);
  for (const auto& [name, value] : req.headers) {
    if (!is_token(name) || !is_field_value(value)) {
      err = ClientError{FailKind::protocol, "invalid request header"};
      return false;
    }
    if (!is_managed_header(name)) msg.insert(name, value);
  }
  msg.body() = {req.body.data(), req.body.size()};
  msg.keep_alive(true);
  msg.prepare_payload();
  return true;
}

void copy_headers(const bhttp::fields& fields, HeaderList& out) {
  for (const auto& field : fields) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    out.emplace_back(std::move(name), std::string(field.value()));
  }
}

template <class Body>
bool reusable(const bhttp::response_parser<Body>& parser, Connection& conn) {
  return parser.is_done() && parser.keep_alive() && conn.buffer().size() == 0;
}

// Sends `msg` and reads the response head into `parser` (re-created per attempt), on a pooled
// connection when there is one. A pooled connection the server already closed is replaced by a
// fresh one once, as long as no byte of a response arrived on it.
template <class Body>
asio::awaitable<std::unique_ptr<Connection>> exchange_head(
    ConnectionPool& pool, const Target& t, const ClientRequest& req, RequestMessage& msg,
    const Deadlines& dl, boost::optional<std::uint64_t> body_limit,
    std::optional<bhttp::response_parser<Body>>& parser, ClientError& err) {
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
    parser.emplace();
    parser->header_limit(kHeaderLimit);
    parser->body_limit(body_limit);
    if (msg.method() == bhttp::verb::head) parser->skip(true);

    conn->expire_at(head_deadline);
    Phase phase = Phase::request;
    auto [ec, written] = co_await conn->with_stream(
        [&](auto& stream) { return bhttp::async_write(stream, msg, kTok); });
    if (!ec) {
      phase = Phase::head;
      std::tie(ec, std::ignore) = co_await conn->with_stream([&](auto& stream) {
        return bhttp::async_read_header(stream, conn->buffer(), *parser, kTok);
      });
    }
    if (!ec) co_return conn;
    const bool stale = conn->reused && is_stale_connection_error(ec) && !parser->got_some() &&
                       conn->buffer().size() == 0;
    if (attempt == 0 && stale) continue;
    err = describe_failure(ec, phase, t);
    co_return nullptr;
  }
}

// Parses the URL and builds the request message; false with `err` set on bad input.
bool prepare(const ClientRequest& req, Target& t, RequestMessage& msg, ClientError& err) {
  err = ClientError();
  if (!parse_target(req.url, t)) {
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

  std::optional<bhttp::response_parser<bhttp::buffer_body>>& parser() { return parser_; }

  void start(std::unique_ptr<Connection> conn) {
    conn_ = std::move(conn);
    status_ = parser_->get().result_int();
    copy_headers(parser_->get(), headers_);
  }

  int status() const override { return status_; }
  const HeaderList& headers() const override { return headers_; }
  bool done() const override { return !conn_; }

  asio::awaitable<std::string_view> read_some(ClientError& err) override {
    err = ClientError();
    if (!conn_) co_return std::string_view();
    auto& scratch = conn_->body_scratch();
    conn_->expire_at(total_);
    while (!parser_->is_done()) {
      auto& body = parser_->get().body();
      body.data = scratch.data();
      body.size = scratch.size();
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
      const std::size_t got = scratch.size() - parser_->get().body().size;
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
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::unique_ptr<Connection> conn_;  // null once the body ended or failed
  int status_ = 0;
  HeaderList headers_;
};

class PooledClient final : public UpstreamClient {
 public:
  asio::awaitable<Response> send(const ClientRequest& req, const Deadlines& dl,
                                 std::size_t body_limit, ClientError& err) override {
    ConnectionPool& pool = *co_await this_thread_pool();
    Target t;
    RequestMessage msg;
    if (!prepare(req, t, msg, err)) co_return Response();
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
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
    r.status = parser->get().result_int();
    copy_headers(parser->get(), r.headers);
    r.body = std::move(parser->get().body());
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
    // Streams (SSE) may run long; their size is bounded by the reader (SseReader's event limit).
    auto conn = co_await exchange_head(pool, t, req, msg, dl, boost::none, stream->parser(), err);
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

}  // namespace kt::http
