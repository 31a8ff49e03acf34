#include "config/lint.h"

#include "config/loader.h"

namespace kt::config {
namespace {

LintReport report_from(std::string file, detail::Loaded loaded) {
  LintReport report;
  report.file = std::move(file);
  report.read_error = std::move(loaded.read_error);
  report.pack = std::move(loaded.config.pack);
  report.chain = std::move(loaded.config.policies.chain);
  report.errors = std::move(loaded.errors);
  report.warnings = std::move(loaded.warnings);
  return report;
}

void append_block(std::string& out, std::string_view severity, const Diagnostic& d) {
  out += "\n";
  out += severity;
  out += "[" + d.code + "]: " + d.message + "\n";
  std::string where = d.path.empty() ? d.file : d.path;
  if (d.line > 0) {
    where += (where.empty() ? "" : " ") + std::string("(line ") + std::to_string(d.line) +
             ", column " + std::to_string(d.column) + ")";
  }
  if (!where.empty()) out += "  --> " + where + "\n";
  if (!d.suggestion.empty()) out += "  help: " + d.suggestion + "\n";
}

boost::json::value diagnostic_json(const Diagnostic& d) {
  boost::json::object o;
  o["code"] = d.code;
  o["path"] = d.path;
  o["line"] = d.line > 0 ? boost::json::value(d.line) : boost::json::value(nullptr);
  o["column"] = d.column > 0 ? boost::json::value(d.column) : boost::json::value(nullptr);
  o["message"] = d.message;
  o["suggestion"] =
      d.suggestion.empty() ? boost::json::value(nullptr) : boost::json::value(d.suggestion);
  return o;
}

}  // namespace

LintReport lint_files(const std::vector<std::string>& files) {
  std::string label;
  for (const auto& f : files) label += (label.empty() ? "" : ", ") + f;
  std::vector<detail::Source> sources;
  std::string error;
  if (!detail::read_sources(files, sources, error)) {
    detail::Loaded failed;
    failed.read_error = std::move(error);
    return report_from(label, std::move(failed));
  }
  return report_from(label, detail::load_sources(sources));
}

LintReport lint_text(std::string_view yaml, std::string file_label) {
  std::string label = file_label;
  return report_from(std::move(label),
                     detail::load_sources({{std::move(file_label), std::string(yaml)}}));
}

std::string format_lint_text(const LintReport& report) {
  std::string out;
  if (!report.read_error.empty()) return "X " + report.read_error + "\n";
  if (report.valid()) {
    out += "OK " + report.file + " is valid\n";
    out += "Pack: " + report.pack.name + " (v" + report.pack.version + ")\n";
    std::string chain;
    for (const auto& kind : report.chain) chain += (chain.empty() ? "" : " -> ") + kind;
    out += "Chain: " + (chain.empty() ? std::string("(empty)") : chain) + "\n";
    out += "Policies validated: " + std::to_string(report.chain.size()) + "\n";
  } else {
    out += "X " + report.file + " has " + std::to_string(report.errors.size()) + " errors\n";
    for (const auto& d : report.errors) append_block(out, "error", d);
  }
  for (const auto& d : report.warnings) append_block(out, "warning", d);
  return out;
}

boost::json::value lint_json(const LintReport& report) {
  boost::json::object o;
  o["valid"] = report.valid();
  o["file"] = report.file;
  o["pack"] = {{"name", report.pack.name}, {"version", report.pack.version}};
  boost::json::array chain;
  for (const auto& kind : report.chain) chain.emplace_back(kind);
  o["chain"] = std::move(chain);
  o["policy_count"] = report.chain.size();
  boost::json::array errors, warnings;
  for (const auto& d : report.errors) errors.push_back(diagnostic_json(d));
  for (const auto& d : report.warnings) warnings.push_back(diagnostic_json(d));
  o["errors"] = std::move(errors);
  o["warnings"] = std::move(warnings);
  if (!report.read_error.empty()) o["read_error"] = report.read_error;
  return o;
}

}  // namespace kt::config
