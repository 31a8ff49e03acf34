// runtime.h — everything a request needs from one loaded config, built once per (re)load and
// immutable afterwards: the config, its policy chain, its router and the credentials read from
// the environment (held in memory only; never logged, serialised or sent anywhere but upstream).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "policies/chain.h"
#include "routing/router.h"

namespace kt::gateway {

struct Runtime {
  config::ConfigPtr config;
  std::unique_ptr<policies::PolicyChain> chain;
  std::unique_ptr<routing::Router> router;
  std::map<std::string, std::string> credentials;  // target id -> secret value
  std::int64_t loaded_at = 0;                       // unix seconds, for /v1/models `created`
};

}  // namespace kt::gateway
