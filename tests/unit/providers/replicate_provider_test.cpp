// Drives the Replicate provider over real sockets against a scripted fake (replicate_fake.h).
#include "providers/replicate.h"

#include <gtest/gtest.h>

#include "providers/replicate_response.h"
#include "replicate_fake.h"

namespace kt::providers::replicate {
namespace {

using namespace std::chrono_literals;
using namespace testing;
namespace json = boost::json;

class Sink final : public ChunkSink {
 public:
  std::vector<json::object> chunks;
  std::vector<http::Clock::time_point> at;
  int accept = 1 << 30;  // chunks accepted before the "client" goes away
  asio::awaitable<bool> chunk(json::object& c) override {
    if (static_cast<int>(chunks.size()) >= accept) co_return false;
    chunks.push_back(c);
    at.push_back(http::Clock::now());
    co_return true;
  }
  std::string text() const {
    std::string t;
    for (const auto& c : chunks) {
      const auto& choices = c.at("choices").as_array();
      if (choices.empty()) continue;
      if (const auto* d = choices[0].as_object().if_contains("delta")) {
        if (const auto* s = d->as_object().if_contains("content")) t += s->as_string();
      }
    }
    return t;
  }
};

class ReplicateProviderTest : public ::testing::Test {
 protected:
  asio::io_context ioc;
  std::shared_ptr<FakeState> fake = std::make_shared<FakeState>();
  std::uint16_t port = start_fake(ioc, fake);
  std::string base = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  gateway::Exchange ex;
  config::Target target;

  void SetUp() override {
    target.id = "replicate-llama";
    target.provider = "replicate";
    target.format = config::WireFormat::replicate;
    ex.route = gateway::Route::chat_completions;
    ex.body = json::parse(R"({"model":"meta/meta-llama-3-70b-instruct","max_tokens":100,
        "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]})");
  }

  CallContext context(std::string model = "meta/meta-llama-3-70b-instruct",
                      std::chrono::milliseconds timeout = 5000ms) {
    CallContext ctx{ex, target, model, base, "r8_secret", "Authorization", "Bearer", {}};
    ctx.deadlines.total = http::Clock::now() + timeout;
    return ctx;
  }

  // A prediction object as Replicate returns it.
  std::string prediction(std::string_view status, json::value output, bool metrics = false,
                         bool stream = false, std::string_view error = "") {
    std::string p = base + "/predictions/p1";
    json::object o{{"id", "p1"},
                   {"status", status},
                   {"output", output},
                   {"error", error.empty() ? json::value(nullptr) : json::value(error)},
                   {"created_at", "2024-07-23T15:04:21.227Z"},
                   {"urls", {{"get", p}, {"cancel", p + "/cancel"}}}};
    if (status != "starting") o["started_at"] = "2024-07-23T15:04:23.727Z";
    if (stream) o["urls"].as_object()["stream"] = base + "/streams/p1";
    if (metrics) o["metrics"] = {{"input_token_count", 26}, {"output_token_count", 84}};
    return json::serialize(o);
  }

  Outcome complete(CallContext ctx) {
    return run_on(ioc, [&]() -> asio::awaitable<Outcome> {
      Outcome o = co_await replicate_provider().complete(ctx);
      co_await sleep_ms(100ms);  // lets a detached cancel reach the fake
      co_return o;
    });
  }

  Outcome stream(CallContext ctx, Sink& sink) {
    return run_on(ioc, [&]() -> asio::awaitable<Outcome> {
      Outcome o = co_await replicate_provider().stream(ctx, sink);
      co_await sleep_ms(100ms);
      co_return o;
    });
  }
};

TEST_F(ReplicateProviderTest, TextAnswerWithoutStreamIsPolledUntilTerminalWithUsage) {
  int gets = 0;
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST") {
      return {201, prediction("processing", json::array{"Hello", " there", ""})};
    }
    ++gets;
    if (gets == 1) return {200, prediction("processing", json::array{"Hello", " there", ""})};
    return {200, prediction("succeeded", json::array{"Hello", " there", ""}, true)};
  };
  Outcome o = complete(context());
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  const Seen& create = fake->seen.at(0);
  EXPECT_EQ(create.target, "/v1/models/meta/meta-llama-3-70b-instruct/predictions");
  EXPECT_EQ(create.headers.at("authorization"), "Bearer r8_secret");
  // Text predictions are created without Prefer: wait, so their id is known at once.
  EXPECT_EQ(create.headers.count("prefer"), 0u);
  json::value body = json::parse(create.body);
  EXPECT_EQ(body.at("input").at("prompt_template"), "{prompt}");
  EXPECT_EQ(body.at("input").at("max_tokens"), 100);
  EXPECT_EQ(gets, 2);
  EXPECT_EQ(o.answer.at("choices").at(0).at("message").at("content"), "Hello there");
  EXPECT_EQ(o.answer.at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_EQ(o.answer.at("usage").at("total_tokens"), 110);
  EXPECT_EQ(o.usage.prompt_tokens, 26);
  EXPECT_EQ(o.usage.completion_tokens, 84);
  EXPECT_DOUBLE_EQ(o.queue_ms, 2500);
  EXPECT_EQ(fake->count("POST", "/v1/predictions/p1/cancel"), 0);
}

TEST_F(ReplicateProviderTest, MetricsArrivingLateAreFetchedOnceMore) {
  ex.body.as_object()["max_tokens"] = 84;
  int gets = 0;
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST") return {201, prediction("succeeded", json::array{"x"})};
    ++gets;
    return {200, prediction("succeeded", json::array{"x"}, true)};
  };
  Outcome o = complete(context());
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  EXPECT_EQ(gets, 1);
  EXPECT_EQ(o.usage.completion_tokens, 84);
  EXPECT_EQ(o.answer.at("choices").at(0).at("finish_reason"), "length");  // 84 tokens of 84
}

