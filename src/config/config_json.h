// config_json.h — the active Config as JSON, for `GET /keeptrusts/config`.
//
// Credentials appear only as the name of their environment variable and whether it is set;
// no secret value is ever read or written here.
#pragma once

#include <boost/json/value.hpp>

#include "config/config.h"

namespace kt::config {

boost::json::value config_to_json(const Config& config);

}  // namespace kt::config
