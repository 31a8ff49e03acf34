#include "providers/replicate_stream.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <vector>

namespace kt::providers::replicate {
namespace {
namespace json = boost::json;

// Feeds a raw Replicate event stream through the SSE reader and interprets every event.
std::vector<StreamStep> steps(std::string_view wire) {
  http::SseReader reader;
  std::vector<StreamStep> out;
  EXPECT_TRUE(reader.feed(wire, [&](const http::SseEvent& e) { out.push_back(interpret(e)); }));
  return out;
}

std::string tokens(const std::vector<StreamStep>& s) {
  std::string text;
  for (const auto& step : s) {
    if (step.kind == StreamStep::Kind::output) text += step.text + "|";
  }
  return text;
}

TEST(ReplicateStream, TranscriptWithCommentIdsAndLeadingSpaces) {
  auto s = steps(": hi\n\n"
                 "event: output\nid: 1690212292:0\ndata: Once upon\n\n"
                 "event: output\nid: 1690212292:1\ndata:  a time\n\n"
                 "event: logs\nid: 1690212292:2\ndata: loading weights\n\n"
                 "event: done\nid: 1690212292:3\ndata: {}\n\n");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(tokens(s), "Once upon| a time|");
  EXPECT_EQ(s[2].kind, StreamStep::Kind::ignore);
  EXPECT_EQ(s[3].kind, StreamStep::Kind::done);
}

TEST(ReplicateStream, MultiLineDataIsRejoinedWithNewlines) {
  auto s = steps("event: output\nid: 1\ndata: \ndata: \ndata: \n\n"
                 "event: output\nid: 2\ndata: line1\ndata: line2\n\n");
  EXPECT_EQ(tokens(s), "\n\n|line1\nline2|");
}

TEST(ReplicateStream, SplitAnywhereGivesTheSameTokens) {
  std::string wire = "event: output\nid: 1\ndata:  Hello\n\nevent: output\nid: 2\ndata: !\n\n"
                     "event: done\nid: 3\ndata: {}\n\n";
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    http::SseReader reader;
    std::vector<StreamStep> out;
    auto on = [&](const http::SseEvent& e) { out.push_back(interpret(e)); };
    reader.feed(std::string_view(wire).substr(0, cut), on);
    reader.feed(std::string_view(wire).substr(cut), on);
    EXPECT_EQ(tokens(out), " Hello|!|") << "cut at " << cut;
  }
}

TEST(ReplicateStream, ErrorEventJsonOrPlainText) {
  auto json_error = steps("event: error\nid: 1\ndata: {\"detail\":\"CUDA out of memory\"}\n\n");
  ASSERT_EQ(json_error.size(), 1u);
  EXPECT_EQ(json_error[0].kind, StreamStep::Kind::failed);
  EXPECT_EQ(json_error[0].text, "Replicate prediction failed: CUDA out of memory");
  auto plain = steps("event: error\nid: 1\ndata: model crashed\n\n");
  EXPECT_EQ(plain[0].text, "Replicate prediction failed: model crashed");
}

TEST(ReplicateStream, DoneReasons) {
  auto s = steps("event: done\nid: 1\ndata: {\"reason\":\"canceled\"}\n\n"
                 "event: done\nid: 2\ndata: {\"reason\":\"error\"}\n\n"
                 "event: done\nid: 3\ndata: \n\n");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].kind, StreamStep::Kind::failed);
  EXPECT_EQ(s[0].text, "prediction was canceled");
  EXPECT_EQ(s[1].kind, StreamStep::Kind::failed);
  EXPECT_EQ(s[1].text, "Replicate prediction ended with reason 'error'");
  EXPECT_EQ(s[2].kind, StreamStep::Kind::done);
}

TEST(ReplicateChunks, ChatChunksShareIdAndCreated) {
  ChunkMaker m(true, "abc", 1700000000, "meta/x", false);
  auto first = *m.opening();
  EXPECT_EQ(first, json::parse(R"({"id":"chatcmpl-abc","object":"chat.completion.chunk",
      "created":1700000000,"model":"meta/x","choices":[{"index":0,
      "delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})"));
  auto token = m.content(" Hi");
  EXPECT_EQ(token.at("id"), "chatcmpl-abc");
  EXPECT_EQ(token.at("created"), 1700000000);
  EXPECT_EQ(token.at("choices").at(0).at("delta"), json::parse(R"({"content":" Hi"})"));
  EXPECT_FALSE(token.contains("usage"));
  auto last = m.finish("length");
  EXPECT_EQ(last.at("choices").at(0).at("delta"), json::object{});
  EXPECT_EQ(last.at("choices").at(0).at("finish_reason"), "length");
}

TEST(ReplicateChunks, IncludeUsageAddsNullUsageAndAUsageChunk) {
  ChunkMaker m(true, "abc", 1, "meta/x", true);
  EXPECT_TRUE(m.opening()->at("usage").is_null());
  EXPECT_TRUE(m.content("x").at("usage").is_null());
  EXPECT_TRUE(m.finish("stop").at("usage").is_null());
  auto u = m.usage({3, 1});
  EXPECT_EQ(u.at("choices"), json::array{});
  EXPECT_EQ(u.at("usage"),
            json::parse(R"({"prompt_tokens":3,"completion_tokens":1,"total_tokens":4})"));
  EXPECT_EQ(u.at("id"), "chatcmpl-abc");
}

TEST(ReplicateChunks, TextCompletionChunks) {
  ChunkMaker m(false, "abc", 1, "meta/x", false);
  EXPECT_FALSE(m.opening().has_value());
  auto token = m.content("tok");
  EXPECT_EQ(token.at("id"), "cmpl-abc");
  EXPECT_EQ(token.at("object"), "text_completion");
  EXPECT_EQ(token.at("choices").at(0).at("text"), "tok");
  EXPECT_EQ(m.finish("stop").at("choices").at(0).at("text"), "");
}

}  // namespace
}  // namespace kt::providers::replicate