TEST_F(ReplicateProviderTest, FailedPredictionCarriesReplicateError) {
  fake->handler = [&](const Seen&) -> Reply {
    return {201, prediction("failed", nullptr, false, false, "CUDA out of memory")};
  };
  Outcome o = complete(context());
  EXPECT_EQ(o.failure, Failure::server_error);
  EXPECT_EQ(o.message, "Replicate prediction failed: CUDA out of memory");
}

TEST_F(ReplicateProviderTest, ColdStartPastTheDeadlineTimesOutAndCancels) {
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.target.ends_with("/cancel")) return {200, prediction("canceled", nullptr)};
    return {201, prediction("starting", nullptr)};
  };
  auto t0 = http::Clock::now();
  Outcome o = complete(context("meta/meta-llama-3-70b-instruct", 800ms));
  EXPECT_LT(http::Clock::now() - t0, 2s);
  EXPECT_EQ(o.failure, Failure::timeout);
  EXPECT_EQ(fake->seen.at(0).headers.count("prefer"), 0u);  // less than a second to wait
  EXPECT_EQ(fake->count("POST", "/v1/predictions/p1/cancel"), 1);
  EXPECT_EQ(fake->seen.back().headers.at("authorization"), "Bearer r8_secret");
}

TEST_F(ReplicateProviderTest, ProblemJsonBecomesTheOutcome) {
  fake->handler = [&](const Seen&) -> Reply {
    return {429, R"({"detail":"Request was throttled. Expected available in 1 second."})",
            "application/problem+json", {{"Retry-After", "1"}}};
  };
  Outcome o = complete(context());
  EXPECT_EQ(o.failure, Failure::rate_limit);
  EXPECT_EQ(o.retry_after, "1");
  EXPECT_EQ(o.status, 429);
  EXPECT_EQ(o.message.find("r8_secret"), std::string::npos);
}

TEST_F(ReplicateProviderTest, VersionedAndDeploymentPaths) {
  fake->handler = [&](const Seen&) -> Reply {
    return {201, prediction("succeeded", json::array{"ok"}, true)};
  };
  const std::string hash(64, 'b');
  ASSERT_EQ(complete(context("acme/tuned:" + hash)).failure, Failure::none);
  EXPECT_EQ(fake->seen.at(0).target, "/v1/predictions");
  EXPECT_EQ(json::parse(fake->seen.at(0).body).at("version").as_string(), hash);
  fake->seen.clear();
  ASSERT_EQ(complete(context("deployments/acme/prod")).failure, Failure::none);
  EXPECT_EQ(fake->seen.at(0).target, "/v1/deployments/acme/prod/predictions");
}

TEST_F(ReplicateProviderTest, NChoicesRunConcurrently) {
  ex.body.as_object()["n"] = 3;
  std::atomic<int> creates = 0;
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST") ++creates;
    return {201, prediction("succeeded", json::array{"ok"}, true)};
  };
  Outcome o = complete(context());
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  EXPECT_EQ(creates, 3);
  EXPECT_EQ(o.answer.at("choices").as_array().size(), 3u);
  EXPECT_EQ(o.usage.completion_tokens, 3 * 84);
}

TEST_F(ReplicateProviderTest, EmbeddingsAreRefused) {
  ex.route = gateway::Route::embeddings;
  Outcome o = complete(context());
  EXPECT_EQ(o.failure, Failure::bad_request);
  EXPECT_EQ(o.message, "embeddings are not supported by the Replicate provider");
  EXPECT_TRUE(fake->seen.empty());
}

