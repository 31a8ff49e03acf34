#include "audit/event.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "audit/time_format.h"
#include "audit/ulid.h"
#include "audit_test_util.h"

namespace kt::audit {
namespace {

namespace json = boost::json;

TEST(Ulid, IsCrockfordBase32AndMonotonic) {
  std::string prev;
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    const std::string id = new_ulid();
    ASSERT_EQ(id.size(), 26u);
    EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos);
    EXPECT_LT(prev, id);
    prev = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 5000u);
}

TEST(Ulid, EncodesTimeInTheFirstTenCharacters) {
  // The spec's example time 1469918176385 encodes as 01ARYZ6S41.
  EXPECT_EQ(encode_ulid(1469918176385, 0, 0).substr(0, 10), "01ARYZ6S41");
  EXPECT_EQ(encode_ulid(0, 0, 0), std::string(26, '0'));
  EXPECT_EQ(encode_ulid(0xFFFFFFFFFFFF, 0xFFFF, ~0ull), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
}

TEST(ChainHash, IsSha256OfPrevHashThenCanonical) {
  // SHA-256("abc") split across the two inputs.
  EXPECT_EQ(chain_hash("a", "bc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Canonical, FixedOrderNoWhitespaceNoHash) {
  Event ev = testing::sample_event(1);
  ev.hash = "should-not-appear";
  const std::string c = canonical_json(ev);
  EXPECT_EQ(c.find("should-not-appear"), std::string::npos);
  EXPECT_EQ(c.find(" "), std::string::npos);  // sample strings hold no spaces either
  EXPECT_EQ(c.find('\n'), std::string::npos);
  EXPECT_EQ(c.rfind("{\"id\":\"evt_", 0), 0u);
  const std::vector<std::string> order = {
      "\"id\"",      "\"timestamp\"", "\"request_id\"", "\"gateway_id\"", "\"pack\"",
      "\"route\"",   "\"model\"",     "\"stream\"",     "\"verdict\"",    "\"reason_code\"",
      "\"status\"",  "\"target\"",    "\"degraded\"",   "\"error\"",      "\"policies\"",
      "\"attempts\"", "\"usage\"",    "\"latency_ms\"", "\"client\"",     "\"content\"",
      "\"seq\"",     "\"prev_hash\""};
  std::size_t at = 0;
  for (const auto& key : order) {
    const std::size_t found = c.find(key + ":", at);
    ASSERT_NE(found, std::string::npos) << key;
    at = found;
  }
  EXPECT_EQ(canonical_json(ev), c);  // deterministic
}

// canonical_json writes the bytes itself; they must stay exactly what serialising to_json
// gives (stored chains are verified against them), for every field shape and every byte.
TEST(Canonical, SameBytesAsSerialisingToJson) {
  std::string all_bytes;
  for (int c = 1; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  std::vector<Event> events;
  events.push_back(testing::sample_event(1));
  Event full = testing::sample_event(2, "block");
  full.error = "upstream said \"no\"\n\ttab \\ back" + all_bytes;
  full.stream = true;
  full.degraded = true;
  full.pack_enabled = false;
  full.policies.push_back({"pii-detector", gateway::Phase::output, "redact", "pii.detected", 42,
                           json::object{{"email", 2}, {"families", json::array{"a", "b"}}}, false});
  full.policies.push_back({"prompt-injection", gateway::Phase::input, "block", "x\x01y", 0, {}, true});
  full.attempts.push_back({"t1", "openai", 503, "busy\r\n", 1.25, -1, -1});
  full.attempts.push_back({"t2", "replicate", 200, "", 1234.5678, 0.001, 1e-9});
  full.usage = {12, 30};
  full.latency_ms = 1e21;
  full.user_id = "user \u00e9\xff";
  full.hipaa = true;
  full.identity = {{"x-user", "a"}, {"x-org", "b"}, {"x-user", "c"}, {"k\"ey", "v"}};
  full.data_categories = {"phi", "pii"};
  full.content = json::object{{"messages", json::array{json::object{{"role", "user"},
                                                                    {"content", all_bytes}}}},
                              {"answer", "ok"}};
  full.seq = 9'007'199'254'740'993;
  full.prev_hash = kGenesisHash;
  events.push_back(full);
  Event partial = testing::sample_event(3);
  partial.usage = {-1, 7};
  partial.latency_ms = 0;
  partial.identity = {{"x", "y"}};  // hipaa off: not written
  events.push_back(partial);
  for (const Event& ev : events) {
    EXPECT_EQ(canonical_json(ev), json::serialize(to_json(ev, false)));
  }
}

TEST(Chain, LinksEventsInOrder) {
  Event a = testing::sample_event(1), b = testing::sample_event(2);
  const std::string ca = link_event(a, 0, kGenesisHash);
  EXPECT_EQ(a.seq, 1);
  EXPECT_EQ(a.prev_hash, kGenesisHash);
  EXPECT_EQ(a.hash, chain_hash(kGenesisHash, ca));
  const std::string cb = link_event(b, a.seq, a.hash);
  EXPECT_EQ(b.seq, 2);
  EXPECT_EQ(b.prev_hash, a.hash);
  EXPECT_EQ(b.hash, chain_hash(a.hash, cb));
  EXPECT_NE(cb.find("\"prev_hash\":\"" + a.hash + "\""), std::string::npos);
}

TEST(ShouldRecord, LogAllAccessFalseKeepsOnlyNonAllowAndErrors) {
  config::AuditLoggerSettings s;
  Event ok = testing::sample_event(1);
  EXPECT_TRUE(should_record(ok, s));
  s.log_all_access = false;
  EXPECT_FALSE(should_record(ok, s));
  EXPECT_TRUE(should_record(testing::sample_event(1, "block"), s));
  EXPECT_TRUE(should_record(testing::sample_event(1, "redact"), s));
  Event failed = testing::sample_event(1);
  failed.status = 502;
  EXPECT_TRUE(should_record(failed, s));
  Event degraded = testing::sample_event(1);
  degraded.degraded = true;
  EXPECT_TRUE(should_record(degraded, s));
}

TEST(Scrub, ReplacesCredentialShapes) {
  EXPECT_EQ(scrub_secrets("Authorization: Bearer abcdefghijklmnop"),
            "Authorization: Bearer [SECRET]");
  EXPECT_EQ(scrub_secrets("key sk-proj-abcdefghijklmnopqrstu end"), "key [SECRET] end");
  EXPECT_EQ(scrub_secrets("r8_AbCdEfGhIjKlMnOpQrStUv"), "[SECRET]");
  EXPECT_EQ(scrub_secrets("AKIAABCDEFGHIJKLMNOP"), "[SECRET]");
  EXPECT_EQ(scrub_secrets("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl!"),
            "jwt [SECRET]!");
  EXPECT_EQ(scrub_secrets("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY----- x"),
            "[SECRET] x");
  EXPECT_EQ(scrub_secrets("my token is hunter2hunter2!", {"hunter2hunter2"}),
            "my token is [SECRET]!");
  // Ordinary text is untouched, including words that merely start like a key.
  EXPECT_EQ(scrub_secrets("ask-me anything; skip AKIA"), "ask-me anything; skip AKIA");
}

config::ConfigPtr test_config() {
  auto cfg = std::make_shared<config::Config>();
  cfg->pack = {"replicate-gateway", "0.1.0", true, "", "", ""};
  cfg->hash = "abc123";
  config::Target t;
  t.id = "replicate-llama";
  t.secret_env = "KT_AUDIT_TEST_PROVIDER_KEY";
  cfg->providers.targets.push_back(t);
  return cfg;
}

gateway::Exchange exchange_with_secrets() {
  gateway::Exchange ex;
  ex.request_id = "req-1";
  ex.client_ip = "10.0.0.7";
  ex.user_id = "alice";
  ex.config = test_config();
  ex.model = "llama";
  ex.body = json::parse(R"({"model":"llama","messages":[
      {"role":"system","content":"You are helpful"},
      {"role":"user","content":[{"type":"text","text":"Authorization: Bearer live-token-1234567890 and key sk-abcdefghijklmnopqrstuvwx"},
                                {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
      {"role":"user","content":"my provider key is zz-provider-secret-value-42"}]})");
  ex.answer_text = "Here you go: r8_AbCdEfGhIjKlMnOpQrStUv";
  ex.identity = {{"x-user-id", "alice"},
                 {"authorization", "Bearer live-token-1234567890"},
                 {"x-api-key", "zz-provider-secret-value-42"},
                 {"x-user-role", "nurse"}};
  ex.data_categories = {"EMAIL"};
  ex.verdict = gateway::Verdict::redact;
  ex.reason_code = "pii.detected";
  ex.status = 200;
  ex.served_by = "replicate-llama";
  ex.policies.push_back({"pii-detector", gateway::Phase::input, "redact", "pii.detected", 42,
                         json::object{{"EMAIL", 1}}, false});
  gateway::Attempt at;
  at.target = "replicate-llama";
  at.provider = "replicate";
  at.status = 200;
  at.latency_ms = 800;
  at.ttfb_ms = 120;
  at.queue_ms = 500;
  ex.attempts.push_back(at);
  ex.usage = {10, 20};
  return ex;
}

TEST(MakeEvent, RedactedContentCarriesNoCredential) {
  setenv("KT_AUDIT_TEST_PROVIDER_KEY", "zz-provider-secret-value-42", 1);
  const gateway::Exchange ex = exchange_with_secrets();
  EventOptions opts{"gw-1", ContentMode::redacted, true};
  const Event ev = make_event(ex, opts);
  const std::string text = json::serialize(to_json(ev));
  for (const char* secret : {"live-token-1234567890", "sk-abcdefghijklmnopqrstuvwx",
                             "zz-provider-secret-value-42", "r8_AbCdEfGhIjKlMnOpQrStUv",
                             "authorization", "x-api-key", "data:image"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(ev.id.rfind("evt_", 0), 0u);
  EXPECT_EQ(ev.id.size(), 30u);
  EXPECT_EQ(ev.gateway_id, "gw-1");
  EXPECT_EQ(ev.pack_name, "replicate-gateway");
  EXPECT_EQ(ev.config_hash, "abc123");
  EXPECT_EQ(ev.verdict, "redact");
  EXPECT_EQ(ev.target, "replicate-llama");
  ASSERT_TRUE(ev.content);
  EXPECT_EQ(ev.content->at("messages").as_array().size(), 3u);
  EXPECT_EQ(ev.content->at("messages").at(0).at("content"), "You are helpful");
  EXPECT_EQ(ev.content->at("answer"), "Here you go: [SECRET]");
  const json::object o = to_json(ev);
  EXPECT_EQ(o.at("identity").as_object().size(), 2u);
  EXPECT_EQ(o.at("identity").at("x-user-role"), "nurse");
  EXPECT_EQ(o.at("data_categories").at(0), "EMAIL");
  EXPECT_EQ(o.at("client").at("user_id"), "alice");
  EXPECT_EQ(o.at("usage").at("total_tokens"), 30);
  EXPECT_EQ(o.at("attempts").at(0).at("queue_ms"), 500.0);
  EXPECT_EQ(o.at("policies").at(0).at("latency_us"), 42u);
  EXPECT_EQ(parse_rfc3339(ev.timestamp), ev.ts_ms);
  unsetenv("KT_AUDIT_TEST_PROVIDER_KEY");
}

// A credential given as a flag (--api-token, --upstream-api-key) is no environment variable:
// the gateway registers it, and make_event replaces it wherever a prompt or answer quotes it.
TEST(MakeEvent, CredentialsFromFlagsAreScrubbed) {
  gateway::Exchange ex = exchange_with_secrets();
  ex.body = json::parse(
      R"({"model":"llama","messages":[{"role":"user","content":"token flagtoken-9f8e7d6c, ok"}]})");
  ex.answer_text = "you said flagtoken-9f8e7d6c";
  add_known_secret("short");  // ignored: too short to search for
  add_known_secret("flagtoken-9f8e7d6c");
  const Event ev = make_event(ex, EventOptions{"gw-1", ContentMode::redacted, false});
  const std::string text = json::serialize(to_json(ev));
  EXPECT_EQ(text.find("flagtoken-9f8e7d6c"), std::string::npos) << text;
  EXPECT_EQ(ev.content->at("messages").at(0).at("content"), "token [SECRET], ok");
  EXPECT_EQ(ev.content->at("answer"), "you said [SECRET]");
  EXPECT_EQ(scrub_secrets("short story"), "short story");
}

TEST(MakeEvent, ContentNoneKeepsNothingAndNoHipaaFieldsByDefault) {
  const gateway::Exchange ex = exchange_with_secrets();
  const Event ev = make_event(ex, EventOptions{"gw-1", ContentMode::none, false});
  EXPECT_FALSE(ev.content);
  const json::object o = to_json(ev);
  EXPECT_TRUE(o.at("content").is_null());
  EXPECT_FALSE(o.contains("identity"));
  EXPECT_FALSE(o.contains("data_categories"));
  EXPECT_EQ(json::serialize(o).find("You are helpful"), std::string::npos);
}

TEST(TimeFormat, RoundTripsAndParsesSince) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.123Z"), 1700000000123);
  EXPECT_EQ(parse_rfc3339("2023-11-14T23:13:20+01:00"), 1700000000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.5Z"), 1700000000500);
  EXPECT_FALSE(parse_rfc3339("2023-13-14T22:13:20Z"));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20"));
  EXPECT_EQ(parse_since("5m", 1'000'000), 1'000'000 - 300'000);
  EXPECT_EQ(parse_since("1h", 10'000'000), 10'000'000 - 3'600'000);
  EXPECT_EQ(parse_since("7d", 1'000'000'000), 1'000'000'000 - 604'800'000);
  EXPECT_EQ(parse_since("2023-11-14T22:13:20Z", 5), 1700000000000);
  EXPECT_FALSE(parse_since("5w", 0));
  EXPECT_FALSE(parse_since("m", 0));
  EXPECT_FALSE(parse_since("-5m", 0));
}

}  // namespace
}  // namespace kt::audit
