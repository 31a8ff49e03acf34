// parse_target and make_pool_key: what the client takes from an upstream URL.
#include <gtest/gtest.h>

#include "http/target.h"

namespace kt::http {
namespace {

TEST(Target, HttpsDefaultsToPort443AndSlash) {
  Target t;
  ASSERT_TRUE(parse_target("https://api.replicate.com", t));
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.host, "api.replicate.com");
  EXPECT_EQ(t.port, "443");
  EXPECT_EQ(t.port_number, 443);
  EXPECT_EQ(t.host_header, "api.replicate.com");
  EXPECT_EQ(t.path, "/");
}

TEST(Target, ExplicitPortPathAndQueryWithoutFragment) {
  Target t;
  ASSERT_TRUE(parse_target("http://127.0.0.1:8080/v1/streams/abc?x=1&y=%20#frag", t));
  EXPECT_FALSE(t.tls);
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port_number, 8080);
  EXPECT_EQ(t.host_header, "127.0.0.1:8080");
  EXPECT_EQ(t.path, "/v1/streams/abc?x=1&y=%20");
}

TEST(Target, Ipv6LiteralWithoutBrackets) {
  Target t;
  ASSERT_TRUE(parse_target("http://[::1]:9000/x", t));
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.host_header, "[::1]:9000");
  EXPECT_EQ(t.port_number, 9000);
}

TEST(Target, RejectsWhatCannotBeSent) {
  Target t;
  for (const char* url :
       {"", "api.openai.com/v1", "ftp://h/", "http://", "http://:80/", "http://u:p@h/",
        "http://h:0/", "http://h:65536/", "http://h:12ab/", "http://h?q=1", "mailto:x@y"}) {
    EXPECT_FALSE(parse_target(url, t)) << url;
  }
}

TEST(Target, PoolKeySeparatesSchemePortAndTrustAnchors) {
  Target a, b, c;
  ASSERT_TRUE(parse_target("https://h:443/x", a));
  ASSERT_TRUE(parse_target("https://h/y", b));
  ASSERT_TRUE(parse_target("http://h:443/", c));
  std::string ka, kb, kc, kd;
  make_pool_key(a, "", ka);
  make_pool_key(b, "", kb);
  make_pool_key(c, "", kc);
  make_pool_key(a, "/etc/ca.pem", kd);
  EXPECT_EQ(ka, kb);
  EXPECT_NE(ka, kc);
  EXPECT_NE(ka, kd);
}

}  // namespace
}  // namespace kt::http
