// target.h — the parts of an upstream URL the client needs: scheme, host, port, the Host header
// and the origin-form request target. All views point into the URL string the caller keeps alive
// for the duration of the call, so parsing allocates nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kt::http {

struct Target {
  bool tls = false;
  std::string_view host;  // name or address, without IPv6 brackets
  std::string_view port;  // decimal, never empty
  std::uint16_t port_number = 0;
  std::string_view host_header;  // host[:port] as written in the URL
  std::string_view path;         // path and query, "/" when the URL has none
};

// Parses an absolute http:// or https:// URL; false for anything else, and for URLs with user
// info (credentials do not belong in upstream URLs).
bool parse_target(std::string_view url, Target& out);

// The pool key: connections are shared only between requests with the same scheme, host, port
// and trust anchors (a private CA verifies differently from the system store).
void make_pool_key(const Target& t, std::string_view ca_file, std::string& out);

}  // namespace kt::http
