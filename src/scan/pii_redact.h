// pii_redact.h — how a found entity is replaced in text, and redaction of a stream of text.
//
// Markers: `label` gives "[EMAIL]"; `asterisks` gives "****"; `partial` keeps the last 4
// characters ("****1234") of values of 8+ bytes and masks shorter ones whole. preserve_length
// makes the marker exactly as long as the value: label is padded with '*' (or replaced by '*'s
// when longer than the value), asterisks/partial mask every masked byte. A custom marker for
// the entity is used verbatim, whatever the format.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "scan/pii_scanner.h"

namespace kt::scan {

struct RedactionStyle {
  enum class Format { label, asterisks, partial };
  Format format = Format::label;
  bool preserve_length = false;
  std::array<std::string, kPiiEntityCount> custom_markers;  // "" = none
};

// The replacement for `value`, an entity of type `e`.
std::string pii_marker(std::string_view value, PiiEntity e, const RedactionStyle& style);

// Appends `text` to `out` with every span replaced by its marker (spans ordered, disjoint).
void redact_into(std::string_view text, const std::vector<PiiSpan>& spans,
                 const RedactionStyle& style, std::string& out);

using PiiCounts = std::array<int, kPiiEntityCount>;

// Redacts text that arrives in pieces and releases it as early as is safe.
//
// Why a rescanning window rather than Hyperscan's streaming mode: confirming a candidate needs
// its whole text and its neighbours (validators, boundaries, context words, CVV near a card,
// longest-span resolution), and a streaming match report says neither whether the match is
// complete nor whether a longer one is still forming. So each write() scans a small window —
// the unreleased text plus PiiScanner::kLookbehind bytes of released text for context — with the
// same block-mode scan as whole texts, and releases everything before the unsettled tail
// (PiiScanner::settled_prefix: the last token and the digit-group chain before it, bounded).
// Clean text is therefore released as soon as a whitespace ends its token; the concatenated
// output equals redacting the whole text at once whenever no entity is longer than the bound.
// Cost per write is O(window), and the window is bounded, so total cost is linear.
class PiiStreamRedactor {
 public:
  // Both must outlive the redactor.
  PiiStreamRedactor(const PiiScanner& scanner, const RedactionStyle& style)
      : scanner_(scanner), style_(style) {}

  void write(std::string_view in, std::string& out);
  void finish(std::string& out);  // releases the held tail

  const PiiCounts& counts() const { return counts_; }
  bool found_any() const { return found_; }

 private:
  void release(std::size_t cut, std::string& out);

  const PiiScanner& scanner_;
  const RedactionStyle& style_;
  std::string window_;            // released lookbehind, then the pending text
  std::size_t pending_begin_ = 0; // where the pending text starts in window_
  std::vector<PiiSpan> spans_;
  PiiCounts counts_{};
  bool found_ = false;
};

}  // namespace kt::scan
