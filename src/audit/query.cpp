#include "audit/query.h"

#include <charconv>

#include "audit/time_format.h"

namespace kt::audit {

boost::json::value events_json(EventStore& store, const Filter& filter) {
  Filter f = filter;
  if (f.limit == 0 || f.limit > kMaxQueryLimit) f.limit = kMaxQueryLimit;
  boost::json::array events;
  for (StoredEvent& e : store.query(f)) events.push_back(std::move(e.event));
  const std::size_t count = events.size();
  return boost::json::object{{"events", std::move(events)}, {"count", count}};
}

std::optional<Filter> filter_from_params(
    const std::vector<std::pair<std::string, std::string>>& params, std::int64_t now,
    std::string& error) {
  Filter f;
  for (const auto& [key, value] : params) {
    if (key == "verdict") {
      if (value != "allow" && value != "block" && value != "redact" && value != "escalate") {
        error = "verdict must be allow, block, redact or escalate";
        return std::nullopt;
      }
      f.verdict = value;
    } else if (key == "target") {
      f.target = value;
    } else if (key == "model") {
      f.model = value;
    } else if (key == "reason" || key == "reason_code") {
      f.reason_code = value;
    } else if (key == "since" || key == "until") {
      const auto t = parse_since(value, now);
      if (!t) {
        error = key + " must be a duration (30s, 5m, 1h, 7d) or an RFC 3339 time";
        return std::nullopt;
      }
      (key == "since" ? f.since_ms : f.until_ms) = *t;
    } else if (key == "limit") {
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || p != value.data() + value.size() || n == 0 ||
          n > kMaxQueryLimit) {
        error = "limit must be a number from 1 to " + std::to_string(kMaxQueryLimit);
        return std::nullopt;
      }
      f.limit = n;
    } else {
      error = "unknown parameter '" + key +
              "' (expected verdict, target, model, reason, since, until, limit)";
      return std::nullopt;
    }
  }
  return f;
}

}  // namespace kt::audit
