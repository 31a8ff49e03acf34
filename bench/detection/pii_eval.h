// pii_eval.h — span-level precision/recall of the PII scanner on the Presidio research
// synthetic dataset (data/presidio-research/synth_dataset_v2.json), shared by the pii_eval
// program and the unit test that guards the targets.
//
// A kt span counts as a true positive when it overlaps a labelled span of the mapped type; a kt
// span of an evaluated type overlapping no such label is a false positive; a label that no kt
// span of its type overlaps is a false negative.
#pragma once

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "scan/pii_scanner.h"

namespace kt::bench {

struct TypeScore {
  int labelled = 0;
  int found = 0;            // labelled spans overlapped by a kt span of the same type
  int true_positive = 0;    // kt spans overlapping a label of their type
  int false_positive = 0;
  double recall() const { return labelled == 0 ? 1.0 : static_cast<double>(found) / labelled; }
  double precision() const {
    int n = true_positive + false_positive;
    return n == 0 ? 1.0 : static_cast<double>(true_positive) / n;
  }
};

struct PiiEvaluation {
  std::map<std::string, TypeScore> by_type;  // keyed by the dataset's type name
  TypeScore overall;
  std::string errors;  // one line per miss / false positive, for tuning by reading
};

// kt entity -> dataset type name; entities not evaluated map to nothing.
inline const char* dataset_type(scan::PiiEntity e) {
  switch (e) {
    case scan::PiiEntity::credit_card: return "CREDIT_CARD";
    case scan::PiiEntity::phone: return "PHONE_NUMBER";
    case scan::PiiEntity::email: return "EMAIL_ADDRESS";
    case scan::PiiEntity::iban: return "IBAN_CODE";
    case scan::PiiEntity::us_ssn: return "US_SSN";
    case scan::PiiEntity::ip_address: return "IP_ADDRESS";
    default: return nullptr;
  }
}

// Throws std::runtime_error when the file cannot be read or parsed. Default scanner settings.
inline PiiEvaluation evaluate_pii(const std::string& dataset_path) {
  std::ifstream in(dataset_path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + dataset_path);
  std::stringstream buf;
  buf << in.rdbuf();
  boost::json::error_code ec;
  boost::json::value doc = boost::json::parse(buf.str(), ec);
  if (ec || !doc.is_array()) throw std::runtime_error(dataset_path + ": not a JSON array");

  static const char* kTypes[] = {"CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS",
                                 "IBAN_CODE",   "US_SSN",       "IP_ADDRESS"};
  PiiEvaluation ev;
  for (const char* t : kTypes) ev.by_type[t];
  scan::PiiScanner scanner(scan::PiiScanOptions{});
  std::vector<scan::PiiSpan> spans;
  struct Label { std::string type; std::size_t begin, end; bool hit = false; };
  for (const boost::json::value& rec : doc.as_array()) {
    const boost::json::object& o = rec.as_object();
    std::string_view text = o.at("full_text").as_string();
    // Labels count Unicode code points; kt spans count UTF-8 bytes.
    std::vector<std::size_t> byte_at;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) byte_at.push_back(i);
    }
    byte_at.push_back(text.size());
    auto to_byte = [&](const boost::json::value& v) {
      std::size_t cp = static_cast<std::size_t>(v.to_number<long>());
      return cp < byte_at.size() ? byte_at[cp] : text.size();
    };
    std::vector<Label> labels;
    for (const boost::json::value& sv : o.at("spans").as_array()) {
      const boost::json::object& s = sv.as_object();
      std::string type(s.at("entity_type").as_string());
      if (!ev.by_type.count(type)) continue;
      labels.push_back(Label{type, to_byte(s.at("start_position")), to_byte(s.at("end_position"))});
      ++ev.by_type[type].labelled;
    }
    scanner.find(text, spans);
    for (const scan::PiiSpan& sp : spans) {
      const char* type = dataset_type(sp.entity);
      if (type == nullptr) continue;
      bool tp = false;
      for (Label& l : labels) {
        if (l.type == type && sp.begin < l.end && l.begin < sp.end) {
          tp = true;
          l.hit = true;
        }
      }
      TypeScore& score = ev.by_type[type];
      (tp ? score.true_positive : score.false_positive)++;
      if (!tp) {
        ev.errors += "FP " + std::string(type) + " '" +
                     std::string(text.substr(sp.begin, sp.end - sp.begin)) + "'\n";
      }
    }
    for (const Label& l : labels) {
      if (l.hit) {
        ++ev.by_type[l.type].found;
      } else {
        ev.errors += "FN " + l.type + " '" + std::string(text.substr(l.begin, l.end - l.begin)) +
                     "'\n";
      }
    }
  }
  for (const auto& [type, s] : ev.by_type) {
    ev.overall.labelled += s.labelled;
    ev.overall.found += s.found;
    ev.overall.true_positive += s.true_positive;
    ev.overall.false_positive += s.false_positive;
  }
  return ev;
}

}  // namespace kt::bench
