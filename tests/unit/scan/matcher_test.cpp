#include "scan/matcher.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kt::scan {
namespace {

TEST(Matcher, ReportsIdStartAndEveryEnd) {
  Matcher m({Pattern{R"(\d{3,4})", 7}, Pattern{"abc", 9, true}});
  std::vector<Match> out;
  m.scan("x 12345 ABC", out);
  // \d{3,4} ends at 5, 6 (start 2) and at 7 (leftmost start 3); "ABC" caseless at 8..11.
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].id, 7u);
  EXPECT_EQ(out[0].start, 2u);
  EXPECT_EQ(out[0].end, 5u);
  EXPECT_EQ(out[2].start, 3u);
  EXPECT_EQ(out[2].end, 7u);
  EXPECT_EQ(out[3].id, 9u);
  EXPECT_EQ(out[3].start, 8u);
  EXPECT_EQ(out[3].end, 11u);
}

TEST(Matcher, PatternWithoutLeftmostStartReportsEndsOnly) {
  Pattern digits{R"(\d{3,4})", 7};
  digits.leftmost_start = false;
  Matcher m({digits, Pattern{"abc", 9}});
  std::vector<Match> out;
  m.scan("x 12345 abc", out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].start, 0u);
  EXPECT_EQ(out[0].end, 5u);
  EXPECT_EQ(out[2].end, 7u);
  EXPECT_EQ(out[3].start, 8u);  // the other pattern keeps its start
}

TEST(Matcher, MaxMatchWidth) {
  EXPECT_EQ(max_match_width(Pattern{R"(\d{3,4})", 0}), 4u);
  EXPECT_EQ(max_match_width(Pattern{R"(ab(?:cd)?)", 0}), 4u);
  EXPECT_EQ(max_match_width(Pattern{R"(a+b)", 0}), SIZE_MAX);
  EXPECT_THROW(max_match_width(Pattern{"(unclosed", 0}), std::invalid_argument);
}

TEST(Matcher, ThreadScratchIsReusedPerDatabase) {
  Matcher a({Pattern{"abc", 1}});
  Matcher b({Pattern{R"([a-z]+@[a-z]+\.com)", 1}});
  std::vector<Match> out;
  a.scan("abc", out);
  b.scan("bob@example.com", out);  // grows the one scratch of this thread for b
  a.scan("abc abc", out);
  EXPECT_EQ(out.size(), 4u);
}

TEST(Matcher, BadPatternNamesIt) {
  try {
    Matcher m({Pattern{"ok", 0}, Pattern{"(unclosed", 1}});
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("(unclosed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Matcher({Pattern{"a*", 0}}), std::invalid_argument);  // matches empty input
}

TEST(Matcher, EmptySetFindsNothing) {
  Matcher m({});
  std::vector<Match> out;
  m.scan("anything", out);
  EXPECT_TRUE(out.empty());
}

TEST(Matcher, StreamFindsMatchSplitAcrossWrites) {
  Matcher m({Pattern{"john\\.doe@example\\.com", 1}}, Matcher::Modes::block_and_stream);
  Matcher::Stream s = m.open_stream();
  std::vector<Match> out;
  s.write("mail john.d", out);
  EXPECT_TRUE(out.empty());
  s.write("oe@example.com now", out);
  s.close(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start, 5u);
  EXPECT_EQ(out[0].end, 25u);
}

TEST(Matcher, StreamRequiresStreamingMode) {
  Matcher m({Pattern{"a", 1}});
  EXPECT_THROW(m.open_stream(), std::logic_error);
}

TEST(Matcher, ConcurrentScansAgree) {
  Matcher m({Pattern{R"([a-z]+@[a-z]+\.com)", 1}});
  std::string text;
  for (int i = 0; i < 200; ++i) text += "write to bob@example.com please. ";
  std::vector<std::thread> threads;
  std::vector<std::size_t> counts(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Match> out;
      for (int r = 0; r < 50; ++r) {
        out.clear();
        m.scan(text, out);
      }
      counts[t] = out.size();
    });
  }
  for (auto& th : threads) th.join();
  for (std::size_t c : counts) EXPECT_EQ(c, counts[0]);
  EXPECT_GE(counts[0], 200u);
}

}  // namespace
}  // namespace kt::scan
