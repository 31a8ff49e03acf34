#include "policies/pii_detector.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace kt::policies {
namespace {

namespace json = boost::json;

Exchange exchange_of(std::string_view body, gateway::Route route = gateway::Route::chat_completions) {
  Exchange ex;
  ex.route = route;
  ex.body = json::parse(body);
  return ex;
}

config::PiiDetectorSettings settings() { return config::PiiDetectorSettings{}; }

TEST(PiiDetector, RedactsStringContentAndReportsCountsNotValues) {
  auto p = make_pii_detector(settings());
  EXPECT_EQ(p->kind(), "pii-detector");
  Exchange ex = exchange_of(
      R"({"model":"m","messages":[{"role":"user","content":"mail a@b.io and c@d.io, ssn 123-45-6789"}]})");
  Decision d = p->on_request(ex);
  EXPECT_EQ(d.verdict, Verdict::redact);
  EXPECT_EQ(d.reason_code, "pii.detected");
  EXPECT_TRUE(ex.body_modified);
  EXPECT_EQ(ex.body.at("messages").at(0).at("content").as_string(),
            "mail [EMAIL] and [EMAIL], ssn [US_SSN]");
  EXPECT_EQ(d.findings.at("entities").at("EMAIL").as_int64(), 2);
  EXPECT_EQ(d.findings.at("entities").at("US_SSN").as_int64(), 1);
  const json::array& loc = d.findings.at("locations").as_array();
  ASSERT_EQ(loc.size(), 3u);
  EXPECT_EQ(loc[0].at("field").as_string(), "messages[0].content");
  EXPECT_EQ(loc[0].at("start").to_number<std::int64_t>(), 5);
  std::string serialized = json::serialize(d.findings);
  EXPECT_EQ(serialized.find("a@b.io"), std::string::npos);
  EXPECT_EQ(serialized.find("6789"), std::string::npos);
}

TEST(PiiDetector, CleanRequestIsAllowedUntouched) {
  auto p = make_pii_detector(settings());
  Exchange ex = exchange_of(R"({"messages":[{"role":"user","content":"hello there"}]})");
  Decision d = p->on_request(ex);
  EXPECT_EQ(d.verdict, Verdict::allow);
  EXPECT_FALSE(ex.body_modified);
  EXPECT_TRUE(d.findings.empty());
}

TEST(PiiDetector, ArrayPartsNameAndToolCallArguments) {
  auto p = make_pii_detector(settings());
  Exchange ex = exchange_of(R"({"messages":[
    {"role":"user","name":"a@b.io","content":[{"type":"text","text":"card 4111111111111111"},
                                      {"type":"image_url","image_url":{"url":"http://x"}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
      "function":{"name":"send","arguments":"{\"to\":\"bob@example.com\"}"}}]},
    {"role":"assistant","function_call":{"name":"f","arguments":"{\"ip\":\"10.0.0.1\"}"}}]})");
  Decision d = p->on_request(ex);
  EXPECT_EQ(d.verdict, Verdict::redact);
  const json::array& m = ex.body.at("messages").as_array();
  EXPECT_EQ(m[0].at("name").as_string(), "[EMAIL]");
  EXPECT_EQ(m[0].at("content").at(0).at("text").as_string(), "card [CREDIT_CARD]");
  EXPECT_EQ(m[1].at("tool_calls").at(0).at("function").at("arguments").as_string(),
            R"({"to":"[EMAIL]"})");
  EXPECT_EQ(m[2].at("function_call").at("arguments").as_string(), R"({"ip":"[IP_ADDRESS]"})");
  EXPECT_EQ(d.findings.at("entities").at("EMAIL").as_int64(), 2);
}

TEST(PiiDetector, CompletionsEmbeddingsAndImages) {
  auto p = make_pii_detector(settings());
  Exchange c = exchange_of(R"({"prompt":["x a@b.io","ok"]})", gateway::Route::completions);
  p->on_request(c);
  EXPECT_EQ(c.body.at("prompt").at(0).as_string(), "x [EMAIL]");
  Exchange e = exchange_of(R"({"input":"ip 10.1.2.3"})", gateway::Route::embeddings);
  p->on_request(e);
  EXPECT_EQ(e.body.at("input").as_string(), "ip [IP_ADDRESS]");
  Exchange i = exchange_of(R"({"prompt":"draw a@b.io"})", gateway::Route::images_generations);
  p->on_request(i);
  EXPECT_EQ(i.body.at("prompt").as_string(), "draw [EMAIL]");
}

TEST(PiiDetector, BlockActionNamesTypesNotValues) {
  auto s = settings();
  s.action = "block";
  auto p = make_pii_detector(s);
  Exchange ex = exchange_of(R"({"messages":[{"role":"user","content":"a@b.io 4111111111111111"}]})");
  Decision d = p->on_request(ex);
  EXPECT_EQ(d.verdict, Verdict::block);
  EXPECT_EQ(d.reason_code, "pii.detected");
  EXPECT_EQ(d.message, "Request blocked: PII detected (CREDIT_CARD, EMAIL)");
  EXPECT_FALSE(ex.body_modified);
  EXPECT_EQ(ex.body.at("messages").at(0).at("content").as_string(), "a@b.io 4111111111111111");
}

