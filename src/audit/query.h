// query.h — the read side used by `GET /keeptrusts/events` (the dashboard feed) and `kt events`.
//
// events_json returns {"events":[…newest first…],"count":N}; each event is the stored JSON with
// its hash. filter_from_params turns the endpoint's query parameters (verdict, target, model,
// reason, since, until, limit) into a Filter, or names the bad parameter in `error`.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/store.h"

namespace kt::audit {

inline constexpr std::size_t kMaxQueryLimit = 1000;

boost::json::value events_json(EventStore& store, const Filter& filter);

std::optional<Filter> filter_from_params(
    const std::vector<std::pair<std::string, std::string>>& params, std::int64_t now,
    std::string& error);

}  // namespace kt::audit
