// fuzz_config_loader — policy-config YAML text → Config + lint diagnostics (src/config).
//
// The input is the YAML text. Its last byte (consumed by FuzzedDataProvider from the end) picks
// the mode: lint one file, or layer two files split at a fuzzer-chosen offset (maps merge, lists
// replace). Every rendering of the result runs too (lint text, lint JSON, /keeptrusts/config
// JSON), and the invariants of loader.h are checked: a file lint finds valid loads into a Config,
// and every diagnostic has a code and a message.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config_json.h"
#include "config/lint.h"
#include "config/loader.h"

namespace {

void check_diagnostics(const std::vector<kt::config::Diagnostic>& ds) {
  for (const auto& d : ds) {
    if (d.code.empty() || d.message.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const bool layered = size > 0 && (data[size - 1] & 1);
  if (layered) fdp.ConsumeIntegral<std::uint8_t>();
  const std::size_t split = layered ? fdp.ConsumeIntegral<std::uint16_t>() : 0;
  const std::string text = fdp.ConsumeRemainingBytesAsString();

  if (!layered) {
    const kt::config::LintReport report = kt::config::lint_text(text, "fuzz.yaml");
    check_diagnostics(report.errors);
    check_diagnostics(report.warnings);
    if (report.exit_code() != (report.errors.empty() ? 0 : 2)) std::abort();
    (void)kt::config::format_lint_text(report);
    (void)boost::json::serialize(kt::config::lint_json(report));

    // A valid file loads into a Config (the second load costs time, so only then).
    if (report.valid()) {
      const kt::config::LoadResult loaded = kt::config::load_config_text(text, "fuzz.yaml");
      if (!loaded.ok() || !loaded.errors.empty()) std::abort();
      (void)boost::json::serialize(kt::config::config_to_json(*loaded.config));
    }
    return 0;
  }

  const std::size_t cut = text.empty() ? 0 : split % (text.size() + 1);
  std::vector<kt::config::detail::Source> sources = {{"base.yaml", text.substr(0, cut)},
                                                     {"overlay.yaml", text.substr(cut)}};
  const kt::config::detail::Loaded loaded = kt::config::detail::load_sources(sources);
  check_diagnostics(loaded.errors);
  check_diagnostics(loaded.warnings);
  if (loaded.errors.empty()) (void)boost::json::serialize(kt::config::config_to_json(loaded.config));
  return 0;
}
