#include "http/target.h"

#include <boost/url/parse.hpp>

namespace kt::http {

bool parse_target(std::string_view url, Target& out) {
  auto parsed = boost::urls::parse_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return false;
  const boost::urls::url_view& u = *parsed;
  if (u.scheme_id() == boost::urls::scheme::https) {
    out.tls = true;
  } else if (u.scheme_id() == boost::urls::scheme::http) {
    out.tls = false;
  } else {
    return false;
  }
  if (!u.has_authority() || u.has_userinfo()) return false;
  const std::string_view host = u.encoded_host_address();
  if (host.empty() || host.find('%') != std::string_view::npos) return false;
  out.host = host;
  out.port = u.has_port() ? std::string_view(u.port()) : std::string_view(out.tls ? "443" : "80");
  unsigned number = 0;
  for (char c : out.port) {
    if (c < '0' || c > '9' || out.port.size() > 5) return false;
    number = number * 10 + static_cast<unsigned>(c - '0');
  }
  if (number == 0 || number > 65535) return false;
  out.port_number = static_cast<std::uint16_t>(number);
  out.host_header = u.encoded_host_and_port();
  // Path and query; the fragment is never sent. "http://h?q" (a query without a path) would need
  // a "/" inserted, which a view cannot do, so it is rejected.
  const std::string_view target = u.encoded_target();
  if (target.empty()) {
    out.path = "/";
  } else if (target.front() == '/') {
    out.path = target;
  } else {
    return false;
  }
  return true;
}

void make_pool_key(const Target& t, std::string_view ca_file, std::string& out) {
  out.clear();
  out.append(t.tls ? "https://" : "http://");
  out.append(t.host);
  out.push_back(':');
  out.append(t.port);
  if (!ca_file.empty()) {
    out.push_back('|');
    out.append(ca_file);
  }
}

}  // namespace kt::http
