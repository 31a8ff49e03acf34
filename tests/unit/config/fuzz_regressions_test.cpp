// Inputs found by fuzzing the config loader (tests/fuzz/config_loader.cpp): each one crashed or
// hung `kt policy lint`, `kt gateway run` and a SIGHUP reload before the fix.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "config/lint.h"
#include "config/loader.h"
#include "config/yaml_tree.h"
#include "config_test_util.h"

namespace kt::config {
namespace {

using testing::codes;
using testing::find_code;
using testing::kPack;

// `&x [*x]`: an anchor used inside itself made a cyclic tree; converting it to JSON recursed
// until the stack overflowed.
TEST(FuzzRegressions, SelfReferencingAnchorIsASyntaxErrorNotAStackOverflow) {
  auto r = load_config_text("a: &x [*x]\n", "t.yaml");
  EXPECT_FALSE(r.ok());
  const Diagnostic* e = find_code(r.errors, "E005");
  ASSERT_NE(e, nullptr) << codes(r.errors);
  EXPECT_EQ(e->file, "t.yaml");
  EXPECT_NE(e->message.find("aliases"), std::string::npos) << e->message;

  LintReport lint = lint_text(std::string(kPack) + "policies: &p {chain: [*p]}\n", "t.yaml");
  EXPECT_EQ(lint.exit_code(), 2) << codes(lint.errors);
}

// "Billion laughs": nine levels of ten aliases stand for 10^9 nodes; every walk of the config
// expanded them (the fuzzer's input took minutes and gigabytes).
TEST(FuzzRegressions, ExponentialAliasExpansionIsRefusedQuickly) {
  std::string yaml = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    yaml += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", " : "") + prev;
    yaml += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = load_config_text(yaml, "t.yaml");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(find_code(r.errors, "E005"), nullptr) << codes(r.errors);
}

// Aliases that stay small are still fine.
TEST(FuzzRegressions, ModestAliasesStillLoad) {
  auto r = load_config_text(std::string(kPack) +
                                "policies: {chain: &c [prompt-injection]}\n"
                                "x-copy: *c\n",
                            "t.yaml");
  // x-copy is an unknown key (E002), but the aliases themselves are accepted.
  EXPECT_EQ(find_code(r.errors, "E005"), nullptr) << codes(r.errors);
  EXPECT_NE(find_code(r.errors, "E002"), nullptr) << codes(r.errors);
}

// A plain scalar beyond double range: std::stod threw std::out_of_range out of the loader.
TEST(FuzzRegressions, NumberBeyondDoubleRangeIsAnInvalidValueNotAnException) {
  std::string yaml = std::string(kPack) +
                     "policies: {chain: [prompt-injection]}\n"
                     "policy:\n  prompt-injection:\n    threshold: 1e999\n";
  LoadResult r;
  ASSERT_NO_THROW(r = load_config_text(yaml, "t.yaml"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(find_code(r.errors, "E004"), nullptr) << codes(r.errors);
  EXPECT_EQ(yaml_to_json(YAML::Load("1e999")), boost::json::value("1e999"));
  EXPECT_EQ(yaml_to_json(YAML::Load("-2.5e3")), boost::json::value(-2500.0));
  EXPECT_EQ(yaml_to_json(YAML::Load("+17")), boost::json::value(17));
  EXPECT_EQ(yaml_to_json(YAML::Load(".5")), boost::json::value(0.5));
  EXPECT_EQ(yaml_to_json(YAML::Load("1.")), boost::json::value(1.0));
  EXPECT_EQ(yaml_to_json(YAML::Load("1e")), boost::json::value("1e"));
  EXPECT_EQ(yaml_to_json(YAML::Load("'12'")), boost::json::value("12"));
}

// A plain scalar of 100,000 digits: std::regex_match recursed once per character and overflowed
// the stack (a segfault from ~30,000 digits in the release build).
TEST(FuzzRegressions, VeryLongNumberDoesNotOverflowTheStack) {
  const std::string digits(100000, '7');
  boost::json::value v;
  ASSERT_NO_THROW(v = yaml_to_json(YAML::Load(digits)));
  EXPECT_TRUE(v.is_double() || v.is_string());
  auto r = load_config_text(std::string(kPack) + "x-long: " + digits + "\n", "t.yaml");
  EXPECT_NE(find_code(r.errors, "E002"), nullptr) << codes(r.errors);
}

// yaml-cpp 0.7 loops forever (allocating a null node per turn) on a ',' at a document's top
// level; `kt policy lint` on such a file hung until memory ran out, and so would a reload.
TEST(FuzzRegressions, StrayTopLevelCommaIsASyntaxErrorNotAHang) {
  for (const char* text : {",", "\"x\",", "[a]\n,", "---\n,", "{a: 1},"}) {
    EXPECT_FALSE(parse_terminates(text)) << text;
    const auto start = std::chrono::steady_clock::now();
    auto r = load_config_text(text, "t.yaml");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_FALSE(r.ok());
    const Diagnostic* e = find_code(r.errors, "E005");
    ASSERT_NE(e, nullptr) << codes(r.errors);
    EXPECT_EQ(e->file, "t.yaml");
  }
  // Commas where YAML allows them, and syntax errors, still parse (or fail) normally.
  EXPECT_TRUE(parse_terminates("a: [1, 2]\nb: x, y\nc: {d: 1, e: 2}\n"));
  EXPECT_TRUE(parse_terminates("a: [1, 2\n"));
  EXPECT_TRUE(parse_terminates(""));
  EXPECT_TRUE(load_config_text(std::string(kPack) + "policies: {chain: [audit-logger]}\n", "t").ok());
}

}  // namespace
}  // namespace kt::config
