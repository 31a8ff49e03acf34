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
boost::json::value yaml_to_json(const YAML::Node& node);

}  // namespace kt::config
