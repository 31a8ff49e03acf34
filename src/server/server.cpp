#include "server/server.h"

#include <pthread.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include <array>
#include <charconv>
#include <random>
#include <thread>
#include <vector>

#include "api/errors.h"
#include "gateway/client_sink.h"
#include "gateway/gateway.h"
#include "gateway/request.h"

namespace kt::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// A connection in its worker's list of connections waiting for a request (closed on drain). The
// link lives in the session's frame: linking and unlinking allocate nothing.
struct IdleLink {
  beast::tcp_stream* stream = nullptr;
  IdleLink* prev = nullptr;
  IdleLink* next = nullptr;
};

struct Server::Worker {
  asio::io_context ctx{1};
  std::unique_ptr<tcp::acceptor> acceptor;
  observe::MetricsShard metrics;
  std::thread thread;
  IdleLink idle;  // sentinel of the idle list (thread-confined)
  alignas(64) std::atomic<std::int64_t> in_flight{0};

  Worker() { idle.prev = idle.next = &idle; }
  void link_idle(IdleLink& l) {
    if (l.next) return;
    l.prev = &idle;
    l.next = idle.next;
    idle.next->prev = &l;
    idle.next = &l;
  }
  static void unlink_idle(IdleLink& l) {
    if (!l.next) return;
    l.prev->next = l.next;
    l.next->prev = l.prev;
    l.prev = l.next = nullptr;
  }
};

namespace {

// Request ids: the client's when it is sane, else "req_" + 24 hex digits from a per-thread PRNG.
std::string make_request_id(std::string_view given) {
  if (!given.empty() && given.size() <= 128) {
    bool ok = true;
    for (unsigned char c : given) ok = ok && c > 0x20 && c < 0x7f;
    if (ok) return std::string(given);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = "req_";
  for (int i = 0; i < 2; ++i) {
    std::uint64_t v = rng();
    for (int j = 0; j < (i == 0 ? 16 : 8); ++j, v >>= 4) id += hex[v & 15];
  }
  return id;
}

bool token_ok(std::string_view auth, std::string_view token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() != kBearer.size() + token.size()) return false;
  if (!beast::iequals(auth.substr(0, kBearer.size()), kBearer)) return false;
  return CRYPTO_memcmp(auth.data() + kBearer.size(), token.data(), token.size()) == 0;
}

// Appends "Name: value\r\n" unless the value could break the header block (CR/LF/NUL).
void append_field(std::string& out, std::string_view name, std::string_view value) {
  for (const char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return;
  }
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

bool has_field(const gateway::Headers& extra, std::string_view name) {
  for (const auto& [k, v] : extra) {
    if (beast::iequals(k, name)) return true;
  }
  return false;
}

void append_number(std::string& out, std::size_t n, int base = 10) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, base);
  out.append(buf, end);
}

// The client side of one request: whole or streamed (chunked) responses. The response head is
// written by hand into a reused buffer and sent together with the body in one gather write
// (Beast's fields and serializer cost an allocation per header and ~15k instructions per
// response); the framing is the same: Content-Length, or chunked for streams.
class HttpSink final : public gateway::ClientSink {
 public:
  HttpSink(beast::tcp_stream& stream, unsigned version, bool keep_alive,
           std::string_view request_id, std::chrono::milliseconds write_timeout)
      : stream_(stream),
        version_(version),
        keep_alive_(keep_alive),
        request_id_(request_id),
        write_timeout_(write_timeout) {}

  awaitable<void> respond(int status, std::string_view content_type, std::string body,
                          gateway::Headers extra = {}) override {
    start_head(status, content_type, extra);
    const bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    if (no_body) {
      body.clear();
    } else {
      head_.append("Content-Length: ");
      append_number(head_, body.size());
      head_.append("\r\n");
    }
    head_.append("\r\n");
    responded_ = true;
    stream_.expires_after(write_timeout_);
    const std::array<asio::const_buffer, 2> bufs{asio::buffer(head_), asio::buffer(body)};
    auto [ec, n] = co_await asio::async_write(stream_, bufs, as_tuple_awaitable);
    if (ec) gone_ = true;
  }

  awaitable<bool> begin_stream(int status, std::string_view content_type,
                               gateway::Headers extra = {}) override {
    start_head(status, content_type, extra);
    if (!has_field(extra, "cache-control")) append_field(head_, "Cache-Control", "no-cache");
    head_.append("Transfer-Encoding: chunked\r\n\r\n");
    responded_ = true;
    streaming_ = true;
    stream_.expires_after(write_timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(head_), as_tuple_awaitable);
    if (ec) gone_ = true;
    co_return !gone_;
  }

