#include "config/yaml_tree.h"

#include <charconv>
#include <regex>

namespace kt::config {
namespace {

bool contains(const YAML::Node& tree, const YAML::Node& target) {
  if (tree.is(target)) return true;
  if (tree.IsMap()) {
    for (const auto& kv : tree) {
      if (contains(kv.first, target) || contains(kv.second, target)) return true;
    }
  } else if (tree.IsSequence()) {
    for (const auto& item : tree) {
      if (contains(item, target)) return true;
    }
  }
  return false;
}

// The node whose mark describes `node`: itself, or for a merged map its first key.
YAML::Node marked(const YAML::Node& node) {
  if (!node.Mark().is_null() || !node.IsMap() || node.size() == 0) return node;
  return node.begin()->first;
}

}  // namespace

YAML::Node merge_documents(const YAML::Node& base, const YAML::Node& overlay) {
  if (!base.IsMap() || !overlay.IsMap()) return overlay;
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  for (const auto& kv : base) entries.emplace_back(kv.first, kv.second);
  for (const auto& kv : overlay) {
    auto same_key = [&](const auto& entry) {
      return entry.first.IsScalar() && kv.first.IsScalar() &&
             entry.first.Scalar() == kv.first.Scalar();
    };
    auto it = std::find_if(entries.begin(), entries.end(), same_key);
    if (it == entries.end()) {
      entries.emplace_back(kv.first, kv.second);
    } else {
      // The overlay's key: a diagnostic about this entry then points at the file that set it.
      it->first = kv.first;
      it->second = merge_documents(it->second, kv.second);
    }
  }
  YAML::Node merged(YAML::NodeType::Map);
  for (auto& [key, value] : entries) merged[key] = value;
  return merged;
}

NodePosition locate(const YAML::Node& node, const std::vector<SourceDocument>& sources) {
  NodePosition pos;
  if (!node.IsDefined()) return pos;
  YAML::Node anchor = marked(node);
  if (!anchor.Mark().is_null()) {
    pos.line = anchor.Mark().line + 1;
    pos.column = anchor.Mark().column + 1;
  }
  if (sources.size() == 1) {
    pos.file = sources.front().file;
    return pos;
  }
  // Later documents win a merge, so search them first.
  for (auto it = sources.rbegin(); it != sources.rend(); ++it) {
    if (contains(it->root, anchor)) {
      pos.file = it->file;
      break;
    }
  }
  return pos;
}

boost::json::value yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      boost::json::object obj;
      for (const auto& kv : node) obj[kv.first.Scalar()] = yaml_to_json(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      boost::json::array arr;
      for (const auto& item : node) arr.push_back(yaml_to_json(item));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return boost::json::string(s);  // quoted: always a string
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
      static const std::regex integer("[-+]?[0-9]+");
      static const std::regex real("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
      if (std::regex_match(s, integer)) {
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), v);
        if (ec == std::errc() && end == s.data() + s.size()) return v;
      }
      if (std::regex_match(s, real)) return std::stod(s);
      return boost::json::string(s);
    }
    default:
      return nullptr;
  }
}

}  // namespace kt::config
