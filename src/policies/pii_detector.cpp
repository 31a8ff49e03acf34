#include "policies/pii_detector.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "scan/pii_redact.h"
#include "scan/pii_scanner.h"

namespace kt::policies {
namespace {

namespace json = boost::json;
using scan::PiiCounts;
using scan::PiiEntity;
using scan::PiiSpan;

constexpr std::size_t kMaxLocations = 100;
constexpr const char* kReason = "pii.detected";

// What one phase found, over all the texts it scanned.
struct Tally {
  PiiCounts counts{};
  json::array locations;
  bool any = false;
};

scan::RedactionStyle make_style(const config::RedactionSettings& r) {
  scan::RedactionStyle style;
  if (r.marker_format == "label") {
    style.format = scan::RedactionStyle::Format::label;
  } else if (r.marker_format == "asterisks") {
    style.format = scan::RedactionStyle::Format::asterisks;
  } else if (r.marker_format == "partial") {
    style.format = scan::RedactionStyle::Format::partial;
  } else {
    throw std::invalid_argument("pii-detector: redaction.marker_format must be label, asterisks "
                                "or partial, not '" + r.marker_format + "'");
  }
  style.preserve_length = r.preserve_length;
  for (const auto& [entity, marker] : r.custom_markers) {
    style.custom_markers[static_cast<std::size_t>(scan::pii_entity_from_name(entity))] = marker;
  }
  return style;
}

scan::PiiScanOptions make_scan_options(const config::PiiDetectorSettings& s) {
  scan::PiiScanOptions o;
  o.pci_mode = s.pci_mode;
  o.healthcare_mode = s.healthcare_mode;
  o.entities = s.entities;
  o.custom_patterns = s.detect_patterns;
  return o;
}

json::object findings_of(const PiiCounts& counts, json::array* locations) {
  json::object entities;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) entities[scan::pii_entity_name(static_cast<PiiEntity>(i))] = counts[i];
  }
  json::object f;
  f["entities"] = std::move(entities);
  if (locations != nullptr) f["locations"] = std::move(*locations);
  return f;
}

std::string type_list(const PiiCounts& counts) {
  std::string list;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (!list.empty()) list += ", ";
    list += scan::pii_entity_name(static_cast<PiiEntity>(i));
  }
  return list;
}

class PiiDetector;

class PiiStreamFilter : public StreamFilter {
 public:
  PiiStreamFilter(const scan::PiiScanner& scanner, const scan::RedactionStyle& style, bool block)
      : redactor_(scanner, style), block_(block) {}
  void write(std::string_view in, std::string& out) override { redactor_.write(in, out); }
  void finish(std::string& out) override { redactor_.finish(out); }
  Decision decision() const override {
    Decision d;
    if (!redactor_.found_any()) return d;
    d.verdict = block_ ? Verdict::block : Verdict::redact;
    d.reason_code = kReason;
    if (block_) d.message = "Response blocked: PII detected (" + type_list(redactor_.counts()) + ")";
    d.findings = findings_of(redactor_.counts(), nullptr);
    return d;
  }

 private:
  scan::PiiStreamRedactor redactor_;
  bool block_;
};

class PiiDetector : public Policy {
 public:
  explicit PiiDetector(const config::PiiDetectorSettings& s)
      : scanner_(make_scan_options(s)),
        style_(make_style(s.redaction)),
        block_(s.action == "block"),
        scan_output_(s.scan_output),
        include_metadata_(s.redaction.include_metadata) {
    if (s.action != "block" && s.action != "redact") {
      throw std::invalid_argument("pii-detector: action must be redact or block, not '" +
                                  s.action + "'");
    }
  }

  std::string_view kind() const override { return "pii-detector"; }

  Decision on_request(Exchange& ex) override {
    Tally tally;
    if (json::object* body = ex.body.if_object()) {
      if (json::array* messages = field_array(*body, "messages")) {
        for (std::size_t i = 0; i < messages->size(); ++i) {
          if (json::object* m = (*messages)[i].if_object()) {
            scan_message(*m, "messages[" + std::to_string(i) + "]", tally);
          }
        }
      }
      for (const char* key : {"prompt", "input", "suffix"}) {
        if (json::value* v = body->if_contains(key)) scan_string_or_array(*v, key, tally);
      }
    }
    if (tally.any && !block_) ex.body_modified = true;
    return decide(tally, "Request");
  }

