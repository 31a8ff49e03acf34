#include "providers/replicate_urls.h"

#include <gtest/gtest.h>

namespace kt::providers::replicate {
namespace {

constexpr std::string_view kBase = "https://api.replicate.com/v1";

TEST(ReplicateSsrf, ReplicateDomainsAreAllowed) {
  EXPECT_EQ(check_followable("https://api.replicate.com/v1/predictions/x", kBase, {}), "");
  EXPECT_EQ(check_followable("https://streaming-api.svc.rno2.c.replicate.net/v1/streams/a", kBase,
                             {}),
            "");
  EXPECT_EQ(check_followable("https://stream.replicate.com/v1/files/a", kBase, {}), "");
  EXPECT_EQ(check_followable("https://replicate.delivery/pbxt/a/out-0.png", kBase, {}), "");
  EXPECT_EQ(check_followable("https://pbxt.replicate.delivery/a/out-0.png", kBase, {}), "");
}

TEST(ReplicateSsrf, BaseUrlHostAnyPort) {
  EXPECT_EQ(check_followable("http://127.0.0.1:41081/v1/streams/a", "http://127.0.0.1:41080/v1",
                             {}),
            "");
  EXPECT_NE(check_followable("http://127.0.0.2:41081/v1/streams/a", "http://127.0.0.1:41080/v1",
                             {}),
            "");
}

TEST(ReplicateSsrf, OtherHostsAreRefused) {
  EXPECT_NE(check_followable("http://169.254.169.254/latest/meta-data", kBase, {}), "");
  EXPECT_NE(check_followable("https://replicate.com.evil.example/x", kBase, {}), "");
  EXPECT_NE(check_followable("https://evilreplicate.com/x", kBase, {}), "");
  EXPECT_NE(check_followable("file:///etc/passwd", kBase, {}), "");
  EXPECT_NE(check_followable("https://user:pw@api.replicate.com/x", kBase, {}), "");
  EXPECT_NE(check_followable("not a url", kBase, {}), "");
}

TEST(ReplicateSsrf, StreamHostsExtendTheList) {
  std::vector<std::string> hosts{"files.internal", "*.cdn.example", "stream.local:8443"};
  EXPECT_EQ(check_followable("https://files.internal/a", kBase, hosts), "");
  EXPECT_EQ(check_followable("https://a.b.cdn.example/a", kBase, hosts), "");
  EXPECT_NE(check_followable("https://cdn.example/a", kBase, hosts), "");  // *. = subdomains only
  EXPECT_EQ(check_followable("https://stream.local:8443/a", kBase, hosts), "");
  EXPECT_NE(check_followable("https://stream.local:9000/a", kBase, hosts), "");
  EXPECT_EQ(check_followable("https://FILES.internal/a", kBase, hosts), "");
}

TEST(ReplicateSsrf, MessageNamesTheHost) {
  EXPECT_EQ(check_followable("https://evil.example/x", kBase, {}),
            "Replicate returned a URL on host 'evil.example', which is neither the base_url host, "
            "a Replicate domain, nor in stream_hosts");
}

}  // namespace
}  // namespace kt::providers::replicate
