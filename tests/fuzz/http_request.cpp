// fuzz_http_request — the front end's request path up to the pipeline: Boost.Beast's request
// parser with kt's limits (ServerOptions: header 16 KiB, body 10 MiB), fed in fuzzer-chosen
// pieces like reads from a socket, then what the server and gateway do with a parsed request
// (src/server/server.cpp session/dispatch, src/gateway/gateway.cpp handle): the declared length
// check, the query string, the x-request-id and Authorization headers, the route table and, for
// the API routes, the OpenAI request decoder.
//
// The server's session is one coroutine on a socket, so its parsing is reproduced here with the
// same parser type and settings; the decoders are kt's own. Up to 4 pipelined requests are read
// from one input, as on a keep-alive connection. A second pass with tiny limits (64-byte body,
// 512-byte header) drives the 413/431 paths.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url.hpp>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "api/errors.h"
#include "api/request.h"
#include "gateway/request.h"
#include "server/server.h"

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct Feed {
  std::string_view input;
  const std::vector<std::size_t>& pieces;
  std::size_t next = 0;
  // The next "read" from the socket; empty at end of stream.
  std::string_view read() {
    const std::size_t n =
        next < pieces.size() ? std::min(pieces[next++], input.size()) : input.size();
    const std::string_view piece = input.substr(0, std::max<std::size_t>(n, input.empty() ? 0 : 1));
    input.remove_prefix(piece.size());
    return piece;
  }
};

enum class Step { ok, eof, error };

// Runs the parser until `done` holds, pulling pieces from the feed as Beast's read loop does.
template <class Done>
Step pump(http::request_parser<http::string_body>& parser, beast::flat_buffer& buf, Feed& feed,
          beast::error_code& ec, Done done) {
  while (!done()) {
    if (buf.size() > 0) {
      const std::size_t used = parser.put(buf.data(), ec);
      buf.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
      } else if (ec) {
        return Step::error;
      } else {
        continue;
      }
    }
    const std::string_view piece = feed.read();
    if (piece.empty()) {
      if (parser.got_some()) {
        parser.put_eof(ec);
        if (ec) return Step::error;
        continue;
      }
      return Step::eof;
    }
    const auto space = buf.prepare(piece.size());
    std::memcpy(space.data(), piece.data(), piece.size());
    buf.commit(piece.size());
  }
  return Step::ok;
}

void after_parse(const http::request<http::string_body>& req) {
  kt::gateway::Request greq;
  greq.method = req.method_string();
  greq.target = req.target();
  const auto q = greq.target.find('?');
  greq.path = q == std::string_view::npos ? greq.target : greq.target.substr(0, q);
  greq.body = req.body();
  greq.headers = &req.base();
  (void)greq.header("authorization");
  (void)greq.header("x-request-id");
  (void)beast::iequals(req[http::field::expect], "100-continue");
  (void)req.keep_alive();
  if (q != std::string_view::npos) {
    // As the server (query_token_ok) and the events feed do: a NUL-terminated copy, because
    // Boost.URL 1.81's parse_query runs strlen on its argument whatever length it is given.
    // This target found that over-read in its first seconds.
    const std::string query(greq.target.substr(q + 1));
    if (auto params = boost::urls::parse_query(boost::core::string_view(query.data(), query.size()))) {
      for (auto p : *params) {
        (void)p.key.decode();
        (void)p.value.decode();
      }
    }
  }
  struct ApiRoute {
    std::string_view path;
    kt::api::Endpoint endpoint;
  };
  static constexpr ApiRoute kApi[] = {
      {"/v1/chat/completions", kt::api::Endpoint::chat},
      {"/v1/completions", kt::api::Endpoint::completion},
      {"/v1/embeddings", kt::api::Endpoint::embedding},
      {"/v1/images/generations", kt::api::Endpoint::image},
  };
  for (const auto& r : kApi) {
    if (greq.path != r.path || greq.method != "POST") continue;
    kt::api::DecodedRequest dr;
    kt::api::DecodeError de;
    if (!kt::api::decode_request(r.endpoint, greq.body, dr, de)) {
      (void)kt::api::error_body(kt::api::ErrorKind::validation, de.message);
    }
    return;
  }
  const std::string message =
      "no route for " + std::string(greq.method) + " " + std::string(greq.path);
  (void)kt::api::error_body(kt::api::ErrorKind::not_found, message);
}

void session(std::string_view input, const std::vector<std::size_t>& pieces,
             std::size_t header_limit, std::size_t body_limit) {
  Feed feed{input, pieces};
  beast::flat_buffer buf;
  for (int n = 0; n < 4; ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(header_limit));
    parser.body_limit(body_limit);
    beast::error_code ec;
    if (pump(parser, buf, feed, ec, [&] { return parser.is_header_done(); }) != Step::ok) return;
    if (auto cl = parser.content_length(); cl && *cl > body_limit) return;  // 413
    parser.eager(true);
    if (pump(parser, buf, feed, ec, [&] { return parser.is_done(); }) != Step::ok) return;
    const auto& req = parser.get();
    if (req.body().size() > body_limit) std::abort();
    after_parse(req);
    if (!req.keep_alive()) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  std::vector<std::size_t> pieces(fdp.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (auto& p : pieces) p = fdp.ConsumeIntegralInRange<std::size_t>(1, 1024);
  const std::string input = fdp.ConsumeRemainingBytesAsString();

  const kt::server::ServerOptions defaults;
  session(input, pieces, defaults.header_limit, defaults.body_limit);
  session(input, pieces, 512, 64);
  return 0;
}
