// registry.h — policy kind -> factory. The built-in registry knows `prompt-injection`,
// `pii-detector` and `audit-logger`; a new policy kind is one factory plus one line in
// registry.cpp. A factory receives the whole Config and reads its own settings block, using the
// defaults when the block is absent. Registries are plain values: tests copy the built-in one and
// add kinds of their own.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "policies/policy.h"

namespace kt::policies {

class Registry {
 public:
  // May throw std::invalid_argument for settings it cannot use (e.g. a bad regex).
  using Factory = std::function<std::unique_ptr<Policy>(const config::Config&)>;

  static const Registry& builtin();

  void add(std::string kind, Factory factory);
  const Factory* find(std::string_view kind) const;  // nullptr when unknown
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, Factory, std::less<>> factories_;
};

}  // namespace kt::policies
