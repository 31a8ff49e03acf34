#include "config/loader.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/checker.h"
#include "config/sections.h"

namespace kt::config {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 4 * 1024 * 1024;

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

// yaml-cpp's messages start with "yaml-cpp: error at line N, column M: "; the position is
// reported separately, so keep only the reason.
std::string syntax_reason(const YAML::ParserException& e) {
  return e.msg.empty() ? std::string("invalid YAML") : e.msg;
}

LoadResult finish(detail::Loaded loaded) {
  LoadResult result;
  result.errors = std::move(loaded.errors);
  result.warnings = std::move(loaded.warnings);
  result.read_error = std::move(loaded.read_error);
  if (result.errors.empty() && result.read_error.empty()) {
    result.config = std::make_shared<const Config>(std::move(loaded.config));
  }
  return result;
}

}  // namespace

namespace detail {

bool read_sources(const std::vector<std::string>& files, std::vector<Source>& out,
                  std::string& error) {
  if (files.empty()) {
    error = "no config file given";
    return false;
  }
  for (const auto& file : files) {
    std::error_code ec;
    auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(status)) {
      error = "cannot read '" + file + "': No such file or directory";
      return false;
    }
    if (!std::filesystem::is_regular_file(status)) {
      error = "cannot read '" + file + "': not a regular file";
      return false;
    }
    if (std::filesystem::file_size(file, ec) > kMaxFileBytes) {
      error = "cannot read '" + file + "': larger than 4 MiB";
      return false;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) {
      // An empty file reads nothing, which is not an error.
      if (in && std::filesystem::file_size(file, ec) == 0) {
        out.push_back({file, ""});
        continue;
      }
      error = "cannot read '" + file + "': " + std::strerror(errno);
      return false;
    }
    out.push_back({file, text.str()});
  }
  return true;
}

Loaded load_sources(const std::vector<Source>& sources) {
  Loaded loaded;
  std::vector<SourceDocument> documents;
  for (const auto& source : sources) {
    if (!parse_terminates(source.text)) {
      loaded.errors.push_back({"E005", "",
                               "YAML syntax error: the parser does not terminate on this text",
                               "Look for a ',' outside [ ] or { } at the top level; quote it or "
                               "remove it",
                               source.file, 0, 0});
      continue;
    }
    try {
      std::vector<YAML::Node> docs = YAML::LoadAll(source.text);
      if (docs.size() > 1) {
        // A second document would be silently ignored; layering is done with several files.
        loaded.errors.push_back({"E005", "",
                                 "The file holds " + std::to_string(docs.size()) +
                                     " YAML documents; a config file holds one",
                                 "Split it into files and pass each with --file (later ones "
                                 "layer over earlier ones)",
                                 source.file, docs[1].Mark().line + 1, 1});
        continue;
      }
      YAML::Node root = docs.empty() ? YAML::Node(YAML::NodeType::Null) : docs.front();
      if (root.IsNull() || !root.IsDefined()) root = YAML::Node(YAML::NodeType::Map);
      if (!within_limits(root)) {
        loaded.errors.push_back(
            {"E005", "",
             "The YAML nests deeper than " + std::to_string(kMaxYamlDepth) +
                 " levels or its aliases expand to more than " + std::to_string(kMaxYamlNodes) +
                 " nodes",
             "Check for an anchor used inside itself (a: &x [*x]) or aliases of aliases",
             source.file, 0, 0});
        continue;
      }
      documents.push_back({source.file, root});
    } catch (const YAML::ParserException& e) {
      Diagnostic d;
      d.code = "E005";
      d.message = "YAML syntax error: " + syntax_reason(e);
      d.suggestion = "Check indentation, quoting and brackets near this position";
      d.file = source.file;
      d.line = e.mark.is_null() ? 0 : e.mark.line + 1;
      d.column = e.mark.is_null() ? 0 : e.mark.column + 1;
      loaded.errors.push_back(std::move(d));
    } catch (const YAML::Exception& e) {
      loaded.errors.push_back({"E005", "", "YAML error: " + e.msg, "", source.file, 0, 0});
    }
  }
  if (!loaded.errors.empty()) return loaded;

  Checker check(documents);
  YAML::Node merged;
  for (const auto& doc : documents) {
    if (!doc.root.IsMap()) {
      check.error("E004", doc.root, "", "The top level of " + doc.file + " must be a map",
                  "Start with pack:, policies:, providers:");
      continue;
    }
    merged = merged.IsDefined() && merged.IsMap() ? merge_documents(merged, doc.root) : doc.root;
  }
  if (check.errors().empty()) {
    Config& config = loaded.config;
    for (const auto& s : sources) config.files.push_back(s.file);
    check.check_keys(merged, "",
                     {"pack", "policies", "policy", "providers", "testing", "audit",
                      "provider_fallback", "provider_routing"});
    build_pack(check, merged, config.pack);
    build_policies(check, merged, config.policies);
    build_providers(check, merged, config.providers);
    build_testing(check, merged, config.providers, config.testing);
    build_audit(check, merged, config.audit);
    // Hash the data, not its spelling: flow/block style and comments do not change it.
    config.hash = sha256_hex(boost::json::serialize(yaml_to_json(merged)));
  }
  loaded.errors = std::move(check.errors());
  loaded.warnings = std::move(check.warnings());
  // Report top to bottom, file by file, as a reader goes through them.
  auto file_index = [&](const std::string& file) {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (sources[i].file == file) return i;
    }
    return sources.size();
  };
  auto reading_order = [&](const Diagnostic& a, const Diagnostic& b) {
    return std::make_tuple(file_index(a.file), a.line, a.column) <
           std::make_tuple(file_index(b.file), b.line, b.column);
  };
  std::stable_sort(loaded.errors.begin(), loaded.errors.end(), reading_order);
  std::stable_sort(loaded.warnings.begin(), loaded.warnings.end(), reading_order);
  return loaded;
}

}  // namespace detail

LoadResult load_config(const std::vector<std::string>& files) {
  std::vector<detail::Source> sources;
  std::string error;
  if (!detail::read_sources(files, sources, error)) {
    LoadResult result;
    result.read_error = std::move(error);
    return result;
  }
  return finish(detail::load_sources(sources));
}

LoadResult load_config_text(std::string_view yaml, std::string file_label) {
  return finish(detail::load_sources({{std::move(file_label), std::string(yaml)}}));
}

}  // namespace kt::config
