#include "mock/text.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kt::mock {
namespace {

TEST(SplitTokens, KeepsLeadingWhitespaceAndConcatenatesBack) {
  auto t = split_tokens("Hello! You said: one  two\n\nthree");
  std::vector<std::string> want = {"Hello!", " You", " said:", " one", "  two", "\n\nthree"};
  EXPECT_EQ(t, want);
  EXPECT_TRUE(split_tokens("").empty());
  EXPECT_EQ(split_tokens("  x "), (std::vector<std::string>{"  x", " "}));
}

TEST(CountWords, CountsWhitespaceSeparatedWords) {
  EXPECT_EQ(count_words(""), 0);
  EXPECT_EQ(count_words("  a b\n\tc  "), 3);
}

TEST(LastUserText, UnderstandsLlama3AndMistralTemplates) {
  EXPECT_EQ(
      last_user_text("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nfirst<|eot_id|>"
                     "<|start_header_id|>assistant<|end_header_id|>\n\nok<|eot_id|>"
                     "<|start_header_id|>user<|end_header_id|>\n\n second <|eot_id|>"
                     "<|start_header_id|>assistant<|end_header_id|>\n\n"),
      "second");
  EXPECT_EQ(last_user_text("<s>[INST] a [/INST] b</s>[INST] c d [/INST] "), "c d");
  EXPECT_EQ(last_user_text("  plain prompt \n"), "plain prompt");
}

TEST(Rfc3339, MicrosecondsAndZ) {
  std::chrono::system_clock::time_point t{std::chrono::microseconds(1713784515329000)};
  EXPECT_EQ(rfc3339(t), "2024-04-22T11:15:15.329000Z");
  EXPECT_EQ(unix_seconds(t), 1713784515);
}

TEST(RandomId, LowercaseAlphanumeric) {
  std::string id = random_id(26);
  EXPECT_EQ(id.size(), 26u);
  for (char c : id) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << c;
  EXPECT_NE(random_id(26), id);
}

TEST(Embed, DeterministicUnitVectors) {
  auto a = embed("same", 64);
  EXPECT_EQ(a, embed("same", 64));
  EXPECT_NE(a, embed("other", 64));
  double norm = 0;
  for (float x : a) norm += static_cast<double>(x) * x;
  EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5);
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  std::string bytes("\x00\x01\xfe\xff\x10", 5);
  std::string back;
  ASSERT_TRUE(base64_decode(base64_encode(bytes), &back));
  EXPECT_EQ(back, bytes);
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_FALSE(base64_decode("abc", &back));
  EXPECT_FALSE(base64_decode("a!c=", &back));
}

}  // namespace
}  // namespace kt::mock
