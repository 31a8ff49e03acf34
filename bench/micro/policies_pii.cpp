// Micro benchmarks of the pii-detector: per-request cost on a 2 KB chat request, scan
// throughput on clean text and on text with PII, and the same pattern shapes applied one by one
// with std::regex in the same run for comparison.
#include <benchmark/benchmark.h>

#include <regex>
#include <string>
#include <vector>

#include "policies/pii_detector.h"
#include "scan/pii_scanner.h"

namespace {

namespace json = boost::json;

const char* kProse =
    "The quarterly review covers shipping delays, supplier onboarding and the new returns "
    "policy. Please summarise the main risks for the team, list the open questions and suggest "
    "three next steps that we can discuss on Thursday. Keep the tone neutral and brief. ";

std::string text_of(std::size_t bytes, bool with_pii) {
  std::string t;
  int i = 0;
  while (t.size() < bytes) {
    t += kProse;
    if (with_pii && ++i % 2 == 0) {
      t += "Contact jane.roe@example.com or +1 202 555 0143, card 4111 1111 1111 1111, "
           "ssn 123-45-6789, host 10.0.0.1. ";
    }
  }
  t.resize(bytes);
  return t;
}

std::string chat_body(bool with_pii) {
  json::object body;
  body["model"] = "gpt-4o-mini";
  json::array messages;
  messages.push_back(json::object{{"role", "system"}, {"content", "You are a helpful assistant."}});
  messages.push_back(json::object{{"role", "user"}, {"content", text_of(1900, with_pii)}});
  body["messages"] = std::move(messages);
  return json::serialize(body);
}

void BM_PiiPolicyRequest2KB(benchmark::State& state) {
  auto policy = kt::policies::make_pii_detector(kt::config::PiiDetectorSettings{});
  std::string body = chat_body(state.range(0) != 0);
  json::value parsed = json::parse(body);
  // Redaction edits the body, so every request gets a fresh copy; copies are made in batches
  // with the timer paused (pausing around every request would cost more than the request).
  std::vector<kt::gateway::Exchange> batch(256);
  std::size_t next = batch.size();
  for (auto _ : state) {
    if (next == batch.size()) {
      state.PauseTiming();
      for (kt::gateway::Exchange& ex : batch) ex.body = parsed;
      next = 0;
      state.ResumeTiming();
    }
    kt::policies::Decision d = policy->on_request(batch[next++]);
    benchmark::DoNotOptimize(d);
  }
  state.SetLabel(state.range(0) != 0 ? "with PII" : "clean");
}
BENCHMARK(BM_PiiPolicyRequest2KB)->Arg(0)->Arg(1);

void BM_PiiScanThroughput(benchmark::State& state) {
  kt::scan::PiiScanner scanner{kt::scan::PiiScanOptions{}};
  std::string text = text_of(1 << 20, state.range(0) != 0);
  std::vector<kt::scan::PiiSpan> spans;
  for (auto _ : state) {
    scanner.find(text, spans);
    benchmark::DoNotOptimize(spans.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(state.range(0) != 0 ? "with PII" : "clean");
}
BENCHMARK(BM_PiiScanThroughput)->Arg(0)->Arg(1);

// The candidate shapes of the scanner, as std::regex (ECMAScript), one search pass each.
void BM_StdRegexSamePatterns(benchmark::State& state) {
  std::vector<std::regex> patterns;
  for (const char* p : {
           R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24})",
           R"(\+\d{1,3}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]?\d{1,6}){1,6})",
           R"((?:\(\d{1,5}\) ?|\d{1,5}[ .\-])(?:\d{1,8}[ .\-]){0,5}\d{2,8})",
           R"(\d{12,19})", R"(\d{4}[ \-]\d{4,6}[ \-]\d{4,5}(?:[ \-]\d{1,4}){0,2})",
           R"(\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4})", R"(\d{1,3}(?:\.\d{1,3}){3})",
           R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})", R"([A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30})",
           R"((?:AKIA|ASIA)[0-9A-Z]{16})", R"(sk-(?:proj-)?[A-Za-z0-9_\-]{20,})",
           R"((?:ghp|gho|ghs|ghu)_[A-Za-z0-9]{30,})", R"(xox[abpr]-[A-Za-z0-9\-]{10,})",
           R"(AIza[0-9A-Za-z_\-]{35})", R"(eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,})",
       }) {
    patterns.emplace_back(p, std::regex::optimize);
  }
  std::string text = text_of(64 << 10, state.range(0) != 0);
  for (auto _ : state) {
    std::size_t n = 0;
    for (const std::regex& re : patterns) {
      for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(state.range(0) != 0 ? "with PII" : "clean");
}
BENCHMARK(BM_StdRegexSamePatterns)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