// A JSON answer from a model with a stream: kt waits on the stream for `done`, then fetches the
// finished prediction at once (no poll interval) for the output and the token counts.
TEST_F(ReplicateProviderTest, TextAnswerWaitsOnTheStreamThenFetchesAtOnce) {
  int gets = 0;
  std::chrono::steady_clock::time_point stream_opened, fetched;
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST") return {201, prediction("starting", nullptr, false, true)};
    if (s.target.starts_with("/v1/streams/")) {
      stream_opened = std::chrono::steady_clock::now();
      Reply r;
      r.sse.emplace();
      r.sse->push_back({0ms, ": hi\n\n"});
      r.sse->push_back({100ms, "event: output\nid: 1:0\ndata: Hello\n\n"});
      r.sse->push_back({200ms, "event: output\nid: 1:1\ndata:  world\n\n"});
      r.sse->push_back({0ms, "event: done\nid: 1:2\ndata: {}\n\n"});
      return r;
    }
    ++gets;
    fetched = std::chrono::steady_clock::now();
    return {200, prediction("succeeded", json::array{"Hello", " world"}, true, true)};
  };
  Outcome o = complete(context());
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  EXPECT_EQ(fake->seen.at(0).headers.count("prefer"), 0u);
  EXPECT_EQ(fake->seen.at(1).target, "/v1/streams/p1");
  EXPECT_EQ(fake->seen.at(1).headers.count("authorization"), 0u);
  EXPECT_EQ(gets, 1);
  EXPECT_GE(fetched - stream_opened, 250ms);  // after `done`, not on a poll schedule before it
  EXPECT_EQ(o.answer.at("choices").at(0).at("message").at("content"), "Hello world");
  EXPECT_EQ(o.usage.completion_tokens, 84);
  EXPECT_GE(o.ttfb_ms, 80);  // the first output event, not the end
  EXPECT_LT(o.ttfb_ms, 250);
  EXPECT_EQ(fake->count("POST", "/v1/predictions/p1/cancel"), 0);
}

TEST_F(ReplicateProviderTest, StreamRelaysTokensAsTheyArrive) {
  ex.include_usage = true;
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST") return {201, prediction("starting", nullptr, false, true)};
    if (s.target.starts_with("/v1/streams/")) {
      Reply r;
      r.sse.emplace();
      r.sse->push_back({0ms, ": hi\n\n"});
      r.sse->push_back({0ms, "event: output\nid: 1:0\ndata: Hello\n\n"});
      r.sse->push_back({300ms, "event: output\nid: 1:1\ndata:  world\n\n"});
      r.sse->push_back({0ms, "event: output\nid: 1:2\ndata: \ndata: \n\n"});
      r.sse->push_back({0ms, "event: done\nid: 1:3\ndata: {}\n\n"});
      return r;
    }
    return {200, prediction("succeeded", json::array{"Hello", " world", "\n"}, true)};
  };
  Sink sink;
  Outcome o = stream(context(), sink);
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  EXPECT_EQ(fake->seen.at(0).headers.count("prefer"), 0u);
  const Seen& get_stream = fake->seen.at(1);
  EXPECT_EQ(get_stream.headers.at("accept"), "text/event-stream");
  EXPECT_EQ(get_stream.headers.count("authorization"), 0u);  // stream hosts never see the token
  ASSERT_EQ(sink.chunks.size(), 6u);  // role, 3 tokens, finish, usage
  EXPECT_EQ(sink.chunks[0].at("choices").at(0).at("delta"),
            json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(sink.text(), "Hello world\n");
  EXPECT_EQ(sink.chunks[4].at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_EQ(sink.chunks[5].at("usage").at("prompt_tokens"), 26);
  for (const auto& c : sink.chunks) {
    EXPECT_EQ(c.at("id"), "chatcmpl-p1");
    EXPECT_EQ(c.at("created"), sink.chunks[0].at("created"));
  }
  EXPECT_GT(sink.at[2] - sink.at[1], 250ms);  // the second token was not held back
  EXPECT_EQ(o.chunks_sent, 6);
  EXPECT_GE(o.ttfb_ms, 0);
  EXPECT_LT(o.ttfb_ms, 250);
  EXPECT_EQ(o.usage.completion_tokens, 84);
}

TEST_F(ReplicateProviderTest, StreamErrorEventFailsWithTheReplicateText) {
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST") return {201, prediction("starting", nullptr, false, true)};
    Reply r;
    r.sse.emplace();
    r.sse->push_back({0ms, "event: output\nid: 1\ndata: Hel\n\n"});
    r.sse->push_back({0ms, "event: error\nid: 2\ndata: {\"detail\":\"CUDA out of memory\"}\n\n"});
    r.sse->push_back({0ms, "event: done\nid: 3\ndata: {\"reason\":\"error\"}\n\n"});
    return r;
  };
  Sink sink;
  Outcome o = stream(context(), sink);
  EXPECT_EQ(o.failure, Failure::server_error);
  EXPECT_EQ(o.message, "Replicate prediction failed: CUDA out of memory");
  EXPECT_EQ(o.chunks_sent, 2);
  EXPECT_EQ(fake->count("POST", "/v1/predictions/p1/cancel"), 0);
}