  Decision on_response(Exchange& ex, json::value& answer) override {
    if (!scan_output_) return {};
    Tally tally;
    json::object* root = answer.if_object();
    json::array* choices = root != nullptr ? field_array(*root, "choices") : nullptr;
    if (choices != nullptr) {
      for (std::size_t i = 0; i < choices->size(); ++i) {
        json::object* c = (*choices)[i].if_object();
        if (c == nullptr) continue;
        std::string path = "choices[" + std::to_string(i) + "]";
        if (json::value* m = c->if_contains("message"); m != nullptr && m->is_object()) {
          scan_message(m->as_object(), path + ".message", tally);
        }
        if (json::value* t = c->if_contains("text")) scan_text(*t, path + ".text", tally);
      }
    }
    return decide(tally, "Response");
  }

  std::unique_ptr<StreamFilter> on_stream(Exchange& ex) override {
    if (!scan_output_) return nullptr;
    return std::make_unique<PiiStreamFilter>(scanner_, style_, block_);
  }

 private:
  static json::array* field_array(json::object& o, const char* key) {
    json::value* v = o.if_contains(key);
    return v != nullptr ? v->if_array() : nullptr;
  }

  void scan_message(json::object& m, const std::string& path, Tally& tally) const {
    if (json::value* content = m.if_contains("content")) {
      if (json::array* parts = content->if_array()) {
        for (std::size_t j = 0; j < parts->size(); ++j) {
          json::object* part = (*parts)[j].if_object();
          if (part == nullptr) continue;
          if (json::value* text = part->if_contains("text")) {
            scan_text(*text, path + ".content[" + std::to_string(j) + "].text", tally);
          }
        }
      } else {
        scan_text(*content, path + ".content", tally);
      }
    }
    if (json::value* name = m.if_contains("name")) scan_text(*name, path + ".name", tally);
    if (json::array* calls = field_array(m, "tool_calls")) {
      for (std::size_t j = 0; j < calls->size(); ++j) {
        json::object* call = (*calls)[j].if_object();
        json::value* fn = call != nullptr ? call->if_contains("function") : nullptr;
        if (fn == nullptr || !fn->is_object()) continue;
        if (json::value* args = fn->as_object().if_contains("arguments")) {
          scan_text(*args, path + ".tool_calls[" + std::to_string(j) + "].function.arguments",
                    tally);
        }
      }
    }
    if (json::value* fc = m.if_contains("function_call"); fc != nullptr && fc->is_object()) {
      if (json::value* args = fc->as_object().if_contains("arguments")) {
        scan_text(*args, path + ".function_call.arguments", tally);
      }
    }
  }

  void scan_string_or_array(json::value& v, const std::string& path, Tally& tally) const {
    if (json::array* items = v.if_array()) {
      for (std::size_t i = 0; i < items->size(); ++i) {
        scan_text((*items)[i], path + "[" + std::to_string(i) + "]", tally);
      }
    } else {
      scan_text(v, path, tally);
    }
  }

  // Scans one JSON string (anything else is ignored) and, in redact mode, rewrites it.
  void scan_text(json::value& v, const std::string& path, Tally& tally) const {
    json::string* s = v.if_string();
    if (s == nullptr || s->empty()) return;
    thread_local std::vector<PiiSpan> spans;
    std::string_view text(*s);
    scanner_.find(text, spans);
    if (spans.empty()) return;
    tally.any = true;
    for (const PiiSpan& sp : spans) {
      ++tally.counts[static_cast<std::size_t>(sp.entity)];
      if (include_metadata_ && tally.locations.size() < kMaxLocations) {
        tally.locations.push_back(json::object{{"field", path},
                                               {"entity", scan::pii_entity_name(sp.entity)},
                                               {"start", sp.begin},
                                               {"end", sp.end}});
      }
    }
    if (block_) return;
    std::string redacted;
    redacted.reserve(text.size());
    scan::redact_into(text, spans, style_, redacted);
    *s = redacted;
  }

  Decision decide(Tally& tally, const char* what) const {
    Decision d;
    if (!tally.any) return d;
    d.verdict = block_ ? Verdict::block : Verdict::redact;
    d.reason_code = kReason;
    if (block_) d.message = std::string(what) + " blocked: PII detected (" + type_list(tally.counts) + ")";
    d.findings = findings_of(tally.counts, include_metadata_ ? &tally.locations : nullptr);
    return d;
  }

  scan::PiiScanner scanner_;
  scan::RedactionStyle style_;
  bool block_;
  bool scan_output_;
  bool include_metadata_;
};

}  // namespace

std::unique_ptr<Policy> make_pii_detector(const config::PiiDetectorSettings& settings) {
  try {
    return std::make_unique<PiiDetector>(settings);
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    if (msg.rfind("pii-detector", 0) == 0) throw;
    throw std::invalid_argument("pii-detector: " + msg);
  }
}

}  // namespace kt::policies
