// replicate_urls.h — the SSRF guard for URLs that Replicate hands back (urls.get, urls.cancel,
// urls.stream, output files). The gateway follows such a URL only when its host is the base_url
// host (any port), a Replicate domain (*.replicate.com, *.replicate.net, *.replicate.delivery),
// or listed in the target's stream_hosts (`host`, `*.host`, optionally `:port`). Anything else is
// refused, so a compromised or spoofed upstream cannot aim the gateway at internal services.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kt::providers::replicate {

// Returns "" when the gateway may fetch `url`, else the reason it may not.
std::string check_followable(std::string_view url, std::string_view base_url,
                             const std::vector<std::string>& stream_hosts);

}  // namespace kt::providers::replicate
