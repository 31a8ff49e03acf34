// loader.h — loads policy-config.yaml files into an immutable Config (product-spec §3).
//
// Several files layer in order: maps merge key by key, lists and scalars of a later file replace
// the earlier ones. Validation is strict and collects every problem (diagnostic.h) instead of
// stopping at the first. `config` is set only when there are no errors; warnings never block.
// `read_error` is set when a file could not be read at all; then nothing was validated.
// A credential's environment variable is looked up here only to warn (W002); its value is not kept.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"

namespace kt::config {

struct LoadResult {
  ConfigPtr config;
  std::vector<Diagnostic> errors, warnings;
  std::string read_error;  // "cannot read 'x.yaml': No such file or directory"
  bool ok() const { return config != nullptr; }
};

LoadResult load_config(const std::vector<std::string>& files);
LoadResult load_config_text(std::string_view yaml, std::string file_label);

namespace detail {
// What load_config does, keeping the partly built Config even when there are errors (lint uses
// it to name the pack and chain of an invalid file).
struct Loaded {
  Config config;
  std::vector<Diagnostic> errors, warnings;
  std::string read_error;
};
struct Source {
  std::string file;
  std::string text;
};
Loaded load_sources(const std::vector<Source>& sources);
// Reads every file; on failure returns false and sets `error`.
bool read_sources(const std::vector<std::string>& files, std::vector<Source>& out,
                  std::string& error);
}  // namespace detail

}  // namespace kt::config
