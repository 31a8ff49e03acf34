// lint.h — `kt policy lint`: validate config files without starting anything, and render the
// result as the text or JSON of product-spec §2.
//
// Exit codes: 0 valid (warnings allowed), 2 invalid, 1 could not run (a file missing/unreadable;
// read_error says why and belongs on stderr).
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"

namespace kt::config {

struct LintReport {
  std::string file;  // the file(s) linted, as given ("a.yaml, b.yaml" when layered)
  std::string read_error;
  Pack pack;                       // as far as it could be read
  std::vector<std::string> chain;  // the valid kinds of policies.chain
  std::vector<Diagnostic> errors, warnings;
  bool valid() const { return read_error.empty() && errors.empty(); }
  int exit_code() const { return !read_error.empty() ? 1 : errors.empty() ? 0 : 2; }
};

LintReport lint_files(const std::vector<std::string>& files);
LintReport lint_text(std::string_view yaml, std::string file_label);

// "OK x.yaml is valid\nPack: ...\n" or "X x.yaml has N errors\n\nerror[E001]: ...\n".
std::string format_lint_text(const LintReport& report);
// {"valid","file","pack":{name,version},"chain","policy_count","errors","warnings"}
boost::json::value lint_json(const LintReport& report);

}  // namespace kt::config