  // One chunk, framed in one buffer ("<hex size>\r\n<data>\r\n"): one send per event.
  awaitable<bool> write(std::string_view data) override {
    if (gone_) co_return false;
    if (data.empty()) co_return true;
    head_.clear();
    append_number(head_, data.size(), 16);
    head_.append("\r\n");
    head_.append(data);
    head_.append("\r\n");
    stream_.expires_after(write_timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(head_), as_tuple_awaitable);
    if (ec) gone_ = true;
    co_return !gone_;
  }

  awaitable<void> end_stream() override {
    if (gone_ || finished_) co_return;
    finished_ = true;
    stream_.expires_after(write_timeout_);
    static constexpr std::string_view kLast = "0\r\n\r\n";
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(kLast.data(), kLast.size()),
                                              as_tuple_awaitable);
    if (ec) gone_ = true;
  }

  // Completes when the peer closes while we are still working. Waits for readability without
  // consuming bytes; a readable socket with data (a pipelined request) is not a disconnect.
  awaitable<void> wait_disconnect() override {
    auto& sock = stream_.socket();
    // A peeking receive, not async_wait(wait_read): Asio queues a receive on a socket it already
    // watches for input without a system call, while every async_wait re-registers the socket
    // with epoll_ctl — one extra system call per request.
    char c;
    auto [ec, n] = co_await sock.async_receive(asio::buffer(&c, 1), tcp::socket::message_peek,
                                               as_tuple_awaitable);
    if (ec == asio::error::operation_aborted) co_return;  // the other branch finished first
    if (ec || n == 0) {
      gone_ = true;  // EOF or reset
      co_return;
    }
    // Pipelined data: no way to tell a disconnect any more; wait forever.
    asio::steady_timer forever(stream_.get_executor(), asio::steady_timer::time_point::max());
    co_await forever.async_wait(as_tuple_awaitable);
  }

  bool stream_started() const override { return streaming_; }
  bool client_gone() const override { return gone_; }
  bool responded() const { return responded_; }
  bool finished() const { return !streaming_ || finished_; }

 private:
  // Status line, the fixed fields (an `extra` field of the same name replaces one), `extra` and
  // the connection field, as Beast's keep_alive() would set it.
  void start_head(int status, std::string_view content_type, const gateway::Headers& extra) {
    head_.clear();
    head_.append(version_ >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    append_number(head_, static_cast<std::size_t>(status));
    head_.push_back(' ');
    const auto reason = http::obsolete_reason(static_cast<http::status>(status));
    head_.append(reason.data(), reason.size());
    head_.append("\r\n");
    if (!has_field(extra, "server")) head_.append("Server: kt\r\n");
    if (!has_field(extra, "content-type")) append_field(head_, "Content-Type", content_type);
    if (!has_field(extra, "x-request-id")) append_field(head_, "x-request-id", request_id_);
    for (const auto& [k, v] : extra) append_field(head_, k, v);
    if (version_ >= 11 && !keep_alive_) head_.append("Connection: close\r\n");
    if (version_ < 11 && keep_alive_) head_.append("Connection: keep-alive\r\n");
  }

  beast::tcp_stream& stream_;
  unsigned version_;
  bool keep_alive_;
  std::string_view request_id_;  // the session's, which outlives the sink
  std::chrono::milliseconds write_timeout_;
  std::string head_;
  bool responded_ = false;
  bool streaming_ = false;
  bool finished_ = false;
  bool gone_ = false;
};

// `?token=` on /dashboard only: a browser cannot send a header when it opens the page.
bool query_token_ok(std::string_view target, std::string_view token) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return false;
  // A NUL-terminated copy: Boost.URL 1.81's parse_query runs strlen on its argument even when
  // given an explicit length.
  const std::string query(target.substr(q + 1));
  auto params = boost::urls::parse_query(boost::core::string_view(query.data(), query.size()));
  if (!params) return false;
  for (auto p : *params) {
    if (p.key == "token") {
      const std::string v = p.value.decode();
      return v.size() == token.size() && CRYPTO_memcmp(v.data(), token.data(), v.size()) == 0;
    }
  }
  return false;
}

