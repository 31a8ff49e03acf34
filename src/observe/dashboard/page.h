// page.h — the events dashboard (product-spec §7) as one self-contained HTML page.
//
// The page's HTML, CSS and JS (src/observe/dashboard/) and the uPlot chart library are embedded
// at build time (dashboard.cmake). page() inlines them into one document, so the page needs
// nothing but the gateway's own /keeptrusts/events and /health; content_security_policy()
// allows exactly that: the two inline scripts by hash, inline styles, same-origin fetches.
#pragma once

#include <string_view>

namespace kt::observe::dashboard {

// The embedded files, byte for byte (defined in the generated dashboard_assets.cpp).
extern const std::string_view kPageHtml, kPageCss, kPageJs, kUplotJs, kUplotCss;

// The assembled page; built on first use (thread-safe), then shared.
std::string_view page();

// The Content-Security-Policy header value that goes with page().
std::string_view content_security_policy();

}  // namespace kt::observe::dashboard
