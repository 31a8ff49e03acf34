// config_test_util.h — helpers shared by the config unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "config/diagnostic.h"

namespace kt::config::testing {

// A valid pack header to prefix fixtures with (3 lines).
inline const char* kPack = "pack: {name: t, version: 1.0.0, enabled: true}\n";

inline const Diagnostic* find_code(const std::vector<Diagnostic>& all, const std::string& code) {
  for (const auto& d : all) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

inline std::string codes(const std::vector<Diagnostic>& all) {
  std::string out;
  for (const auto& d : all) out += d.code + "@" + d.path + ": " + d.message + "\n";
  return out;
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_.c_str(), old_.c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

}  // namespace kt::config::testing