// Feeds the buffered bytes to the parser: up to the end of the header (`header_only`) or of the
// message. A need for more bytes is no error: the caller then reads from the socket with Beast,
// which continues from the parser's state.
boost::system::error_code parse_buffered(http::request_parser<http::string_body>& parser,
                                         beast::flat_buffer& buf, bool header_only) {
  boost::system::error_code ec;
  while (buf.size() > 0 && !(header_only ? parser.is_header_done() : parser.is_done())) {
    const std::size_t n = parser.put(buf.data(), ec);
    buf.consume(n);
    if (ec == http::error::need_more) return {};
    if (ec || n == 0) break;
  }
  return ec;
}

std::string_view strip_query(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

Server::Server(ServerOptions opts, gateway::Gateway& gw) : opts_(std::move(opts)), gw_(gw) {}

Server::~Server() { stop(); }

void Server::start() {
  int n = opts_.threads > 0 ? opts_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  const auto addr = asio::ip::make_address(opts_.host);
  std::uint16_t port = opts_.port;
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->acceptor = std::make_unique<tcp::acceptor>(w->ctx);
    tcp::endpoint ep{addr, port};
    w->acceptor->open(ep.protocol());
    w->acceptor->set_option(asio::socket_base::reuse_address(true));
    int one = 1;
    ::setsockopt(w->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    w->acceptor->bind(ep);  // throws on failure (address in use, permission)
    w->acceptor->listen(asio::socket_base::max_listen_connections);
    if (port == 0) port = w->acceptor->local_endpoint().port();  // others join the same port
    workers_.push_back(std::move(w));
  }
  bound_port_ = port;
  for (auto& w : workers_) {
    Worker* wp = w.get();
    asio::co_spawn(wp->ctx, accept_loop(*wp), asio::detached);
    wp->thread = std::thread([this, wp] {
      ::pthread_setname_np(::pthread_self(), "kt-worker");  // names show in top -H, perf, gdb
      observe::set_thread_shard(&wp->metrics);
      for (;;) {
        try {
          wp->ctx.run();
          break;
        } catch (const std::exception& e) {
          spdlog::error("worker: unhandled exception: {}", e.what());
        }
      }
    });
  }
}

std::uint16_t Server::port() const { return bound_port_; }

std::int64_t Server::in_flight() const {
  std::int64_t n = 0;
  for (const auto& w : workers_) n += w->in_flight.load(std::memory_order_relaxed);
  return n;
}

void Server::begin_drain() {
  if (draining_.exchange(true)) return;
  for (auto& w : workers_) {
    Worker* wp = w.get();
    asio::post(wp->ctx, [wp] {
      boost::system::error_code ec;
      wp->acceptor->close(ec);
      while (wp->idle.next != &wp->idle) {
        IdleLink& l = *wp->idle.next;
        l.stream->socket().close(ec);
        Worker::unlink_idle(l);
      }
    });
  }
}

void Server::stop() {
  for (auto& w : workers_) w->ctx.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

awaitable<void> Server::accept_loop(Worker& w) {
  for (;;) {
    auto [ec, sock] = co_await w.acceptor->async_accept(as_tuple_awaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || !w.acceptor->is_open()) co_return;
      // Out of descriptors or similar: back off briefly instead of spinning.
      asio::steady_timer t(w.ctx, std::chrono::milliseconds(50));
      co_await t.async_wait(as_tuple_awaitable);
      continue;
    }
    sock.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(w.ctx, session(w, std::move(sock)), asio::detached);
  }
}

awaitable<std::string> Server::scrape() {
  observe::MetricsShard merged;
  for (auto& w : workers_) {
    Worker* wp = w.get();
    // Copy each shard on its own thread: the request path never takes a lock.
    observe::MetricsShard copy = co_await asio::co_spawn(
        wp->ctx, [wp]() -> awaitable<observe::MetricsShard> { co_return wp->metrics; },
        use_awaitable);
    merged.merge(copy);
  }
  merged.in_flight_requests = in_flight();
  co_return observe::render_prometheus(merged, gw_.extra_metrics());
}

awaitable<void> Server::dispatch(gateway::Request& req, gateway::ClientSink& sink) {
  const std::string_view path = req.path;
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto method_not_allowed = [&]() -> awaitable<void> {
    std::string body = api::error_body(api::ErrorKind::method_not_allowed, "method " + std::string(req.method) + " is not allowed on " + std::string(path) + "; use GET");
    co_await sink.respond(405, "application/json", std::move(body), gateway::header("allow", "GET"));
  };
  if (path == "/healthz") {
    if (!get) co_return co_await method_not_allowed();
    co_await sink.respond(200, "application/json", R"({"status":"ok"})");
    co_return;
  }
  if (path == "/readyz") {
    if (!get) co_return co_await method_not_allowed();
    if (gw_.ready() && !draining_.load(std::memory_order_relaxed)) {
      co_await sink.respond(200, "application/json", R"({"status":"ready"})");
    } else {
      std::string body = api::error_body(api::ErrorKind::unavailable, draining_.load() ? "the gateway is shutting down" : "the configuration is not loaded yet");
      co_await sink.respond(503, "application/json", std::move(body));
    }
    co_return;
  }
  if (path == "/health") {
    if (!get) co_return co_await method_not_allowed();
    auto h = gw_.health(std::chrono::steady_clock::now() - started_);
    co_await sink.respond(200, "application/json", boost::json::serialize(h));
    co_return;
  }
  // Everything else needs the gateway token when one is configured.
  if (!opts_.api_token.empty() && !token_ok(req.header("authorization"), opts_.api_token) &&
      !(path == "/dashboard" && query_token_ok(req.target, opts_.api_token))) {
    co_await sink.respond(401, "application/json",
                          api::error_body(api::ErrorKind::authentication,
                                          "missing or invalid gateway token: send "
                                          "'Authorization: Bearer <token>'"),
                          gateway::header("www-authenticate", "Bearer"));
    co_return;
  }
  if (path == "/metrics") {
    if (!get) co_return co_await method_not_allowed();
    std::string text = co_await scrape();
    co_await sink.respond(200, "text/plain; version=0.0.4; charset=utf-8", std::move(text));
    co_return;
  }
  if (draining_.load(std::memory_order_relaxed) && path.starts_with("/v1/")) {
    co_await sink.respond(503, "application/json",
                          api::error_body(api::ErrorKind::unavailable, "the gateway is shutting down"),
                          gateway::header("retry-after", "1"));
    co_return;
  }
  co_await gw_.handle(req, sink);
}

awaitable<void> Server::session(Worker& w, tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buf;
  std::string client_ip;
  {
    boost::system::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) client_ip = ep.address().to_string();
  }
  struct IdleGuard {
    IdleLink link;
    ~IdleGuard() { Worker::unlink_idle(link); }
  } idle_guard{IdleLink{&stream}};

  bool linger = false;  // the client may still be sending a body we refused
  for (;;) {
    if (draining_.load(std::memory_order_relaxed)) break;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts_.header_limit));
    parser.body_limit(opts_.body_limit);

    // Wait for the next request: idle deadline until its first byte, then the header deadline.
    if (buf.size() == 0) {
      w.link_idle(idle_guard.link);
      stream.expires_after(opts_.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buf.prepare(2048), as_tuple_awaitable);
      Worker::unlink_idle(idle_guard.link);
      if (ec) break;
      buf.commit(n);
    }
    // Parse what already arrived (usually the whole request, from that one read); only an
    // incomplete header waits on the socket, with the header deadline.
    boost::system::error_code hec = parse_buffered(parser, buf, true);
    if (!hec && !parser.is_header_done()) {
      stream.expires_after(opts_.header_timeout);
      auto [rec, rn] = co_await http::async_read_header(stream, buf, parser, as_tuple_awaitable);
      hec = rec;
    }
    if (hec) {
      const std::string rid_early = make_request_id({});
      if (hec == http::error::body_limit) {
        // The declared Content-Length is over the limit (Beast checks it with the header).
        linger = true;
        HttpSink sink(stream, 11, false, rid_early, opts_.write_timeout);
        co_await sink.respond(413, "application/json",
                              api::error_body(api::ErrorKind::request_too_large,
                                              "request body exceeds the 10 MiB limit"));
      } else if (hec == http::error::header_limit) {
        HttpSink sink(stream, 11, false, rid_early, opts_.write_timeout);
        co_await sink.respond(431, "application/json",
                              api::error_body(api::ErrorKind::headers_too_large,
                                              "request headers exceed the 16 KiB limit"));
      } else if (hec != beast::error::timeout && hec != http::error::end_of_stream &&
                 hec != asio::error::eof && hec != asio::error::connection_reset &&
                 hec != asio::error::operation_aborted) {
        HttpSink sink(stream, 11, false, rid_early, opts_.write_timeout);
        std::string body = api::error_body(api::ErrorKind::validation, "malformed HTTP request: " + hec.message(), {}, "bad_request");
        co_await sink.respond(400, "application/json", std::move(body));
      }
      break;
    }

    auto& hreq = parser.get();
    const std::string request_id = make_request_id(hreq["x-request-id"]);
    // A declared body over the limit is refused before reading it.
    if (auto cl = parser.content_length(); cl && *cl > opts_.body_limit) {
      linger = true;
      HttpSink sink(stream, hreq.version(), false, request_id, opts_.write_timeout);
      co_await sink.respond(413, "application/json",
                            api::error_body(api::ErrorKind::request_too_large,
                                            "request body exceeds the 10 MiB limit"));
      break;
    }
    // A Transfer-Encoding other than exactly one "chunked" leaves the body length undefined
    // (RFC 9112 §6.3): refuse it and close, so that no body can be taken for a next request.
    if (hreq.count(http::field::transfer_encoding) > 1 ||
        (hreq.count(http::field::transfer_encoding) == 1 &&
         (!parser.chunked() || !beast::iequals(hreq[http::field::transfer_encoding], "chunked")))) {
      HttpSink sink(stream, hreq.version(), false, request_id, opts_.write_timeout);
      std::string body = api::error_body(api::ErrorKind::validation,
                                         "unsupported Transfer-Encoding: only 'chunked' is accepted",
                                         {}, "bad_request");
      co_await sink.respond(400, "application/json", std::move(body));
      break;
    }
    if (beast::iequals(hreq[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, hreq.version()};
      stream.expires_after(opts_.write_timeout);
      auto [cec, cn] = co_await http::async_write(stream, cont, as_tuple_awaitable);
      if (cec) break;
    }
    if (!parser.is_done()) {
      boost::system::error_code bec = parse_buffered(parser, buf, false);
      if (!bec && !parser.is_done()) {
        stream.expires_after(opts_.body_timeout);
        auto [rec, rn] = co_await http::async_read(stream, buf, parser, as_tuple_awaitable);
        bec = rec;
      }
      if (bec) {
        if (bec == http::error::body_limit) {
          linger = true;
          HttpSink sink(stream, hreq.version(), false, request_id, opts_.write_timeout);
          co_await sink.respond(413, "application/json",
                                api::error_body(api::ErrorKind::request_too_large,
                                                "request body exceeds the 10 MiB limit"));
        } else if (bec != beast::error::timeout && bec != asio::error::eof &&
                   bec != http::error::partial_message && bec != asio::error::connection_reset) {
          HttpSink sink(stream, hreq.version(), false, request_id, opts_.write_timeout);
          std::string body = api::error_body(api::ErrorKind::validation, "malformed HTTP request: " + bec.message(), {}, "bad_request");
          co_await sink.respond(400, "application/json", std::move(body));
        }
        break;
      }
    }
    stream.expires_never();

    const auto& req = parser.get();
    const bool keep_alive = req.keep_alive() && !draining_.load(std::memory_order_relaxed);
    HttpSink sink(stream, req.version(), keep_alive, request_id, opts_.write_timeout);
    gateway::Request greq;
    greq.method = req.method_string();
    greq.path = strip_query(req.target());
    greq.target = req.target();
    greq.body = req.body();
    greq.headers = &req.base();
    greq.request_id = request_id;
    greq.client_ip = client_ip;

    w.in_flight.fetch_add(1, std::memory_order_relaxed);
    bool failed = false;
    try {
      co_await dispatch(greq, sink);
    } catch (const std::exception& e) {
      spdlog::error("request {}: unhandled error: {}", request_id, e.what());
      failed = true;
    }
    if (failed && !sink.responded()) {
      co_await sink.respond(500, "application/json",
                            api::error_body(api::ErrorKind::internal, "internal gateway error"));
    }
    w.in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (sink.client_gone() || !sink.finished() || !keep_alive) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (linger) {
    // Read and drop what the client is still sending (bounded in time and size) so that it
    // sees our 413 instead of a reset. The buffer is on the heap: a local array would live in
    // every session's coroutine frame (16 KiB per connection).
    std::vector<char> discard(16384);
    std::size_t total = 0;
    stream.expires_after(std::chrono::seconds(2));
    while (total < 4 * opts_.body_limit) {
      auto [rec, n] = co_await stream.async_read_some(asio::buffer(discard.data(), discard.size()),
                                                      as_tuple_awaitable);
      if (rec) break;
      total += n;
    }
  }
  stream.socket().close(ec);
}

}  // namespace kt::server
