#include "providers/replicate_response.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace kt::providers::replicate {
namespace {
namespace json = boost::json;

Prediction parsed(std::string_view text) {
  Prediction p;
  EXPECT_EQ(parse_prediction(text, p), "");
  return p;
}

constexpr std::string_view kSucceeded = R"({"id":"zjq6","model":"meta/x","version":"hidden",
  "input":{"prompt":"p"},"output":["T","ina"," has",""],"logs":"","error":null,
  "status":"succeeded","created_at":"2024-07-23T15:04:21.227000Z",
  "started_at":"2024-07-23T15:04:21.300000Z","completed_at":"2024-07-23T15:04:24.090090Z",
  "metrics":{"predict_time":2.79,"input_token_count":26,"output_token_count":84},
  "urls":{"get":"https://api.replicate.com/v1/predictions/zjq6",
          "cancel":"https://api.replicate.com/v1/predictions/zjq6/cancel",
          "stream":"https://streaming-api.svc.rno2.c.replicate.net/v1/streams/abc"}})";

TEST(ReplicatePrediction, ParsesTheFieldsWeUse) {
  Prediction p = parsed(kSucceeded);
  EXPECT_EQ(p.id, "zjq6");
  EXPECT_EQ(p.status, "succeeded");
  EXPECT_TRUE(p.terminal());
  EXPECT_EQ(p.url_get, "https://api.replicate.com/v1/predictions/zjq6");
  EXPECT_EQ(p.url_cancel, "https://api.replicate.com/v1/predictions/zjq6/cancel");
  EXPECT_EQ(p.url_stream, "https://streaming-api.svc.rno2.c.replicate.net/v1/streams/abc");
  EXPECT_EQ(p.input_tokens, 26);
  EXPECT_EQ(p.output_tokens, 84);
  EXPECT_EQ(output_text(p.output), "Tina has");
  EXPECT_EQ(output_fragments(p.output), 4u);
  EXPECT_NEAR(queue_ms(p), 73.0, 0.01);
}

TEST(ReplicatePrediction, SyncAnswerWithoutMetricsIsNotTerminal) {
  Prediction p = parsed(R"({"id":"jp9","status":"processing","output":["a","b"],
                            "created_at":"2024-10-04T18:07:33.396Z","urls":{"get":"g"}})");
  EXPECT_FALSE(p.terminal());
  EXPECT_FALSE(p.has_token_counts());
  EXPECT_EQ(queue_ms(p), -1);
}

TEST(ReplicatePrediction, MalformedAnswers) {
  Prediction p;
  EXPECT_NE(parse_prediction("<html>", p), "");
  EXPECT_NE(parse_prediction("[]", p), "");
  EXPECT_NE(parse_prediction(R"({"status":"starting"})", p), "");
}

TEST(ReplicatePrediction, ChatCompletionWithUsageAndStop) {
  auto answer = chat_completion({parsed(kSucceeded)}, "meta/x", 1700000000, 512);
  EXPECT_EQ(answer.at("id"), "chatcmpl-zjq6");
  EXPECT_EQ(answer.at("object"), "chat.completion");
  EXPECT_EQ(answer.at("created"), 1700000000);
  EXPECT_EQ(answer.at("model"), "meta/x");
  const auto& choice = answer.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_EQ(choice.at("message").at("content"), "Tina has");
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(answer.at("usage"),
            json::parse(R"({"prompt_tokens":26,"completion_tokens":84,"total_tokens":110})"));
}

TEST(ReplicatePrediction, FinishReasonLengthAtTheLimit) {
  Prediction p = parsed(kSucceeded);
  EXPECT_EQ(finish_reason(p, 84), "length");
  EXPECT_EQ(finish_reason(p, 50), "length");
  EXPECT_EQ(finish_reason(p, 85), "stop");
  p.output_tokens.reset();
  EXPECT_EQ(finish_reason(p, 1), "stop");
}

