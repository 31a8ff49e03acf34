// metrics.h — Prometheus metrics without locks on the request path.
//
// Each worker thread owns one MetricsShard and updates it with plain (non-atomic) arithmetic.
// A scrape asks every worker, on its own thread, for a copy of its shard (message passing through
// the worker's io_context — see server/), merges the copies and renders the text format. Label
// values are bounded by the caller (served models and configured target ids only).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kt::observe {

// Latency buckets in seconds: 100 µs .. 60 s (covers in-process policies and cold starts).
inline constexpr std::array<double, 16> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                    0.005,  0.01,    0.025,  0.05,  0.1,
                                                    0.25,   0.5,     1,      2.5,   10, 60};

struct Histogram {
  std::array<std::uint64_t, kBuckets.size()> buckets{};  // non-cumulative counts
  std::uint64_t count = 0;
  double sum = 0;
  void observe(double seconds);
  void merge(const Histogram& o);
};

// Label sets are rendered once into a key such as `target="a",model="m",status="200"`.
using Labels = std::string;
using LabelList = std::initializer_list<std::pair<std::string_view, std::string_view>>;
Labels labels(LabelList kv);

// Maps with heterogeneous lookup, so the request path finds an existing series by a key
// rendered into a reused per-thread buffer, without allocating (counter() / histogram()).
using Counters = std::map<Labels, std::uint64_t, std::less<>>;
using Histograms = std::map<Labels, Histogram, std::less<>>;

struct MetricsShard {
  Counters requests_total;             // target, model, status
  Histograms request_duration;         // route
  Counters policy_evaluations_total;   // policy, verdict
  Histograms policy_duration;          // policy
  Histograms upstream_ttfb;            // target
  Counters fallbacks_total;            // from, to
  Counters upstream_attempts_total;    // target, outcome
  std::int64_t in_flight_requests = 0;
  std::int64_t in_flight_streams = 0;
  std::uint64_t requests_processed = 0;

  void merge(const MetricsShard& o);
};

// The series of `m` for the label set `kv`, created (zero) on first use; m[labels(kv)] without
// building a string once the series exists.
std::uint64_t& counter(Counters& m, LabelList kv);
Histogram& histogram(Histograms& m, LabelList kv);

// The current thread's shard (set by the worker when it starts; a default one otherwise).
MetricsShard& shard();
void set_thread_shard(MetricsShard* s);

// Renders the merged shard in the Prometheus text exposition format (version 0.0.4).
std::string render_prometheus(const MetricsShard& merged, std::string_view extra = {});

}  // namespace kt::observe
