#include "scan/pii_redact.h"

#include <algorithm>

namespace kt::scan {

std::string pii_marker(std::string_view value, PiiEntity e, const RedactionStyle& style) {
  const std::string& custom = style.custom_markers[static_cast<std::size_t>(e)];
  if (!custom.empty()) return custom;
  std::size_t n = value.size();
  switch (style.format) {
    case RedactionStyle::Format::label: {
      std::string label = "[" + std::string(pii_entity_name(e)) + "]";
      if (!style.preserve_length) return label;
      if (label.size() > n) return std::string(n, '*');
      label.append(n - label.size(), '*');
      return label;
    }
    case RedactionStyle::Format::partial:
      if (n >= 8) {
        std::string out(style.preserve_length ? n - 4 : 4, '*');
        out.append(value.substr(n - 4));
        return out;
      }
      break;
    case RedactionStyle::Format::asterisks: break;
  }
  return std::string(style.preserve_length ? n : 4, '*');
}

void redact_into(std::string_view text, const std::vector<PiiSpan>& spans,
                 const RedactionStyle& style, std::string& out) {
  std::size_t at = 0;
  for (const PiiSpan& s : spans) {
    out.append(text.substr(at, s.begin - at));
    out.append(pii_marker(text.substr(s.begin, s.end - s.begin), s.entity, style));
    at = s.end;
  }
  out.append(text.substr(at));
}

void PiiStreamRedactor::write(std::string_view in, std::string& out) {
  window_.append(in);
  std::string_view w(window_);
  std::size_t cut = std::max(scanner_.settled_prefix(w), pending_begin_);
  release(cut, out);
}

void PiiStreamRedactor::finish(std::string& out) { release(window_.size(), out); }

void PiiStreamRedactor::release(std::size_t cut, std::string& out) {
  if (cut <= pending_begin_) return;
  std::string_view w(window_);
  scanner_.candidates(w, spans_);
  // Entities already partly released (only possible beyond the hold-back bound) are left alone;
  // a confirmed candidate straddling the cut pulls the cut back to its start, so that the
  // overlap resolution of what is released cannot change when more text arrives.
  std::erase_if(spans_, [&](const PiiSpan& s) { return s.begin < pending_begin_; });
  for (bool moved = true; moved;) {
    moved = false;
    for (const PiiSpan& s : spans_) {
      if (s.begin < cut && s.end > cut && w.size() - s.begin <= PiiScanner::kMaxPemTail) {
        cut = s.begin;
        moved = true;
      }
    }
  }
  if (cut <= pending_begin_) return;
  std::erase_if(spans_, [&](const PiiSpan& s) { return s.end > cut; });
  PiiScanner::resolve(spans_);
  for (PiiSpan& s : spans_) {
    ++counts_[static_cast<std::size_t>(s.entity)];
    found_ = true;
    s.begin -= pending_begin_;
    s.end -= pending_begin_;
  }
  redact_into(w.substr(pending_begin_, cut - pending_begin_), spans_, style_, out);
  std::size_t keep_from = cut > PiiScanner::kLookbehind ? cut - PiiScanner::kLookbehind : 0;
  window_.erase(0, keep_from);
  pending_begin_ = cut - keep_from;
}

}  // namespace kt::scan
