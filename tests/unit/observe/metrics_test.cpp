#include "observe/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace kt::observe {
namespace {

TEST(Metrics, LabelsAreEscaped) {
  EXPECT_EQ(labels({{"a", "x"}, {"b", "q\"u\\o\nte"}}), R"(a="x",b="q\"u\\o\nte")");
}

TEST(Metrics, HistogramBucketsAreCumulativeInTheText) {
  MetricsShard m;
  auto& h = m.request_duration[labels({{"route", "/v1/chat/completions"}})];
  h.observe(0.00005);  // first bucket
  h.observe(0.003);    // le=0.005
  h.observe(100);      // only +Inf
  const std::string text = render_prometheus(m);
  EXPECT_NE(text.find("# TYPE keeptrusts_gateway_request_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(text.find(R"(keeptrusts_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="0.0001"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(keeptrusts_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="0.005"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(keeptrusts_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="60"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(keeptrusts_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="+Inf"} 3)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(keeptrusts_gateway_request_duration_seconds_count{route="/v1/chat/completions"} 3)"),
            std::string::npos);
}

TEST(Metrics, ShardsMerge) {
  MetricsShard a, b;
  a.requests_total[labels({{"target", "t"}, {"model", "m"}, {"status", "200"}})] = 2;
  b.requests_total[labels({{"target", "t"}, {"model", "m"}, {"status", "200"}})] = 3;
  b.requests_total[labels({{"target", "t"}, {"model", "m"}, {"status", "502"}})] = 1;
  a.in_flight_streams = 1;
  b.in_flight_streams = 2;
  a.merge(b);
  EXPECT_EQ(a.requests_total.size(), 2u);
  EXPECT_EQ(a.requests_total[labels({{"target", "t"}, {"model", "m"}, {"status", "200"}})], 5u);
  EXPECT_EQ(a.in_flight_streams, 3);
}

TEST(Metrics, CounterAndHistogramFindTheSameSeriesAsLabels) {
  MetricsShard m;
  ++counter(m.requests_total, {{"target", "t"}, {"model", "m"}, {"status", "200"}});
  ++counter(m.requests_total, {{"target", "t"}, {"model", "m"}, {"status", "200"}});
  ++counter(m.requests_total, {{"target", "t"}, {"model", "q\"x"}, {"status", "200"}});
  EXPECT_EQ(m.requests_total.size(), 2u);
  EXPECT_EQ(m.requests_total[labels({{"target", "t"}, {"model", "m"}, {"status", "200"}})], 2u);
  EXPECT_EQ(m.requests_total[labels({{"target", "t"}, {"model", "q\"x"}, {"status", "200"}})], 1u);
  histogram(m.upstream_ttfb, {{"target", "a"}}).observe(0.5);
  histogram(m.upstream_ttfb, {{"target", "a"}}).observe(0.7);
  EXPECT_EQ(m.upstream_ttfb.size(), 1u);
  EXPECT_EQ(m.upstream_ttfb[labels({{"target", "a"}})].count, 2u);
}

// Every non-comment line must be `name{labels} value` or `name value` in the text format.
TEST(Metrics, TextFormatIsWellFormed) {
  MetricsShard m;
  m.requests_total[labels({{"target", "a"}, {"model", "gpt"}, {"status", "200"}})] = 7;
  m.policy_evaluations_total[labels({{"policy", "pii-detector"}, {"verdict", "redact"}})] = 1;
  m.policy_duration[labels({{"policy", "pii-detector"}})].observe(0.00002);
  m.upstream_ttfb[labels({{"target", "a"}})].observe(1.5);
  m.fallbacks_total[labels({{"from", "a"}, {"to", "b"}})] = 1;
  const std::string text = render_prometheus(m);
  const std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+Inf-]+$)");
  const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) {
      EXPECT_TRUE(std::regex_match(line, comment)) << line;
    } else {
      EXPECT_TRUE(std::regex_match(line, sample)) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 20);
  EXPECT_NE(text.find(R"(keeptrusts_gateway_fallbacks_total{from="a",to="b"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace kt::observe
