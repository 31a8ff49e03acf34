#include "observe/metrics.h"

#include <fmt/format.h>

namespace kt::observe {

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  if (i < kBuckets.size()) ++buckets[i];
  ++count;
  sum += seconds;
}

void Histogram::merge(const Histogram& o) {
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
  count += o.count;
  sum += o.sum;
}

namespace {

void escape_into(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

template <class Map>
void merge_counters(Map& into, const Map& from) {
  for (const auto& [k, v] : from) into[k] += v;
}

void merge_histograms(Histograms& into, const Histograms& from) {
  for (const auto& [k, v] : from) into[k].merge(v);
}

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void counters(std::string& out, std::string_view name, std::string_view help,
              const Counters& m) {
  header(out, name, help, "counter");
  for (const auto& [k, v] : m) out += fmt::format("{}{{{}}} {}\n", name, k, v);
}

std::string join_labels(const Labels& base, std::string_view extra) {
  if (base.empty()) return std::string(extra);
  return base + "," + std::string(extra);
}

void histograms(std::string& out, std::string_view name, std::string_view help,
                const Histograms& m) {
  header(out, name, help, "histogram");
  for (const auto& [k, h] : m) {
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cum += h.buckets[i];
      out += fmt::format("{}_bucket{{{}}} {}\n", name,
                         join_labels(k, fmt::format("le=\"{}\"", kBuckets[i])), cum);
    }
    out += fmt::format("{}_bucket{{{}}} {}\n", name, join_labels(k, "le=\"+Inf\""), h.count);
    if (k.empty()) {
      out += fmt::format("{}_sum {}\n{}_count {}\n", name, h.sum, name, h.count);
    } else {
      out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, k, h.sum, name, k, h.count);
    }
  }
}

thread_local MetricsShard* t_shard = nullptr;

}  // namespace

namespace {

void append_labels(std::string& out, LabelList kv) {
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out += ',';
    out += k;
    out += "=\"";
    escape_into(out, v);
    out += '"';
  }
}

template <class Map>
typename Map::mapped_type& series(Map& m, LabelList kv) {
  thread_local std::string key;
  key.clear();
  append_labels(key, kv);
  auto it = m.find(std::string_view(key));
  if (it == m.end()) it = m.emplace(key, typename Map::mapped_type{}).first;
  return it->second;
}

}  // namespace

Labels labels(LabelList kv) {
  std::string out;
  append_labels(out, kv);
  return out;
}

std::uint64_t& counter(Counters& m, LabelList kv) { return series(m, kv); }
Histogram& histogram(Histograms& m, LabelList kv) { return series(m, kv); }

void MetricsShard::merge(const MetricsShard& o) {
  merge_counters(requests_total, o.requests_total);
  merge_histograms(request_duration, o.request_duration);
  merge_counters(policy_evaluations_total, o.policy_evaluations_total);
  merge_histograms(policy_duration, o.policy_duration);
  merge_histograms(upstream_ttfb, o.upstream_ttfb);
  merge_counters(fallbacks_total, o.fallbacks_total);
  merge_counters(upstream_attempts_total, o.upstream_attempts_total);
  in_flight_requests += o.in_flight_requests;
  in_flight_streams += o.in_flight_streams;
  requests_processed += o.requests_processed;
}

MetricsShard& shard() {
  if (!t_shard) {
    static thread_local MetricsShard fallback;
    t_shard = &fallback;
  }
  return *t_shard;
}

void set_thread_shard(MetricsShard* s) { t_shard = s; }

std::string render_prometheus(const MetricsShard& m, std::string_view extra) {
  std::string out;
  out.reserve(8192);
  counters(out, "keeptrusts_gateway_requests_total", "Requests by target, model and status.",
           m.requests_total);
  histograms(out, "keeptrusts_gateway_request_duration_seconds",
             "End-to-end request duration in the gateway.", m.request_duration);
  counters(out, "keeptrusts_gateway_policy_evaluations_total",
           "Policy evaluations by policy and verdict.", m.policy_evaluations_total);
  histograms(out, "keeptrusts_gateway_policy_duration_seconds", "Time spent in each policy.",
             m.policy_duration);
  histograms(out, "keeptrusts_gateway_upstream_ttfb_seconds",
             "Time to first byte from the upstream (cold starts show here).", m.upstream_ttfb);
  counters(out, "keeptrusts_gateway_fallbacks_total", "Fallbacks from one target to the next.",
           m.fallbacks_total);
  counters(out, "keeptrusts_gateway_upstream_attempts_total",
           "Upstream attempts by target and outcome.", m.upstream_attempts_total);
  header(out, "keeptrusts_gateway_in_flight_requests", "Requests being processed.", "gauge");
  out += fmt::format("keeptrusts_gateway_in_flight_requests {}\n", m.in_flight_requests);
  header(out, "keeptrusts_gateway_in_flight_streams", "Streaming responses in progress.", "gauge");
  out += fmt::format("keeptrusts_gateway_in_flight_streams {}\n", m.in_flight_streams);
  out += extra;
  return out;
}

}  // namespace kt::observe
