// checker.h — strict, typed reading of YAML maps for the section builders.
//
// Every read_* checks the value's type and range and records an E004 (with the node's position)
// instead of throwing; on error the output keeps its default. check_keys() records E002 for a key
// outside the allowed set, with a did-you-mean and the list of valid keys.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "config/yaml_tree.h"

namespace kt::config {

using Keys = std::vector<std::string_view>;

std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);

class Checker {
 public:
  explicit Checker(const std::vector<SourceDocument>& sources) : sources_(sources) {}

  void error(std::string code, const YAML::Node& at, std::string path, std::string message,
             std::string suggestion = "");
  void warning(std::string code, const YAML::Node& at, std::string path, std::string message,
               std::string suggestion = "");

  // True when `node` is a map (or null/absent, read as empty); records E002 for unknown and E004
  // for duplicate keys. False (with an E004) when it is some other type.
  bool check_keys(const YAML::Node& node, const std::string& path, const Keys& allowed);
  // A map's value for `key`, undefined when absent. Map must be a map or null.
  static YAML::Node get(const YAML::Node& map, std::string_view key);
  // Records an E004 "missing required key" when `key` is absent; returns whether it is present.
  bool require(const YAML::Node& map, std::string_view key, const std::string& path);

  // Each reads map[key] when present; returns true when present and valid.
  bool read_string(const YAML::Node& map, std::string_view key, const std::string& path,
                   std::string& out, std::size_t max_length = 4096);
  bool read_bool(const YAML::Node& map, std::string_view key, const std::string& path, bool& out);
  bool read_int(const YAML::Node& map, std::string_view key, const std::string& path, int& out,
                int min, int max);
  bool read_double(const YAML::Node& map, std::string_view key, const std::string& path,
                   double& out, double min, double max);
  bool read_enum(const YAML::Node& map, std::string_view key, const std::string& path,
                 std::string& out, const Keys& values);
  bool read_string_list(const YAML::Node& map, std::string_view key, const std::string& path,
                        std::vector<std::string>& out);

  // Scalar-level helpers for values that are not in a map (list items).
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path);

  std::vector<Diagnostic>& errors() { return errors_; }
  std::vector<Diagnostic>& warnings() { return warnings_; }

 private:
  Diagnostic make(std::string code, const YAML::Node& at, std::string path, std::string message,
                  std::string suggestion) const;

  const std::vector<SourceDocument>& sources_;
  std::vector<Diagnostic> errors_, warnings_;
};

}  // namespace kt::config
