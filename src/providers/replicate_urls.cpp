#include "providers/replicate_urls.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

#include "config/provider_catalog.h"

namespace kt::providers::replicate {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// `pattern` is `host` or `*.host` (subdomains only), optionally followed by `:port`.
bool host_matches(std::string_view pattern, std::string_view host, std::string_view port) {
  std::string p = lower(pattern);
  std::string_view want_port;
  if (auto colon = p.rfind(':'); colon != std::string::npos && p.find(']') == std::string::npos) {
    want_port = std::string_view(p).substr(colon + 1);
    p.resize(colon);
  }
  if (!want_port.empty() && want_port != port) return false;
  if (p.rfind("*.", 0) == 0) {
    std::string_view suffix = std::string_view(p).substr(1);  // ".host"
    return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
  }
  return host == p;
}

}  // namespace

std::string check_followable(std::string_view url, std::string_view base_url,
                             const std::vector<std::string>& stream_hosts) {
  auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return "Replicate returned a malformed URL";
  std::string scheme = lower(parsed->scheme());
  if (scheme != "http" && scheme != "https") {
    return "Replicate returned a URL with scheme '" + scheme + "'";
  }
  if (parsed->has_userinfo()) return "Replicate returned a URL with credentials in it";
  std::string host = lower(parsed->encoded_host());
  if (host.empty()) return "Replicate returned a URL without a host";
  if (auto base = boost::urls::parse_absolute_uri(boost::core::string_view(base_url.data(), base_url.size()));
      base && lower(base->encoded_host()) == host) {
    return {};
  }
  std::string_view port = parsed->port();
  if (const auto* defaults = config::provider_defaults("replicate")) {
    // Replicate's own domains: the apex too (files are served from replicate.delivery itself).
    for (std::string_view pattern : defaults->stream_hosts) {
      std::string_view apex = pattern.substr(pattern.rfind("*.", 0) == 0 ? 2 : 0);
      if (host == apex || host_matches(pattern, host, {})) return {};
    }
  }
  for (const auto& pattern : stream_hosts) {
    if (host_matches(pattern, host, port)) return {};
  }
  return "Replicate returned a URL on host '" + host +
         "', which is neither the base_url host, a Replicate domain, nor in stream_hosts";
}

}  // namespace kt::providers::replicate
