#include "config/checker.h"

#include <charconv>
#include <cmath>
#include <set>

#include "config/suggest.h"

namespace kt::config {
namespace {

const char* type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

}  // namespace

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

Diagnostic Checker::make(std::string code, const YAML::Node& at, std::string path,
                         std::string message, std::string suggestion) const {
  NodePosition pos = locate(at, sources_);
  Diagnostic d;
  d.code = std::move(code);
  d.path = std::move(path);
  d.message = std::move(message);
  d.suggestion = std::move(suggestion);
  d.file = pos.file.empty() && !sources_.empty() ? sources_.back().file : pos.file;
  d.line = pos.line;
  d.column = pos.column;
  return d;
}

void Checker::error(std::string code, const YAML::Node& at, std::string path, std::string message,
                    std::string suggestion) {
  errors_.push_back(
      make(std::move(code), at, std::move(path), std::move(message), std::move(suggestion)));
}

void Checker::warning(std::string code, const YAML::Node& at, std::string path, std::string message,
                      std::string suggestion) {
  warnings_.push_back(
      make(std::move(code), at, std::move(path), std::move(message), std::move(suggestion)));
}

bool Checker::check_keys(const YAML::Node& node, const std::string& path, const Keys& allowed) {
  if (!node.IsDefined() || node.IsNull()) return true;
  if (!node.IsMap()) {
    error("E004", node, path, "'" + path + "' must be a map, not " + type_name(node));
    return false;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    std::string key_path = child_path(path, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string help = did_you_mean(key, allowed);
      help += (help.empty() ? "" : " ") + std::string("Valid keys: ") + join_names(allowed);
      error("E002", kv.first, key_path, "Unknown key '" + key + "'", help);
    } else if (!seen.insert(key).second) {
      error("E004", kv.first, key_path, "Duplicate key '" + key + "'",
            "Give each key once; later files, not repeated keys, override values");
    }
  }
  return true;
}

YAML::Node Checker::get(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool Checker::require(const YAML::Node& map, std::string_view key, const std::string& path) {
  if (get(map, key).IsDefined()) return true;
  error("E004", map, child_path(path, key), "Missing required key '" + std::string(key) + "'");
  return false;
}

std::optional<std::string> Checker::scalar(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) return node.Scalar();
  error("E004", node, path, "'" + path + "' must be a single value, not " + type_name(node));
  return std::nullopt;
}

bool Checker::read_string(const YAML::Node& map, std::string_view key, const std::string& path,
                          std::string& out, std::size_t max_length) {
  YAML::Node node = get(map, key);
  if (!node.IsDefined()) return false;
  std::string p = child_path(path, key);
  auto value = scalar(node, p);
  if (!value) return false;
  if (value->size() > max_length) {
    error("E004", node, p,
          "'" + p + "' is " + std::to_string(value->size()) + " characters long; the limit is " +
              std::to_string(max_length));
    return false;
  }
  out = *value;
  return true;
}

bool Checker::read_bool(const YAML::Node& map, std::string_view key, const std::string& path,
                        bool& out) {
  YAML::Node node = get(map, key);
  if (!node.IsDefined()) return false;
  std::string p = child_path(path, key);
  const std::string& s = node.IsScalar() ? node.Scalar() : "";
  if (s == "true" || s == "True" || s == "TRUE") {
    out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    out = false;
  } else {
    error("E004", node, p, "'" + p + "' must be true or false, not '" + s + "'");
    return false;
  }
  return true;
}

bool Checker::read_int(const YAML::Node& map, std::string_view key, const std::string& path,
                       int& out, int min, int max) {
  YAML::Node node = get(map, key);
  if (!node.IsDefined()) return false;
  std::string p = child_path(path, key);
  std::string range = " (" + std::to_string(min) + " to " + std::to_string(max) + ")";
  const std::string& s = node.IsScalar() ? node.Scalar() : "";
  long long value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    error("E004", node, p, "'" + p + "' must be a whole number" + range + ", not '" + s + "'");
    return false;
  }
  if (value < min || value > max) {
    error("E004", node, p,
          "'" + p + "' is " + s + "; it must be between " + std::to_string(min) + " and " +
              std::to_string(max));
    return false;
  }
  out = static_cast<int>(value);
  return true;
}

bool Checker::read_double(const YAML::Node& map, std::string_view key, const std::string& path,
                          double& out, double min, double max) {
  YAML::Node node = get(map, key);
  if (!node.IsDefined()) return false;
  std::string p = child_path(path, key);
  const std::string& s = node.IsScalar() ? node.Scalar() : "";
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    error("E004", node, p, "'" + p + "' must be a number, not '" + s + "'");
    return false;
  }
  if (value < min || value > max) {
    auto fmt = [](double d) {
      std::string t = std::to_string(d);
      t.erase(t.find_last_not_of('0') + 1);
      if (t.back() == '.') t.pop_back();
      return t;
    };
    error("E004", node, p,
          "'" + p + "' is " + s + "; it must be between " + fmt(min) + " and " + fmt(max));
    return false;
  }
  out = value;
  return true;
}

bool Checker::read_enum(const YAML::Node& map, std::string_view key, const std::string& path,
                        std::string& out, const Keys& values) {
  YAML::Node node = get(map, key);
  if (!node.IsDefined()) return false;
  std::string p = child_path(path, key);
  auto value = scalar(node, p);
  if (!value) return false;
  if (std::find(values.begin(), values.end(), *value) == values.end()) {
    std::string help = did_you_mean(*value, values);
    help += (help.empty() ? "" : " ") + std::string("Valid values: ") + join_names(values);
    error("E004", node, p, "'" + p + "' has invalid value '" + *value + "'", help);
    return false;
  }
  out = *value;
  return true;
}

bool Checker::read_string_list(const YAML::Node& map, std::string_view key, const std::string& path,
                               std::vector<std::string>& out) {
  YAML::Node node = get(map, key);
  if (!node.IsDefined()) return false;
  std::string p = child_path(path, key);
  if (node.IsNull()) {
    out.clear();
    return true;
  }
  if (!node.IsSequence()) {
    error("E004", node, p, "'" + p + "' must be a list, not " + type_name(node));
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto value = scalar(node[i], index_path(p, i));
    if (value) {
      values.push_back(*value);
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

}  // namespace kt::config
