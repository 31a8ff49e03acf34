// UpstreamClient over TLS against an in-process server whose self-signed certificate is made at
// test time: verification fails without ca_file, succeeds with it, and checks the host name.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "http/client.h"
#include "test_server.h"

namespace kt::http {
namespace {

using namespace std::chrono_literals;
using namespace kt::http::testing;
namespace ssl = boost::asio::ssl;
namespace bhttp = boost::beast::http;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// A self-signed P-256 certificate for `dns_name` (subject CN and subjectAltName).
struct SelfSigned {
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  std::unique_ptr<X509, X509Free> cert;

  explicit SelfSigned(const std::string& dns_name) : key(EVP_EC_gen("P-256")), cert(X509_new()) {
    X509* x = cert.get();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
    X509_set_pubkey(x, key.get());
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(dns_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    const std::string san = "DNS:" + dns_name;
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, key.get(), EVP_sha256());
  }

  void write_pem(const std::filesystem::path& path) const {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    PEM_write_X509(f, cert.get());
    std::fclose(f);
  }
};

class TlsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(identity.key && identity.cert);
    SSL_CTX_use_certificate(server_tls.native_handle(), identity.cert.get());
    SSL_CTX_use_PrivateKey(server_tls.native_handle(), identity.key.get());
    dir = std::filesystem::temp_directory_path() /
          ("kt-http-tls-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    ca_file = (dir / "ca.pem").string();
    identity.write_pem(ca_file);
    port = start_server(ioc, state, [this](tcp::socket socket, ServerState& st) {
      return serve(std::move(socket), st);
    });
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // A keep-alive HTTPS server answering "secure <n>".
  asio::awaitable<void> serve(tcp::socket socket, ServerState& st) {
    ssl::stream<tcp::socket> stream(std::move(socket), server_tls);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    ++handshakes;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    while (co_await read_request(stream, buffer, req, st)) {
      const std::string body = "secure " + std::to_string(st.requests.size());
      co_await write_raw(stream, "HTTP/1.1 200 OK\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  }

  ClientRequest request(std::string host, std::string ca) {
    ClientRequest req;
    req.method = "GET";
    req.url = "https://" + host + ":" + std::to_string(port) + "/";
    req.ca_file = std::move(ca);
    return req;
  }

  std::pair<Response, ClientError> send(ClientRequest req) {
    return run_on(ioc, [&]() -> asio::awaitable<std::pair<Response, ClientError>> {
      ClientError err;
      Deadlines dl;
      dl.total = Clock::now() + 5s;
      Response r = co_await UpstreamClient::for_this_thread().send(req, dl, 1 << 20, err);
      co_return std::pair{std::move(r), err};
    });
  }

  SelfSigned identity{"localhost"};
  ssl::context server_tls{ssl::context::tls_server};
  std::filesystem::path dir;
  std::string ca_file;
  asio::io_context ioc;
  std::shared_ptr<ServerState> state = std::make_shared<ServerState>();
  std::uint16_t port = 0;
  int handshakes = 0;
};

TEST_F(TlsClientTest, SelfSignedUpstreamFailsVerificationWithoutCaFile) {
  auto [r, err] = send(request("localhost", ""));
  EXPECT_EQ(err.kind, FailKind::tls) << err.message;
  EXPECT_NE(err.message.find("certificate verification failed"), std::string::npos) << err.message;
  EXPECT_EQ(handshakes, 0);
}

TEST_F(TlsClientTest, CaFileVerifiesAndConnectionIsReused) {
  auto [first, err1] = send(request("localhost", ca_file));
  EXPECT_FALSE(err1) << err1.message;
  EXPECT_EQ(first.body, "secure 1");
  auto [second, err2] = send(request("localhost", ca_file));
  EXPECT_FALSE(err2) << err2.message;
  EXPECT_EQ(second.body, "secure 2");
  EXPECT_EQ(handshakes, 1);
  EXPECT_EQ(UpstreamClient::for_this_thread().idle_connections(), 1u);
}

TEST_F(TlsClientTest, HostNameMismatchFails) {
  // The certificate names "localhost"; 127.0.0.1 is the same server under another name.
  auto [r, err] = send(request("127.0.0.1", ca_file));
  EXPECT_EQ(err.kind, FailKind::tls) << err.message;
  EXPECT_NE(err.message.find("mismatch"), std::string::npos) << err.message;
}

TEST_F(TlsClientTest, MissingCaFileIsATlsError) {
  auto [r, err] = send(request("localhost", (dir / "absent.pem").string()));
  EXPECT_EQ(err.kind, FailKind::tls) << err.message;
  EXPECT_NE(err.message.find("cannot load ca_file"), std::string::npos) << err.message;
}

TEST_F(TlsClientTest, PlainHttpToATlsServerIsNotASuccess) {
  ClientRequest req = request("localhost", "");
  req.url = "http://localhost:" + std::to_string(port) + "/";
  auto [r, err] = send(req);
  EXPECT_TRUE(err);
  EXPECT_NE(err.kind, FailKind::none);
}

}  // namespace
}  // namespace kt::http
