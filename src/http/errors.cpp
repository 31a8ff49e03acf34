#include "http/errors.h"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <string>

namespace kt::http {

namespace {

namespace http = boost::beast::http;

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::connect:
      return "connecting";
    case Phase::tls:
      return "in the TLS handshake";
    case Phase::request:
      return "sending the request";
    case Phase::head:
      return "waiting for the response head";
    case Phase::body:
      return "reading the response body";
  }
  return "";
}

ClientError make(FailKind kind, const Target& t, std::string_view what) {
  std::string msg = "upstream ";
  msg.append(t.host_header);
  msg.append(": ");
  msg.append(what);
  return ClientError{kind, std::move(msg)};
}

}  // namespace

bool is_stale_connection_error(const boost::system::error_code& ec) {
  namespace ae = boost::asio::error;
  return ec == http::error::end_of_stream || ec == ae::eof || ec == ae::connection_reset ||
         ec == ae::broken_pipe || ec == boost::asio::ssl::error::stream_truncated;
}

ClientError describe_failure(const boost::system::error_code& ec, Phase phase, const Target& t) {
  const std::string where = phase_name(phase);
  if (ec == boost::beast::error::timeout) return make(FailKind::timeout, t, "timed out " + where);
  if (ec == boost::asio::error::operation_aborted) {
    return make(FailKind::canceled, t, "canceled " + where);
  }
  if (ec == http::error::body_limit) {
    return make(FailKind::too_large, t, "response body exceeds the size limit");
  }
  if (phase == Phase::connect) return make(FailKind::connect, t, ec.message());
  if (phase == Phase::tls) return make(FailKind::tls, t, "TLS handshake failed: " + ec.message());
  const bool truncated = ec == http::error::end_of_stream || ec == http::error::partial_message;
  if (!truncated && ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return make(FailKind::protocol, t, "malformed response (" + ec.message() + ")");
  }
  return make(FailKind::reset, t, "connection closed " + where + " (" + ec.message() + ")");
}

}  // namespace kt::http