TEST(PiiDetector, MarkerFormatsAndOptions) {
  struct Case {
    const char* format;
    bool preserve;
    const char* expected;
  };
  for (const Case& c : {Case{"label", false, "card [CREDIT_CARD]"},
                        Case{"label", true, "card [CREDIT_CARD]***"},
                        Case{"asterisks", false, "card ****"},
                        Case{"asterisks", true, "card ****************"},
                        Case{"partial", false, "card ****1111"},
                        Case{"partial", true, "card ************1111"}}) {
    auto s = settings();
    s.redaction.marker_format = c.format;
    s.redaction.preserve_length = c.preserve;
    auto p = make_pii_detector(s);
    Exchange ex = exchange_of(R"({"messages":[{"role":"user","content":"card 4111111111111111"}]})");
    p->on_request(ex);
    EXPECT_EQ(ex.body.at("messages").at(0).at("content").as_string(), c.expected) << c.format;
  }
  auto s = settings();
  s.redaction.custom_markers = {{"EMAIL", "<email>"}};
  s.redaction.include_metadata = false;
  auto p = make_pii_detector(s);
  Exchange ex = exchange_of(R"({"messages":[{"role":"user","content":"to a@b.io"}]})");
  Decision d = p->on_request(ex);
  EXPECT_EQ(ex.body.at("messages").at(0).at("content").as_string(), "to <email>");
  EXPECT_FALSE(d.findings.contains("locations"));
  EXPECT_TRUE(d.findings.contains("entities"));
}

TEST(PiiDetector, ResponseRedactionAndScanOutputOff) {
  auto p = make_pii_detector(settings());
  Exchange ex = exchange_of(R"({"messages":[]})");
  json::value answer = json::parse(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":"reach me at a@b.io"}},
                     {"index":1,"text":"ip 10.0.0.1"}]})");
  Decision d = p->on_response(ex, answer);
  EXPECT_EQ(d.verdict, Verdict::redact);
  EXPECT_EQ(answer.at("choices").at(0).at("message").at("content").as_string(),
            "reach me at [EMAIL]");
  EXPECT_EQ(answer.at("choices").at(1).at("text").as_string(), "ip [IP_ADDRESS]");

  auto s = settings();
  s.scan_output = false;
  auto off = make_pii_detector(s);
  json::value a2 = json::parse(R"({"choices":[{"message":{"content":"a@b.io"}}]})");
  EXPECT_EQ(off->on_response(ex, a2).verdict, Verdict::allow);
  EXPECT_EQ(a2.at("choices").at(0).at("message").at("content").as_string(), "a@b.io");
  EXPECT_EQ(off->on_stream(ex), nullptr);
}

TEST(PiiDetector, StreamFilterRedactsSplitValues) {
  auto p = make_pii_detector(settings());
  Exchange ex = exchange_of(R"({"messages":[]})");
  auto f = p->on_stream(ex);
  ASSERT_NE(f, nullptr);
  std::string out;
  f->write("Sure! Mail john.d", out);
  EXPECT_EQ(out, "Sure! Mail ");
  f->write("oe@example.com today.", out);
  f->finish(out);
  EXPECT_EQ(out, "Sure! Mail [EMAIL] today.");
  Decision d = f->decision();
  EXPECT_EQ(d.verdict, Verdict::redact);
  EXPECT_EQ(d.findings.at("entities").at("EMAIL").as_int64(), 1);

  auto s = settings();
  s.action = "block";
  auto blocker = make_pii_detector(s);
  auto bf = blocker->on_stream(ex);
  std::string o2;
  bf->write("ssn 123-45-6789 ok", o2);
  bf->finish(o2);
  EXPECT_EQ(bf->decision().verdict, Verdict::block);
  EXPECT_EQ(o2.find("6789"), std::string::npos);
}

TEST(PiiDetector, BadSettingsAreClearErrors) {
  auto s = settings();
  s.detect_patterns = {"EMP-[0-9]{6}", "(oops"};
  try {
    make_pii_detector(s);
    FAIL();
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("pii-detector"), std::string::npos) << what;
    EXPECT_NE(what.find("detect_patterns[1]"), std::string::npos) << what;
  }
  auto a = settings();
  a.action = "shred";
  EXPECT_THROW(make_pii_detector(a), std::invalid_argument);
  auto m = settings();
  m.redaction.marker_format = "stars";
  EXPECT_THROW(make_pii_detector(m), std::invalid_argument);
}

TEST(PiiDetector, CustomPatternsAreRedacted) {
  auto s = settings();
  s.detect_patterns = {"EMP-[0-9]{6}"};
  auto p = make_pii_detector(s);
  Exchange ex = exchange_of(R"({"messages":[{"role":"user","content":"badge EMP-123456"}]})");
  Decision d = p->on_request(ex);
  EXPECT_EQ(ex.body.at("messages").at(0).at("content").as_string(), "badge [CUSTOM]");
  EXPECT_EQ(d.findings.at("entities").at("CUSTOM").as_int64(), 1);
}

}  // namespace
}  // namespace kt::policies
