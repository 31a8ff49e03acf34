#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/errors.h"
#include "api/request.h"

namespace kt::api {
namespace {

namespace json = boost::json;

TEST(Errors, EnvelopeShapeAndStatuses) {
  const auto v = json::parse(error_body(ErrorKind::policy_input_blocked, "blocked", "pii-detector"));
  const auto& e = v.at("error").as_object();
  EXPECT_EQ(e.at("message").as_string(), "blocked");
  EXPECT_EQ(e.at("type").as_string(), "policy_violation");
  EXPECT_EQ(e.at("code").as_string(), "input_blocked");
  EXPECT_TRUE(e.at("param").is_null());
  EXPECT_EQ(e.at("policy").as_string(), "pii-detector");
  EXPECT_EQ(error_info(ErrorKind::policy_input_blocked).status, 409);
  EXPECT_EQ(error_info(ErrorKind::validation).status, 422);
  EXPECT_EQ(error_info(ErrorKind::authentication).status, 401);
  EXPECT_EQ(error_info(ErrorKind::model_not_found).status, 404);
  EXPECT_EQ(error_info(ErrorKind::request_too_large).status, 413);
  EXPECT_EQ(error_info(ErrorKind::rate_limit).status, 429);
  EXPECT_EQ(error_info(ErrorKind::upstream).status, 502);
  EXPECT_EQ(error_info(ErrorKind::upstream_timeout).status, 504);
  EXPECT_EQ(error_info(ErrorKind::unavailable).status, 503);
  EXPECT_STREQ(error_info(ErrorKind::upstream_timeout).code, "upstream_timeout");
  EXPECT_FALSE(json::parse(error_body(ErrorKind::upstream, "x")).at("error").as_object().contains("policy"));
}

TEST(Errors, SseErrorEndsWithDone) {
  const std::string s = error_sse(ErrorKind::upstream, "Prediction failed: CUDA OOM");
  ASSERT_TRUE(s.starts_with("data: {\"error\":"));
  EXPECT_TRUE(s.ends_with("\n\ndata: [DONE]\n\n"));
  const auto payload = s.substr(6, s.find("\n\n") - 6);
  EXPECT_EQ(json::parse(payload).at("error").at("message").as_string(), "Prediction failed: CUDA OOM");
}

DecodedRequest ok(Endpoint ep, std::string_view body) {
  DecodedRequest r;
  DecodeError e;
  EXPECT_TRUE(decode_request(ep, body, r, e)) << e.message;
  return r;
}

std::string bad(Endpoint ep, std::string_view body) {
  DecodedRequest r;
  DecodeError e;
  EXPECT_FALSE(decode_request(ep, body, r, e)) << body;
  return e.message;
}

TEST(Request, ChatFieldsAndStreamFlags) {
  auto r = ok(Endpoint::chat,
              R"({"model":"m","stream":true,"stream_options":{"include_usage":true},)"
              R"("messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]},)"
              R"({"role":"assistant","content":null,"tool_calls":[]}]})");
  EXPECT_EQ(r.model, "m");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
}

TEST(Request, RejectsWhatTheGatewayCannotHandle) {
  EXPECT_NE(bad(Endpoint::chat, "{"), "");
  EXPECT_NE(bad(Endpoint::chat, "[]").find("object"), std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"messages":[{"role":"user","content":"x"}]})").find("model"),
            std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"model":"m"})").find("messages"), std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"model":"m","messages":[]})").find("at least one"),
            std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"model":"m","messages":[{"role":"wizard","content":"x"}]})")
                .find("role"),
            std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"model":"m","messages":[{"role":"user","content":5}]})")
                .find("content"),
            std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"model":3,"messages":[{"role":"user","content":"x"}]})")
                .find("model"),
            std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"model":"m","stream":"yes","messages":[{"role":"user","content":"x"}]})")
                .find("stream"),
            std::string::npos);
  EXPECT_NE(bad(Endpoint::chat, R"({"model":"m","n":0,"messages":[{"role":"user","content":"x"}]})")
                .find("'n'"),
            std::string::npos);
  // Invalid UTF-8 and deep nesting are refused by the parser.
  EXPECT_NE(bad(Endpoint::chat, "{\"model\":\"\xff\",\"messages\":[]}"), "");
  EXPECT_NE(bad(Endpoint::chat, std::string(200, '[') + std::string(200, ']')), "");
}

TEST(Request, OtherEndpoints) {
  ok(Endpoint::completion, R"({"model":"m","prompt":"hi"})");
  ok(Endpoint::completion, R"({"model":"m","prompt":["a","b"]})");
  EXPECT_NE(bad(Endpoint::completion, R"({"model":"m"})").find("prompt"), std::string::npos);
  ok(Endpoint::embedding, R"({"model":"m","input":["a"]})");
  EXPECT_NE(bad(Endpoint::embedding, R"({"model":"m","input":"a","stream":true})"), "");
  auto img = ok(Endpoint::image, R"({"prompt":"a cat"})");
  EXPECT_EQ(img.model, "");
  EXPECT_NE(bad(Endpoint::image, R"({"prompt":""})").find("prompt"), std::string::npos);
}

}  // namespace
}  // namespace kt::api
