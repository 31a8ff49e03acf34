// injection_eval.h — the prompt-injection quality evaluation, shared by the `injection_eval`
// program and the unit test that asserts its targets.
//
// Data: attacks from giskard prompt_injections.csv (column `prompt`), benign texts from
// presidio-research synth_dataset_v2.json (`full_text`), our benign hard negatives and held-out
// attacks (one text per line, "\n" written as a backslash-n). Every text is sent as one user
// message through the policy with default settings; a text counts as flagged when the verdict is
// block.
#pragma once

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "policies/prompt_injection.h"

namespace kt::bench {

inline std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// RFC 4180 CSV (quoted fields may span lines); returns rows of fields.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& data) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (quoted) {
      if (c == '"' && i + 1 < data.size() && data[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field.push_back(c);
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(std::move(field));
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

inline std::vector<std::string> load_giskard_attacks(const std::string& path) {
  auto rows = parse_csv(read_whole_file(path));
  if (rows.empty()) throw std::runtime_error(path + ": empty");
  std::size_t col = rows[0].size();
  for (std::size_t i = 0; i < rows[0].size(); ++i) {
    if (rows[0][i] == "prompt") col = i;
  }
  if (col == rows[0].size()) throw std::runtime_error(path + ": no `prompt` column");
  std::vector<std::string> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (col < rows[r].size() && !rows[r][col].empty()) out.push_back(rows[r][col]);
  }
  return out;
}

inline std::vector<std::string> load_presidio_texts(const std::string& path) {
  auto doc = boost::json::parse(read_whole_file(path));
  std::vector<std::string> out;
  for (const auto& item : doc.as_array()) {
    out.emplace_back(item.at("full_text").as_string().c_str());
  }
  return out;
}

// One text per non-empty line; a literal backslash-n stands for a newline.
inline std::vector<std::string> load_lines(const std::string& path) {
  std::istringstream in(read_whole_file(path));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == 'n') {
        text.push_back('\n');
        ++i;
      } else {
        text.push_back(line[i]);
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

struct Rate {
  std::size_t flagged = 0, total = 0;
  std::vector<std::size_t> flagged_index, missed_index;
  double share() const { return total ? static_cast<double>(flagged) / total : 0; }
};

inline bool blocks(policies::Policy& policy, const std::string& text) {
  gateway::Exchange ex;
  boost::json::object msg{{"role", "user"}, {"content", text}};
  ex.body = boost::json::object{{"model", "m"}, {"messages", boost::json::array{msg}}};
  return policy.on_request(ex).verdict == gateway::Verdict::block;
}

inline Rate flag_rate(policies::Policy& policy, const std::vector<std::string>& texts) {
  Rate r;
  r.total = texts.size();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (blocks(policy, texts[i])) {
      ++r.flagged;
      r.flagged_index.push_back(i);
    } else {
      r.missed_index.push_back(i);
    }
  }
  return r;
}

struct InjectionEval {
  Rate giskard, heldout, presidio, hard_negatives;
};

inline InjectionEval run_injection_eval(const std::string& source_dir,
                                        const std::string& shared_dir) {
  auto policy = policies::make_prompt_injection(config::PromptInjectionSettings{});
  InjectionEval e;
  e.giskard = flag_rate(
      *policy, load_giskard_attacks(shared_dir + "/data/giskard-prompt-injections/prompt_injections.csv"));
  e.heldout = flag_rate(*policy, load_lines(source_dir + "/bench/detection/injection_heldout.txt"));
  e.presidio = flag_rate(
      *policy, load_presidio_texts(shared_dir + "/data/presidio-research/synth_dataset_v2.json"));
  e.hard_negatives =
      flag_rate(*policy, load_lines(source_dir + "/bench/detection/hard_negatives.txt"));
  return e;
}

}  // namespace kt::bench
