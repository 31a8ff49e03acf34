#include "observe/dashboard/page.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <stdexcept>
#include <string>

namespace kt::observe::dashboard {

namespace {

struct Page {
  std::string html;
  std::string csp;
};

// Replaces the one occurrence of `marker` in `html`; a missing marker is a build defect.
void inline_at(std::string& html, std::string_view marker, std::string_view content) {
  const auto at = html.find(marker);
  if (at == std::string::npos) {
    throw std::logic_error("dashboard page: marker " + std::string(marker) + " is missing");
  }
  html.replace(at, marker.size(), content);
}

// 'sha256-<base64>' for a CSP script-src: the browser runs an inline script only if it hashes
// to one of these, so nothing injected into the page could run.
std::string csp_hash(std::string_view script) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  unsigned char b64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, digest, SHA256_DIGEST_LENGTH);
  return "'sha256-" + std::string(reinterpret_cast<const char*>(b64), n) + "'";
}

Page build() {
  Page p;
  p.html = std::string(kPageHtml);
  inline_at(p.html, "/*kt:uplot-css*/", kUplotCss);
  inline_at(p.html, "/*kt:page-css*/", kPageCss);
  inline_at(p.html, "/*kt:uplot-js*/", kUplotJs);
  inline_at(p.html, "/*kt:page-js*/", kPageJs);
  p.csp = "default-src 'none'; script-src " + csp_hash(kUplotJs) + " " + csp_hash(kPageJs) +
          "; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  return p;
}

const Page& the_page() {
  static const Page page = build();
  return page;
}

}  // namespace

std::string_view page() { return the_page().html; }

std::string_view content_security_policy() { return the_page().csp; }

}  // namespace kt::observe::dashboard
