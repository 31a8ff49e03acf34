// yaml_tree.h — the YAML plumbing of the loader: layering documents, locating a node (file, line,
// column) for diagnostics, and converting YAML values to JSON.
//
// Layering: maps merge key by key, recursively; anything else (lists, scalars) in a later document
// replaces the earlier value. The merged tree shares nodes with the source documents, so a
// node's position and file can still be found.
#pragma once

#include <yaml-cpp/yaml.h>

#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace kt::config {

YAML::Node merge_documents(const YAML::Node& base, const YAML::Node& overlay);

struct SourceDocument {
  std::string file;
  YAML::Node root;
};

struct NodePosition {
  std::string file;
  int line = 0, column = 0;  // 1-based; 0 = unknown
};

// Where `node` came from. A map built by merging has no mark of its own; its first key stands in.
NodePosition locate(const YAML::Node& node, const std::vector<SourceDocument>& sources);

// Plain scalars become bool/int/double/null where YAML 1.2 core says so; quoted ones stay strings.
// A number too large for a double stays a string (validation then rejects it where a number is
// expected). Call it only on trees that passed within_limits().
boost::json::value yaml_to_json(const YAML::Node& node);

// yaml-cpp 0.7 never returns from parsing a document whose top level holds a ',' outside brackets
// (",", "\"x\",", "[a]\n,"): it emits null nodes forever, allocating until memory runs out.
// False when a parse of `text` emits more events than its length can account for. Syntax errors
// are left to YAML::LoadAll to report.
bool parse_terminates(const std::string& text);

// Aliases let a small document stand for a cyclic (`a: &x [*x]`) or exponentially large
// ("billion laughs") tree, and every walk of the config (checks, layering, JSON conversion)
// expands them. True when the tree, aliases expanded, nests at most kMaxYamlDepth levels and has
// at most kMaxYamlNodes nodes; the walk itself stops at those bounds.
inline constexpr int kMaxYamlDepth = 64;
inline constexpr std::size_t kMaxYamlNodes = 200000;
bool within_limits(const YAML::Node& root);

}  // namespace kt::config
