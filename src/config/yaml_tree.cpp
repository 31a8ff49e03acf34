#include "config/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>

#include <cctype>
#include <charconv>
#include <sstream>

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

bool digits(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i > start;
}

// YAML 1.2 core schema numbers, matched by hand (std::regex recurses once per character and
// overflowed the stack on a scalar of a few ten thousand digits).
// int: [-+]?[0-9]+
bool is_integer(std::string_view s) {
  std::size_t i = !s.empty() && (s[0] == '-' || s[0] == '+');
  return digits(s, i) && i == s.size();
}
// float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_real(std::string_view s) {
  std::size_t i = !s.empty() && (s[0] == '-' || s[0] == '+');
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits(s, i)) return false;
  } else {
    if (!digits(s, i)) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits(s, i);
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits(s, i)) return false;
  }
  return i == s.size();
}

bool walk_within(const YAML::Node& node, int depth, std::size_t& budget) {
  if (depth > kMaxYamlDepth || budget == 0) return false;
  --budget;
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (!walk_within(kv.first, depth + 1, budget) || !walk_within(kv.second, depth + 1, budget)) {
        return false;
      }
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!walk_within(item, depth + 1, budget)) return false;
    }
  }
  return true;
}

// Counts parse events and gives up beyond a budget (see parse_terminates).
class EventBudget final : public YAML::EventHandler {
 public:
  struct Exhausted {};
  explicit EventBudget(std::size_t limit) : left_(limit) {}
  void OnDocumentStart(const YAML::Mark&) override { spend(); }
  void OnDocumentEnd() override { spend(); }
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { spend(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { spend(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    spend();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    spend();
  }
  void OnSequenceEnd() override { spend(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    spend();
  }
  void OnMapEnd() override { spend(); }

 private:
  void spend() {
    if (left_ == 0) throw Exhausted{};
    --left_;
  }
  std::size_t left_;
};

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
      const char* first = s.data() + (!s.empty() && s[0] == '+');
      const char* last = s.data() + s.size();
      if (is_integer(s)) {
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(first, last, v);
        if (ec == std::errc() && end == last) return v;
      }
      if (is_real(s)) {
        // std::stod threw std::out_of_range on 1e999; from_chars reports it instead.
        double v = 0;
        auto [end, ec] = std::from_chars(first, last, v);
        if (ec == std::errc() && end == last) return v;
      }
      return boost::json::string(s);
    }
    default:
      return nullptr;
  }
}

bool parse_terminates(const std::string& text) {
  // Every event stands for at least one token, and a token for at least one character; the
  // slack covers the document start and end events of an empty text.
  std::istringstream in(text);
  YAML::Parser parser(in);
  EventBudget budget(4 * text.size() + 64);
  try {
    while (parser.HandleNextDocument(budget)) {
    }
  } catch (const EventBudget::Exhausted&) {
    return false;
  } catch (const YAML::Exception&) {
  }
  return true;
}

bool within_limits(const YAML::Node& root) {
  std::size_t budget = kMaxYamlNodes;
  return walk_within(root, 0, budget);
}

}  // namespace kt::config
