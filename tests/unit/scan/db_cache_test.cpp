#include "scan/db_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "scan/matcher.h"

namespace kt::scan {
namespace {

namespace fs = std::filesystem;

// Points KT_HS_CACHE_DIR at a fresh directory for one test and restores the
// variable after it.
class DatabaseCache : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char *v = std::getenv("KT_HS_CACHE_DIR")) saved_ = v;
    dir_ = fs::temp_directory_path() /
           ("kt-hs-cache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    ::setenv("KT_HS_CACHE_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("KT_HS_CACHE_DIR", saved_->c_str(), 1);
    } else {
      ::unsetenv("KT_HS_CACHE_DIR");
    }
    fs::remove_all(dir_);
  }
  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    if (!fs::exists(dir_)) return out;
    for (const auto &e : fs::directory_iterator(dir_)) out.push_back(e.path());
    return out;
  }
  static std::vector<Match> scan_with(const Matcher &m, std::string_view text) {
    std::vector<Match> out;
    m.scan(text, out);
    return out;
  }

  fs::path dir_;
  std::optional<std::string> saved_;
};

const std::vector<Pattern> kPatterns = {Pattern{R"(\d{3,4})", 7}, Pattern{"secret", 9, true}};

TEST_F(DatabaseCache, SecondBuildLoadsTheStoredDatabaseAndFindsTheSame) {
  auto before = database_cache_stats();
  Matcher first(kPatterns);
  auto after_first = database_cache_stats();
  EXPECT_EQ(after_first.misses, before.misses + 1);
  EXPECT_EQ(after_first.writes, before.writes + 1);
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(entries()[0].extension(), ".hsdb");
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  Matcher second(kPatterns);
  auto after_second = database_cache_stats();
  EXPECT_EQ(after_second.hits, after_first.hits + 1);
  EXPECT_EQ(after_second.misses, after_first.misses);
  auto a = scan_with(first, "pin 1234 SECRET");
  auto b = scan_with(second, "pin 1234 SECRET");
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].start, b[i].start);
    EXPECT_EQ(a[i].end, b[i].end);
  }
}

TEST_F(DatabaseCache, DifferentPatternsOrFlagsOrModesGetTheirOwnEntries) {
  Matcher a(kPatterns);
  Matcher b({Pattern{R"(\d{3,4})", 7}, Pattern{"secret", 9, false}});  // caseless differs
  EXPECT_EQ(entries().size(), 2u);
  auto before = database_cache_stats();
  Matcher c(kPatterns,
            Matcher::Modes::block_and_stream);  // a's block database + a stream one
  EXPECT_EQ(database_cache_stats().hits, before.hits + 1);
  EXPECT_EQ(database_cache_stats().writes, before.writes + 1);
  EXPECT_EQ(entries().size(), 3u);
  EXPECT_TRUE(scan_with(b, "SECRET").empty());
  EXPECT_EQ(scan_with(a, "SECRET").size(), 1u);
}

TEST_F(DatabaseCache, CorruptOrTruncatedEntryIsRecompiledAndRewritten) {
  { Matcher m(kPatterns); }
  ASSERT_EQ(entries().size(), 1u);
  fs::path file = entries()[0];
  auto size = fs::file_size(file);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x5a');
  }
  auto before = database_cache_stats();
  Matcher flipped(kPatterns);
  EXPECT_EQ(database_cache_stats().misses, before.misses + 1);
  EXPECT_EQ(scan_with(flipped, "1234").size(), 2u);  // ends at 3 and 4 digits

  fs::resize_file(file, size / 3);
  before = database_cache_stats();
  Matcher truncated(kPatterns);
  EXPECT_EQ(database_cache_stats().misses, before.misses + 1);
  EXPECT_EQ(fs::file_size(file), size);  // rewritten whole

  before = database_cache_stats();
  Matcher again(kPatterns);
  EXPECT_EQ(database_cache_stats().hits, before.hits + 1);
}

TEST_F(DatabaseCache, OffAndUnsafeDirectoriesAreNotUsed) {
  ::setenv("KT_HS_CACHE_DIR", "off", 1);
  EXPECT_FALSE(database_cache_dir().has_value());
  { Matcher m(kPatterns); }
  EXPECT_FALSE(fs::exists(dir_));

  ::setenv("KT_HS_CACHE_DIR", dir_.c_str(), 1);
  fs::create_directories(dir_);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_write | fs::perms::others_write);
  EXPECT_FALSE(database_cache_dir().has_value());
  auto before = database_cache_stats();
  Matcher m(kPatterns);
  EXPECT_EQ(database_cache_stats().writes, before.writes);
  EXPECT_TRUE(entries().empty());
  EXPECT_EQ(scan_with(m, "1234").size(), 2u);
}

TEST_F(DatabaseCache, KeepsAtMost256EntriesDroppingTheLeastRecentlyUsed) {
  Matcher keep(kPatterns);
  fs::path kept = entries()[0];
  // 256 more pattern sets; the first entry is refreshed (a hit) halfway, so it
  // must survive.
  for (int i = 0; i < 256; ++i) {
    if (i == 128) Matcher refresh(kPatterns);
    Matcher m({Pattern{"word" + std::to_string(i), 1}});
  }
  auto now = entries();
  EXPECT_EQ(now.size(), 256u);
  EXPECT_TRUE(fs::exists(kept));
}

TEST_F(DatabaseCache, InvalidPatternStillReportsTheHyperscanError) {
  EXPECT_THROW(Matcher({Pattern{"(unclosed", 1}}), std::invalid_argument);
  EXPECT_TRUE(entries().empty());
}

}  // namespace
}  // namespace kt::scan
