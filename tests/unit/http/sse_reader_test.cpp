// SseReader: the same transcript fed whole, split at every byte boundary and in random pieces
// must give identical events (Replicate's and OpenAI's streams, LF, CRLF and CR endings).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "http/sse.h"

namespace kt::http {
namespace {

struct Seen {
  std::string event, data, id;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{event=" << s.event << " data=" << s.data << " id=" << s.id << "}";
}

struct FeedResult {
  std::vector<Seen> events;
  std::size_t comments = 0;
  bool ok = true;
};

FeedResult feed_pieces(const std::vector<std::string_view>& pieces, std::size_t max = 1 << 20) {
  SseReader reader(max);
  FeedResult run;
  for (auto piece : pieces) {
    run.ok = reader.feed(piece, [&](const SseEvent& e) {
      run.events.push_back({e.event, e.data, e.id});
    }) && run.ok;
  }
  run.comments = reader.comments();
  return run;
}

FeedResult feed_whole(std::string_view s) { return feed_pieces({s}); }

// Feeds the transcript split at every single byte boundary, then byte by byte, then in random
// multi-splits, and checks every run against the whole-feed result.
void expect_split_invariant(std::string_view transcript, const FeedResult& expected) {
  for (std::size_t cut = 0; cut <= transcript.size(); ++cut) {
    FeedResult r = feed_pieces({transcript.substr(0, cut), transcript.substr(cut)});
    ASSERT_EQ(r.events, expected.events) << "split at byte " << cut;
    ASSERT_EQ(r.comments, expected.comments) << "split at byte " << cut;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < transcript.size(); ++i) bytes.push_back(transcript.substr(i, 1));
  ASSERT_EQ(feed_pieces(bytes).events, expected.events) << "byte by byte";
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string_view> pieces;
    std::size_t at = 0;
    while (at < transcript.size()) {
      const std::size_t len = std::uniform_int_distribution<std::size_t>(0, 9)(rng);
      pieces.push_back(transcript.substr(at, len));
      at += std::min(len, transcript.size() - at);
    }
    ASSERT_EQ(feed_pieces(pieces).events, expected.events) << "random round " << round;
  }
}

std::string with_endings(std::string_view lf_text, std::string_view ending) {
  std::string out;
  for (char c : lf_text) {
    if (c == '\n') {
      out.append(ending);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

constexpr std::string_view kReplicate =
    ": hi\n"
    "\n"
    "event: output\n"
    "id: 1690212292:0\n"
    "data: Once upon\n"
    "\n"
    "event: output\n"
    "id: 1690212292:1\n"
    "data:  a time\n"
    "\n"
    "event: output\n"
    "id: 1690212292:2\n"
    "data: line1\n"
    "data: line2\n"
    "\n"
    "event: output\n"
    "id: 1690212292:3\n"
    "data: \n"
    "data: \n"
    "data: \n"
    "\n"
    "event: logs\n"
    "retry: 3000\n"
    "data: step 1\n"
    "\n"
    "event: done\n"
    "id: 1690212292:4\n"
    "data: {}\n"
    "\n";

const std::vector<Seen> kReplicateEvents = {
    {"output", "Once upon", "1690212292:0"},
    {"output", " a time", "1690212292:1"},
    {"output", "line1\nline2", "1690212292:2"},
    {"output", "\n\n", "1690212292:3"},
    {"logs", "step 1", "1690212292:3"},  // the id persists
    {"done", "{}", "1690212292:4"},
};

constexpr std::string_view kOpenAi =
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"finish_reason\":null}]}\n"
    "\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
    "\"finish_reason\":null}]}\n"
    "\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"finish_reason\":\"stop\"}]}\n"
    "\n"
    "data: [DONE]\n"
    "\n";

TEST(SseReader, ReplicateTranscript) {
  FeedResult whole = feed_whole(kReplicate);
  EXPECT_TRUE(whole.ok);
  EXPECT_EQ(whole.events, kReplicateEvents);
  EXPECT_EQ(whole.comments, 1u);
  expect_split_invariant(kReplicate, whole);
}

TEST(SseReader, OpenAiTranscript) {
  FeedResult whole = feed_whole(kOpenAi);
  ASSERT_EQ(whole.events.size(), 4u);
  EXPECT_EQ(whole.events[1].data,
            "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
            "\"finish_reason\":null}]}");
  EXPECT_EQ(whole.events[3].data, "[DONE]");
  for (const auto& e : whole.events) {
    EXPECT_EQ(e.event, "");
    EXPECT_EQ(e.id, "");
  }
  expect_split_invariant(kOpenAi, whole);
}

TEST(SseReader, CrLfAndCrEndingsGiveTheSameEvents) {
  for (std::string_view ending : {"\r\n", "\r"}) {
    const std::string replicate = with_endings(kReplicate, ending);
    FeedResult r = feed_whole(replicate);
    EXPECT_EQ(r.events, kReplicateEvents) << "ending size " << ending.size();
    expect_split_invariant(replicate, r);
    const std::string openai = with_endings(kOpenAi, ending);
    FeedResult o = feed_whole(openai);
    EXPECT_EQ(o.events, feed_whole(kOpenAi).events);
    expect_split_invariant(openai, o);
  }
}

TEST(SseReader, CrAtEndOfOneFeedAndLfAtStartOfNextIsOneLineEnding) {
  FeedResult r = feed_pieces({"data: a\r", "\ndata: b\r", "\n\r", "\n"});
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].data, "a\nb");
}

TEST(SseReader, FieldRules) {
  FeedResult r = feed_whole(
      "data:no space\n\n"
      "data:  two spaces\n\n"
      "data\n\n"  // a field name alone: empty value
      "event: done\ndata: {}\n\n"
      "event: ping\n\n"        // a named event without data still dispatches
      "\n\n"                   // blank lines alone dispatch nothing
      "unknown: x\nid: 7\n\n"  // no data, no event name: nothing
      "data: after id\n\n"
      "id\ndata: id cleared\n\n");
  const std::vector<Seen> expected = {
      {"", "no space", ""}, {"", " two spaces", ""}, {"", "", ""},           {"done", "{}", ""},
      {"ping", "", ""},     {"", "after id", "7"},   {"", "id cleared", ""},
  };
  EXPECT_EQ(r.events, expected);
}

TEST(SseReader, UnterminatedEventIsNotDispatched) {
  FeedResult r = feed_whole("data: partial\n");
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.events.empty());
}

TEST(SseReader, OverflowBound) {
  const std::string big(100, 'x');
  // Many data lines accumulate in one event.
  std::string many;
  for (int i = 0; i < 3; ++i) many += "data: " + big + "\n";
  FeedResult r = feed_pieces({many}, 250);
  EXPECT_FALSE(r.ok);
  // One long line with no terminator yet.
  FeedResult line = feed_pieces({"data: ", big, big, big}, 250);
  EXPECT_FALSE(line.ok);
  // Once failed, the reader stays failed.
  SseReader reader(250);
  auto ignore = [](const SseEvent&) {};
  EXPECT_FALSE(reader.feed(many, ignore));
  EXPECT_FALSE(reader.feed("data: x\n\n", ignore));
  // Events below the bound pass, however many there are.
  std::string stream;
  for (int i = 0; i < 50; ++i) stream += "data: " + big + "\n\n";
  FeedResult fine = feed_pieces({stream}, 250);
  EXPECT_TRUE(fine.ok);
  EXPECT_EQ(fine.events.size(), 50u);
}

}  // namespace
}  // namespace kt::http