TEST(ReplicatePrediction, SeveralChoicesSumUsage) {
  Prediction a = parsed(kSucceeded), b = parsed(kSucceeded);
  b.output = json::array{"other"};
  b.output_tokens = 1;
  auto answer = chat_completion({a, b}, "meta/x", 1, 84);
  const auto& choices = answer.at("choices").as_array();
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[1].at("index"), 1);
  EXPECT_EQ(choices[1].at("message").at("content"), "other");
  EXPECT_EQ(choices[0].at("finish_reason"), "length");
  EXPECT_EQ(choices[1].at("finish_reason"), "stop");
  EXPECT_EQ(answer.at("usage").at("completion_tokens"), 85);
  EXPECT_EQ(answer.at("usage").at("prompt_tokens"), 52);
}

TEST(ReplicatePrediction, UsageOmittedWhenMetricsAreMissing) {
  Prediction p = parsed(kSucceeded);
  p.input_tokens.reset();
  auto answer = chat_completion({p}, "m", 1, 512);
  EXPECT_FALSE(answer.contains("usage"));
  EXPECT_EQ(total_usage({p}).prompt_tokens, -1);
}

// Found by fuzzing (tests/fuzz/replicate.cpp): a metrics count of 2.9e20 was converted to int64
// (undefined behaviour, UBSan: float-cast-overflow) and counts near INT64_MAX overflowed when
// summed into usage. Implausible counts now count as missing metrics.
TEST(ReplicatePrediction, ImplausibleTokenCountsAreTreatedAsMissing) {
  for (const char* count : {"2.92234e+20", "9223372036854775807", "18446744073709551615", "-1",
                            "1e308", "\"12\""}) {
    const std::string body = std::string(R"({"id":"p","status":"succeeded","output":"hi",)") +
                             R"("metrics":{"input_token_count":)" + count +
                             R"(,"output_token_count":3}})";
    Prediction p = parsed(body);
    EXPECT_FALSE(p.input_tokens.has_value()) << count;
    EXPECT_FALSE(p.has_token_counts()) << count;
    const std::vector<Prediction> two = {p, p};
    EXPECT_EQ(total_usage(two).prompt_tokens, -1) << count;
    EXPECT_FALSE(chat_completion(two, "m", 1, 0).contains("usage")) << count;
  }
  Prediction ok = parsed(R"({"id":"p","status":"succeeded","output":"hi",
    "metrics":{"input_token_count":9007199254740992,"output_token_count":2.0}})");
  EXPECT_EQ(ok.input_tokens, 9007199254740992);
  EXPECT_EQ(ok.output_tokens, 2);
}

TEST(ReplicatePrediction, TextCompletionShape) {
  auto answer = text_completion({parsed(kSucceeded)}, "meta/x", 5, 512);
  EXPECT_EQ(answer.at("id"), "cmpl-zjq6");
  EXPECT_EQ(answer.at("object"), "text_completion");
  EXPECT_EQ(answer.at("choices").at(0).at("text"), "Tina has");
  EXPECT_EQ(answer.at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_EQ(answer.at("usage").at("total_tokens"), 110);
}

TEST(ReplicatePrediction, FailedAndCanceled) {
  Outcome failed = prediction_failure(parsed(R"({"id":"x","status":"failed",
                                                 "error":"CUDA out of memory"})"));
  EXPECT_EQ(failed.failure, Failure::server_error);
  EXPECT_EQ(failed.message, "Replicate prediction failed: CUDA out of memory");
  Outcome canceled = prediction_failure(parsed(R"({"id":"x","status":"canceled"})"));
  EXPECT_EQ(canceled.failure, Failure::server_error);
  EXPECT_EQ(canceled.message, "prediction was canceled");
}

TEST(ReplicateErrors, ProblemJsonMapping) {
  Outcome auth = error_outcome(401, R"({"title":"Unauthenticated",
      "detail":"You did not pass a valid authentication token","status":401})", "");
  EXPECT_EQ(auth.failure, Failure::auth);
  EXPECT_EQ(auth.status, 401);
  EXPECT_EQ(auth.message,
            "Replicate rejected the credential: You did not pass a valid authentication token");

  Outcome missing = error_outcome(404,
      R"({"detail":"The requested resource could not be found.","status":404})", "");
  EXPECT_EQ(missing.failure, Failure::not_found);
  EXPECT_EQ(missing.message, "Replicate model not found: The requested resource could not be found.");

  Outcome invalid = error_outcome(422, R"({"detail":"- input: prompt is required\n",
      "status":422,"title":"Input validation failed","invalid_fields":[]})", "");
  EXPECT_EQ(invalid.failure, Failure::bad_request);
  EXPECT_EQ(invalid.message, "Replicate rejected the request: - input: prompt is required");

  Outcome limited = error_outcome(429,
      R"({"detail":"Request was throttled. Expected available in 1 second."})", "1");
  EXPECT_EQ(limited.failure, Failure::rate_limit);
  EXPECT_EQ(limited.retry_after, "1");

  Outcome broken = error_outcome(503, "<html>bad gateway</html>", "");
  EXPECT_EQ(broken.failure, Failure::server_error);
  EXPECT_EQ(broken.message, "Replicate error 503: HTTP 503");

  EXPECT_EQ(error_outcome(403, "{}", "").failure, Failure::auth);
  EXPECT_EQ(error_outcome(400, "{}", "").failure, Failure::bad_request);
  EXPECT_EQ(error_outcome(402, R"({"title":"Insufficient credit"})", "").failure,
            Failure::server_error);
}

