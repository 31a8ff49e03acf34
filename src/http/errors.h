// errors.h — maps Asio/Beast error codes onto ClientError. Messages name only host:port and the
// phase (never paths, queries, headers or bodies: stream URLs and headers may carry secrets).
#pragma once

#include <boost/system/error_code.hpp>

#include "http/client.h"
#include "http/target.h"

namespace kt::http {

enum class Phase { connect, tls, request, head, body };

ClientError describe_failure(const boost::system::error_code& ec, Phase phase, const Target& t);

// True for the errors a server's close of an idle keep-alive connection produces on our next
// write or first read (EOF, reset, broken pipe, truncated TLS).
bool is_stale_connection_error(const boost::system::error_code& ec);

}  // namespace kt::http
