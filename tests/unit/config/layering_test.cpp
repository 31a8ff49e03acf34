// Several files layer: maps merge recursively, lists replace; the hash covers the merged result.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/loader.h"
#include "config_test_util.h"

namespace kt::config {
namespace {

class Layering : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kt-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(Layering, ThreeFilesMapsMergeListsReplace) {
  auto base = write("base.yaml",
                    "pack: {name: base, version: 1.0.0, enabled: true, author: ops}\n"
                    "policies: {chain: [prompt-injection, pii-detector, audit-logger]}\n"
                    "policy:\n"
                    "  prompt-injection: {threshold: 0.7, attack_patterns: [a, b]}\n"
                    "  pii-detector: {action: block}\n"
                    "  audit-logger: {retention_days: 30}\n"
                    "providers:\n"
                    "  targets: [{id: one, provider: ollama}]\n"
                    "  fallback: {max_fallback_attempts: 2}\n");
  auto mid = write("mid.yaml",
                   "pack: {version: 1.1.0}\n"
                   "policy:\n"
                   "  prompt-injection: {attack_patterns: [c]}\n"
                   "  pii-detector: {redaction: {marker_format: partial}}\n"
                   "providers:\n"
                   "  targets: [{id: two, provider: ollama}, {id: three, provider: ollama}]\n");
  auto top = write("top.yaml",
                   "policies: {chain: [pii-detector, audit-logger]}\n"
                   "policy:\n"
                   "  prompt-injection: ~\n");
  // prompt-injection is no longer chained in top.yaml, so its block (now null) must go too.
  auto r = load_config({base, mid, top});
  ASSERT_FALSE(r.ok());
  const auto* e3 = testing::find_code(r.errors, "E003");
  ASSERT_NE(e3, nullptr) << testing::codes(r.errors);
  EXPECT_EQ(e3->file, top);  // the null block came from top.yaml
  EXPECT_EQ(e3->line, 3);

  auto fixed =
      write("top.yaml", "policies: {chain: [pii-detector, prompt-injection, audit-logger]}\n");
  r = load_config({base, mid, fixed});
  ASSERT_TRUE(r.ok()) << testing::codes(r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.files, (std::vector<std::string>{base, mid, fixed}));
  EXPECT_EQ(c.pack.name, "base");      // from base
  EXPECT_EQ(c.pack.version, "1.1.0");  // overridden by mid
  EXPECT_EQ(c.pack.author, "ops");     // map merge keeps base's other keys
  EXPECT_EQ(c.policies.chain,
            (std::vector<std::string>{"pii-detector", "prompt-injection", "audit-logger"}));
  EXPECT_DOUBLE_EQ(c.policies.prompt_injection->threshold, 0.7);
  EXPECT_EQ(c.policies.prompt_injection->attack_patterns, std::vector<std::string>{"c"});
  EXPECT_EQ(c.policies.pii_detector->action, "block");
  EXPECT_EQ(c.policies.pii_detector->redaction.marker_format, "partial");
  ASSERT_EQ(c.providers.targets.size(), 2u);  // list replaced, not appended
  EXPECT_EQ(c.providers.targets[0].id, "two");
  EXPECT_EQ(c.providers.fallback.max_fallback_attempts, 2);
  EXPECT_EQ(c.policies.audit_logger->retention_days, 30);
}

TEST_F(Layering, HashIsSha256OfMergedDocument) {
  auto a = load_config_text("pack: {name: a, version: 1.0.0, enabled: true}\n", "a");
  auto a_again = load_config_text("pack: {name: a, version: 1.0.0, enabled: true}\n", "b");
  auto b = load_config_text("pack: {name: a, version: 1.0.1, enabled: true}\n", "a");
  ASSERT_TRUE(a.ok() && a_again.ok() && b.ok());
  EXPECT_EQ(a.config->hash.size(), 64u);
  EXPECT_EQ(a.config->hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a.config->hash, a_again.config->hash);
  EXPECT_NE(a.config->hash, b.config->hash);

  auto base = write("a.yaml", "pack: {name: a, version: 1.0.0, enabled: true}\n");
  auto over = write("b.yaml", "pack: {version: 1.0.1}\n");
  auto layered = load_config({base, over});
  ASSERT_TRUE(layered.ok());
  EXPECT_EQ(layered.config->hash, b.config->hash);
}

TEST_F(Layering, ErrorNamesTheFileItCameFrom) {
  auto base = write("a.yaml", "pack: {name: a, version: 1.0.0, enabled: true}\n");
  auto over = write("b.yaml", "\naudit: {store: oracle}\n");
  auto r = load_config({base, over});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, over);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[0].column, 16);
}

TEST_F(Layering, SyntaxErrorInSecondFile) {
  auto base = write("a.yaml", "pack: {name: a, version: 1.0.0, enabled: true}\n");
  auto over = write("b.yaml", "pack: {version: 1.0.1\n");
  auto r = load_config({base, over});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, "E005");
  EXPECT_EQ(r.errors[0].file, over);
}

TEST_F(Layering, MissingFileIsAReadErrorNotADiagnostic) {
  auto r = load_config({(dir_ / "nope.yaml").string()});
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.errors.empty());
  EXPECT_NE(r.read_error.find("No such file"), std::string::npos);
  auto dir = load_config({dir_.string()});
  EXPECT_NE(dir.read_error.find("not a regular file"), std::string::npos);
  EXPECT_FALSE(load_config({}).read_error.empty());
}

TEST_F(Layering, EmptyFileNeedsAPack) {
  auto r = load_config({write("empty.yaml", "")});
  EXPECT_TRUE(r.read_error.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "pack");
}

}  // namespace
}  // namespace kt::config
