// time_format.h — event timestamps: RFC 3339 UTC with milliseconds ("2026-01-02T03:04:05.678Z"),
// and the `--since` / `--until` forms of `kt events` (a duration back from now: 30s, 5m, 1h, 24h,
// 7d; or an RFC 3339 instant). Times are milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kt::audit {

std::int64_t now_ms();
std::string format_rfc3339_ms(std::int64_t ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff]" followed by "Z" or "+HH:MM"/"-HH:MM"; nullopt otherwise.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
// "5m" -> now - 5 minutes; an RFC 3339 instant -> that instant; nullopt when neither.
std::optional<std::int64_t> parse_since(std::string_view text, std::int64_t now);

}  // namespace kt::audit