TEST(ReplicateFiles, OutputAsStringOrArray) {
  EXPECT_EQ(output_files(json::parse(R"("https://replicate.delivery/a.png")")),
            std::vector<std::string>{"https://replicate.delivery/a.png"});
  EXPECT_EQ(output_files(json::parse(R"(["u1","u2"])")), (std::vector<std::string>{"u1", "u2"}));
  EXPECT_TRUE(output_files(json::value(nullptr)).empty());
}

TEST(ReplicateFiles, DataUriDecoding) {
  EXPECT_EQ(decode_data_uri("data:image/png;base64,aGVsbG8="), "hello");
  EXPECT_EQ(decode_data_uri("data:image/png;base64,aGVsbG8h"), "hello!");
  EXPECT_EQ(decode_data_uri("data:image/png;base64,aGk="), "hi");
  EXPECT_EQ(decode_data_uri("data:image/png;base64,aA=="), "h");
  EXPECT_EQ(decode_data_uri("data:,a%20b"), "a b");
  EXPECT_EQ(decode_data_uri("data:image/png;base64,aGk"), std::nullopt);
  EXPECT_EQ(decode_data_uri("data:image/png;base64,a$==" ), std::nullopt);
  EXPECT_EQ(decode_data_uri("https://x/y.png"), std::nullopt);
  EXPECT_EQ(decode_data_uri("data:nocomma"), std::nullopt);
  EXPECT_EQ(decode_data_uri("data:,bad%zz"), std::nullopt);
}

TEST(ReplicateFiles, Base64RoundTrip) {
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_EQ(base64_encode(""), "");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  EXPECT_EQ(decode_data_uri("data:application/octet-stream;base64," + base64_encode(bytes)), bytes);
}

TEST(ReplicateTime, Rfc3339VariableFractions) {
  EXPECT_EQ(rfc3339_ms("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_EQ(rfc3339_ms("1970-01-02T00:00:01Z"), 86401000.0);
  auto a = rfc3339_ms("2023-08-16T18:57:08.36078514Z");
  auto b = rfc3339_ms("2023-08-16T18:57:08.3Z");
  ASSERT_TRUE(a && b);
  EXPECT_NEAR(*a - *b, 60.78514, 1e-3);
  auto c = rfc3339_ms("2024-04-22T11:15:15.329Z"), d = rfc3339_ms("2024-04-22T13:15:15.329+02:00");
  ASSERT_TRUE(c && d);
  EXPECT_DOUBLE_EQ(*c, *d);
  EXPECT_DOUBLE_EQ(*rfc3339_ms("2024-02-29T00:00:00Z") - *rfc3339_ms("2024-02-28T00:00:00Z"),
                   86400000.0);
  EXPECT_EQ(rfc3339_ms("2024-04-22 11:15:15"), std::nullopt);  // no zone
  EXPECT_EQ(rfc3339_ms("2024-13-22T11:15:15Z"), std::nullopt);
  EXPECT_EQ(rfc3339_ms("2024-04-22T11:15:15.Z"), std::nullopt);
  EXPECT_EQ(rfc3339_ms("yesterday"), std::nullopt);
  EXPECT_EQ(rfc3339_ms(""), std::nullopt);
}

}  // namespace
}  // namespace kt::providers::replicate