TEST_F(ReplicateProviderTest, ClientGoneCancelsThePrediction) {
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST" && !s.target.ends_with("/cancel")) {
      return {201, prediction("starting", nullptr, false, true)};
    }
    if (s.target.ends_with("/cancel")) return {200, prediction("canceled", nullptr)};
    Reply r;
    r.sse.emplace();
    r.sse->push_back({0ms, "event: output\nid: 1\ndata: a\n\n"});
    r.sse->push_back({0ms, "event: output\nid: 2\ndata: b\n\n"});
    r.sse->push_back({2000ms, "event: done\nid: 3\ndata: {}\n\n"});
    return r;
  };
  Sink sink;
  sink.accept = 2;
  Outcome o = stream(context(), sink);
  EXPECT_EQ(o.failure, Failure::canceled);
  EXPECT_EQ(fake->count("POST", "/v1/predictions/p1/cancel"), 1);
}

TEST_F(ReplicateProviderTest, ModelWithoutStreamIsPolledAndDiffed) {
  int gets = 0;
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.method == "POST") return {201, prediction("starting", nullptr)};
    ++gets;
    if (gets == 1) return {200, prediction("processing", json::array{"one"})};
    if (gets == 2) return {200, prediction("processing", json::array{"one", " two"})};
    return {200, prediction("succeeded", json::array{"one", " two", " three"}, true)};
  };
  Sink sink;
  Outcome o = stream(context(), sink);
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  EXPECT_EQ(sink.text(), "one two three");
  EXPECT_EQ(sink.chunks.back().at("choices").at(0).at("finish_reason"), "stop");
}

TEST_F(ReplicateProviderTest, StreamUrlOnAForeignHostIsRefusedAndCanceled) {
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.target.ends_with("/cancel")) return {200, prediction("canceled", nullptr)};
    json::value p = json::parse(prediction("starting", nullptr));
    p.at("urls").as_object()["stream"] = "http://169.254.169.254/latest/meta-data";
    return {201, json::serialize(p)};
  };
  Sink sink;
  Outcome o = stream(context(), sink);
  EXPECT_EQ(o.failure, Failure::connection_error);
  EXPECT_NE(o.message.find("169.254.169.254"), std::string::npos);
  EXPECT_EQ(fake->count("POST", "/v1/predictions/p1/cancel"), 1);
  EXPECT_TRUE(sink.chunks.empty());
}

TEST_F(ReplicateProviderTest, ImagesAsB64JsonDownloadTheFile) {
  ex.route = gateway::Route::images_generations;
  ex.body = json::parse(R"({"prompt":"a cat","n":2,"size":"1792x1024","response_format":"b64_json"})");
  fake->handler = [&](const Seen& s) -> Reply {
    if (s.target.starts_with("/files/")) return {200, "PNGBYTES" + s.target, "image/png"};
    return {201, prediction("succeeded", json::array{"http://127.0.0.1:" + std::to_string(port) +
                                                         "/files/out-0.png",
                                                     "data:image/png;base64,aGk="})};
  };
  Outcome o = complete(context("black-forest-labs/flux-schnell"));
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  json::value input = json::parse(fake->seen.at(0).body).at("input");
  EXPECT_EQ(input.at("num_outputs"), 2);
  EXPECT_EQ(input.at("aspect_ratio"), "16:9");
  const auto& data = o.answer.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].at("b64_json").as_string(), base64_encode("PNGBYTES/files/out-0.png"));
  EXPECT_EQ(data[1].at("b64_json").as_string(), base64_encode("hi"));
  EXPECT_EQ(fake->seen.back().headers.count("authorization"), 0u);  // file hosts: no token
}

TEST_F(ReplicateProviderTest, ImagesAsUrls) {
  ex.route = gateway::Route::images_generations;
  ex.body = json::parse(R"({"prompt":"a cat"})");
  fake->handler = [&](const Seen&) -> Reply {
    return {201, prediction("succeeded", "https://replicate.delivery/x/out-0.webp")};
  };
  Outcome o = complete(context("stability-ai/stable-diffusion-3.5-large"));
  ASSERT_EQ(o.failure, Failure::none) << o.message;
  EXPECT_EQ(o.answer.at("data").at(0).at("url"), "https://replicate.delivery/x/out-0.webp");
  // Image models have no stream: Replicate holds the create until they finish.
  EXPECT_EQ(fake->seen.at(0).headers.at("prefer"), "wait=3");  // 5 s deadline minus 1 s margin
}

}  // namespace
}  // namespace kt::providers::replicate
