#include "fault.h"

#include <charconv>

namespace kt::mock {
namespace {

bool parse_int(std::string_view s, long long* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
}

template <typename T>
void take_if_set(T& into, const T& from, const T& unset) {
  if (from != unset) into = from;
}

}  // namespace

void Fault::merge(const Fault& o) {
  take_if_set(status, o.status, 0);
  if (o.retry_after) retry_after = o.retry_after;
  if (o.body) body = o.body;
  take_if_set(delay_headers_ms, o.delay_headers_ms, 0);
  if (o.stall_ms) {
    stall_ms = o.stall_ms;
    stall_after = o.stall_after;
  }
  take_if_set(reset_after, o.reset_after, -1);
  malformed_json = malformed_json || o.malformed_json;
  truncated_sse = truncated_sse || o.truncated_sse;
  take_if_set(huge, o.huge, -1LL);
  take_if_set(event_bytes, o.event_bytes, -1LL);
  take_if_set(slow_tokens_ms, o.slow_tokens_ms, -1);
  take_if_set(cold_start_ms, o.cold_start_ms, -1);
  take_if_set(token_delay_ms, o.token_delay_ms, -1);
  take_if_set(fail_after, o.fail_after, -1);
  take_if_set(sync_quirk, o.sync_quirk, -1);
}

std::optional<Fault> parse_fault(std::string_view spec, std::string* error) {
  Fault f;
  while (!spec.empty()) {
    std::string_view item;
    if (spec.substr(0, 5) == "body=") {  // the body takes the rest, commas included
      item = spec;
      spec = {};
    } else {
      auto comma = spec.find(',');
      item = spec.substr(0, comma);
      spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    }
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    long long n = 0;
    auto need_int = [&](long long max) {
      if (!parse_int(value, &n) || n > max) {
        *error = "fault item '" + std::string(item) + "' needs an integer value in 0.." +
                 std::to_string(max);
        return false;
      }
      return true;
    };
    constexpr long long kMaxMs = 600000;
    if (key == "status") {
      if (!need_int(599)) return std::nullopt;
      if (n < 100) {
        *error = "fault status must be an HTTP status code (100..599)";
        return std::nullopt;
      }
      f.status = static_cast<int>(n);
    } else if (key == "retry_after") {
      if (value.empty()) {
        *error = "fault item retry_after needs a value";
        return std::nullopt;
      }
      f.retry_after = std::string(value);
    } else if (key == "body") {
      f.body = std::string(value);
    } else if (key == "delay_headers") {
      if (!need_int(kMaxMs)) return std::nullopt;
      f.delay_headers_ms = static_cast<int>(n);
    } else if (key == "stall") {
      if (!need_int(kMaxMs)) return std::nullopt;
      f.stall_ms = static_cast<int>(n);
    } else if (key == "after") {
      if (!need_int(1000000)) return std::nullopt;
      f.stall_after = static_cast<int>(n);
    } else if (key == "reset_after") {
      if (!need_int(1000000)) return std::nullopt;
      f.reset_after = static_cast<int>(n);
    } else if (key == "malformed_json" && value.empty()) {
      f.malformed_json = true;
    } else if (key == "truncated_sse" && value.empty()) {
      f.truncated_sse = true;
    } else if (key == "huge") {
      if (!need_int(64LL * 1024 * 1024 * 1024)) return std::nullopt;
      f.huge = n;
    } else if (key == "event_bytes") {
      if (!need_int(1024LL * 1024 * 1024)) return std::nullopt;
      f.event_bytes = n;
    } else if (key == "slow_tokens") {
      if (!need_int(kMaxMs)) return std::nullopt;
      f.slow_tokens_ms = static_cast<int>(n);
    } else if (key == "cold_start") {
      if (!need_int(kMaxMs)) return std::nullopt;
      f.cold_start_ms = static_cast<int>(n);
    } else if (key == "token_delay") {
      if (!need_int(kMaxMs)) return std::nullopt;
      f.token_delay_ms = static_cast<int>(n);
    } else if (key == "fail_after") {
      if (!need_int(1000000)) return std::nullopt;
      f.fail_after = static_cast<int>(n);
    } else if (key == "sync_quirk") {
      if (!need_int(1)) return std::nullopt;
      f.sync_quirk = static_cast<int>(n);
    } else {
      *error =
          "unknown fault item '" + std::string(item) +
          "' (known: status, retry_after, body, delay_headers, stall, after, reset_after, "
          "malformed_json, truncated_sse, huge, event_bytes, slow_tokens, cold_start, token_delay, "
          "fail_after, sync_quirk)";
      return std::nullopt;
    }
  }
  return f;
}

ModelFault split_model_fault(std::string_view model) {
  constexpr std::string_view kPrefix = "mock-fault/";
  constexpr std::string_view kSuffix = "@fault=";
  if (model.substr(0, kPrefix.size()) == kPrefix) {
    return {std::string(model), std::string(model.substr(kPrefix.size()))};
  }
  auto at = model.find(kSuffix);
  if (at != std::string_view::npos) {
    return {std::string(model.substr(0, at)), std::string(model.substr(at + kSuffix.size()))};
  }
  return {std::string(model), {}};
}

void FaultQueue::push(std::string pattern, std::string spec, Fault fault, int count) {
  std::lock_guard lock(mu_);
  entries_.push_back({std::move(pattern), std::move(spec), std::move(fault), count});
  size_.store(entries_.size(), std::memory_order_release);
}

std::optional<Fault> FaultQueue::take(std::string_view path) {
  if (size_.load(std::memory_order_acquire) == 0) return std::nullopt;
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    std::string_view p = it->pattern;
    bool match = !p.empty() && p.back() == '*'
                     ? path.substr(0, p.size() - 1) == p.substr(0, p.size() - 1)
                     : path == p;
    if (!match) continue;
    Fault f = it->fault;
    if (--it->remaining <= 0) entries_.erase(it);
    size_.store(entries_.size(), std::memory_order_release);
    return f;
  }
  return std::nullopt;
}

void FaultQueue::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
  size_.store(0, std::memory_order_release);
}

boost::json::array FaultQueue::describe() const {
  std::lock_guard lock(mu_);
  boost::json::array out;
  for (const auto& e : entries_) {
    out.push_back({{"path", e.pattern}, {"fault", e.spec}, {"remaining", e.remaining}});
  }
  return out;
}

}  // namespace kt::mock
