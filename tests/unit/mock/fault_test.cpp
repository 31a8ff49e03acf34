#include "mock/fault.h"

#include <gtest/gtest.h>

namespace kt::mock {
namespace {

TEST(ParseFault, StatusRetryAfterAndBodyWithCommas) {
  std::string error;
  auto f = parse_fault("status=429,retry_after=1,body=slow down, please", &error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->status, 429);
  EXPECT_EQ(f->retry_after, "1");
  EXPECT_EQ(f->body, "slow down, please");
}

TEST(ParseFault, StreamItemsAndFlags) {
  std::string error;
  auto f =
      parse_fault("stall=500,after=2,reset_after=3,truncated_sse,malformed_json,huge=10", &error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->stall_ms, 500);
  EXPECT_EQ(f->stall_after, 2);
  EXPECT_EQ(f->reset_after, 3);
  EXPECT_TRUE(f->truncated_sse);
  EXPECT_TRUE(f->malformed_json);
  EXPECT_EQ(f->huge, 10);
}

TEST(ParseFault, HugeBeyondMemoryAndEventBytes) {
  std::string error;
  auto f = parse_fault("huge=4294967296,event_bytes=2097152", &error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->huge, 4294967296LL);
  EXPECT_EQ(f->event_bytes, 2097152);
  EXPECT_FALSE(parse_fault("event_bytes=2147483648", &error));
  EXPECT_NE(error.find("event_bytes"), std::string::npos);
  Fault base;
  base.merge(*f);
  EXPECT_EQ(base.event_bytes, 2097152);
}

TEST(ParseFault, ReplicateKnobs) {
  std::string error;
  auto f = parse_fault("cold_start=2000,token_delay=5,fail_after=3,sync_quirk=0", &error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->cold_start_ms, 2000);
  EXPECT_EQ(f->token_delay_ms, 5);
  EXPECT_EQ(f->fail_after, 3);
  EXPECT_EQ(f->sync_quirk, 0);
}

TEST(ParseFault, RejectsBadItemsWithAClearMessage) {
  std::string error;
  EXPECT_FALSE(parse_fault("explode", &error));
  EXPECT_NE(error.find("unknown fault item 'explode'"), std::string::npos);
  EXPECT_FALSE(parse_fault("status=abc", &error));
  EXPECT_NE(error.find("status=abc"), std::string::npos);
  EXPECT_FALSE(parse_fault("status=42", &error));
  EXPECT_FALSE(parse_fault("stall=-1", &error));
  EXPECT_FALSE(parse_fault("sync_quirk=2", &error));
  EXPECT_FALSE(parse_fault("truncated_sse=1", &error));
}

TEST(ParseFault, EmptySpecIsNoFault) {
  std::string error;
  auto f = parse_fault("", &error);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 0);
  EXPECT_EQ(f->reset_after, -1);
}

TEST(Fault, MergeOverridesOnlySetFields) {
  std::string error;
  Fault base = *parse_fault("status=500,delay_headers=10", &error);
  base.merge(*parse_fault("status=429,stall=5,after=1", &error));
  EXPECT_EQ(base.status, 429);
  EXPECT_EQ(base.delay_headers_ms, 10);
  EXPECT_EQ(base.stall_ms, 5);
  EXPECT_EQ(base.stall_after, 1);
}

TEST(SplitModelFault, PrefixSuffixAndPlain) {
  auto a = split_model_fault("mock-fault/status=500");
  EXPECT_EQ(a.model, "mock-fault/status=500");
  EXPECT_EQ(a.spec, "status=500");
  auto b = split_model_fault("gpt-4o@fault=reset_after=2");
  EXPECT_EQ(b.model, "gpt-4o");
  EXPECT_EQ(b.spec, "reset_after=2");
  auto c = split_model_fault("meta/meta-llama-3-70b-instruct");
  EXPECT_EQ(c.model, "meta/meta-llama-3-70b-instruct");
  EXPECT_TRUE(c.spec.empty());
}

TEST(FaultQueue, CountsDownAndMatchesPrefixes) {
  FaultQueue q;
  std::string error;
  q.push("/v1/chat/completions", "status=500", *parse_fault("status=500", &error), 2);
  q.push("/v1/streams/*", "truncated_sse", *parse_fault("truncated_sse", &error), 1);
  EXPECT_FALSE(q.take("/v1/completions"));
  EXPECT_EQ(q.take("/v1/chat/completions")->status, 500);
  EXPECT_EQ(q.take("/v1/chat/completions")->status, 500);
  EXPECT_FALSE(q.take("/v1/chat/completions"));
  EXPECT_TRUE(q.take("/v1/streams/abc")->truncated_sse);
  EXPECT_FALSE(q.take("/v1/streams/abc"));
  EXPECT_TRUE(q.describe().empty());
}

}  // namespace
}  // namespace kt::mock
