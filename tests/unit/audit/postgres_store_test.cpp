#include "audit/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "audit/writer.h"
#include "audit_test_util.h"

namespace kt::audit {
namespace {

using testing::sample_event;

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin/";

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A throwaway PostgreSQL server on a unix socket in a temp dir. PostgreSQL refuses to run as
// root, so as root the data directory belongs to `postgres` and the tools run through runuser.
class PgServer {
 public:
  void start() {
    std::string tmpl = "/tmp/kt-pg-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (geteuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (!pw) throw std::runtime_error("no 'postgres' user (install the postgresql package)");
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown");
      as_user_ = "runuser -u postgres -- ";
    }
    port_ = free_port();
    sh(as_user_ + kPgBin + "initdb -D " + dir_ + "/data -A trust -U postgres > " + dir_ +
       "/initdb.log 2>&1");
    sh(as_user_ + kPgBin + "pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 " +
       "-o \"-p " + std::to_string(port_) + " -k " + dir_ +
       " -c listen_addresses='' -c fsync=off\" start > /dev/null");
    started_ = true;
  }
  void stop() {
    if (started_) {
      std::system((as_user_ + kPgBin + "pg_ctl -D " + dir_ +
                   "/data -m immediate -w stop > /dev/null 2>&1").c_str());
      started_ = false;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }
  ~PgServer() { stop(); }
  std::string url() const {
    return "host=" + dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  }
  // Runs SQL as a plain client would; returns "" or the error.
  std::string exec(const std::string& sql) const {
    PGconn* c = PQconnectdb(url().c_str());
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    std::string err =
        st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? "" : PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return err;
  }

 private:
  void sh(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("failed: " + cmd + " (see logs in " + dir_ + ")");
    }
  }
  std::string dir_, as_user_;
  int port_ = 0;
  bool started_ = false;
};

class PostgresStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new PgServer;
    try {
      server_->start();
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete server_;  // stops the server and removes its directory
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    // Every test starts from an empty schema.
    ASSERT_EQ(server_->exec("DROP TABLE IF EXISTS kt_events, kt_checkpoints, "
                            "kt_prune_authorization CASCADE"),
              "");
  }
  std::shared_ptr<PostgresStore> open() {
    return std::make_shared<PostgresStore>(PostgresOptions{server_->url()});
  }
  static PgServer* server_;
  static std::string start_error_;
};
PgServer* PostgresStoreTest::server_ = nullptr;
std::string PostgresStoreTest::start_error_;

WriterOptions writer_opts(const std::string& gw) {
  WriterOptions o;
  o.gateway_id = gw;
  return o;
}

TEST_F(PostgresStoreTest, TwoWritersWriteConcurrentlyEachWithItsOwnChain) {
  auto store_a = open();
  auto store_b = open();
  AuditWriter a(store_a, writer_opts("gw-a"));
  AuditWriter b(store_b, writer_opts("gw-b"));
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      AuditWriter& w = t % 2 ? a : b;
      for (int i = 0; i < 150; ++i) {
        w.submit(sample_event(i, i % 5 ? "allow" : "block"), [&](bool c) { committed += c; });
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(a.flush());
  ASSERT_TRUE(b.flush());
  EXPECT_EQ(committed.load(), 600);
  const VerifyReport r = open()->verify();
  EXPECT_TRUE(r.ok()) << r.breaks[0].reason;
  EXPECT_EQ(r.chains, 2u);
  EXPECT_EQ(r.verified, 600u);
  EXPECT_EQ(store_a->head("gw-a").seq, 300);
  EXPECT_EQ(store_b->head("gw-b").seq, 300);
  Filter f;
  f.verdict = "block";
  f.gateway_id = "gw-a";
  f.limit = 0;
  EXPECT_EQ(store_a->query(f).size(), 60u);
}

TEST_F(PostgresStoreTest, TwoProcessesWriteConcurrently) {
  open();  // create the schema before forking
  std::vector<pid_t> children;
  for (const char* gw : {"proc-a", "proc-b"}) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        AuditWriter w(std::make_shared<PostgresStore>(PostgresOptions{server_->url()}),
                      writer_opts(gw));
        std::atomic<int> ok{0};
        for (int i = 0; i < 200; ++i) w.submit(sample_event(i), [&](bool c) { ok += c; });
        w.stop();
        code = ok == 200 ? 0 : 1;
      } catch (...) {
        code = 2;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const VerifyReport r = open()->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.chains, 2u);
  EXPECT_EQ(r.verified, 400u);
}

TEST_F(PostgresStoreTest, SqlUpdateDeleteAndTruncateAreRefused) {
  auto store = open();
  {
    AuditWriter w(store, writer_opts("gw-a"));
    for (int i = 0; i < 5; ++i) w.submit(sample_event(i), {});
  }
  EXPECT_NE(server_->exec("UPDATE kt_events SET verdict = 'block'").find("append-only"),
            std::string::npos);
  EXPECT_NE(server_->exec("DELETE FROM kt_events WHERE seq = 2").find("append-only"),
            std::string::npos);
  EXPECT_NE(server_->exec("TRUNCATE kt_events").find("append-only"), std::string::npos);
  EXPECT_NE(server_->exec("INSERT INTO kt_checkpoints VALUES('gw-a', 3, 'x', 3, 0, 0)")
                .find("must name a stored event"),
            std::string::npos);
  EXPECT_TRUE(store->verify().ok());
}

TEST_F(PostgresStoreTest, TamperingIsNamedByVerify) {
  auto store = open();
  std::vector<std::string> ids;
  {
    AuditWriter w(store, writer_opts("gw-a"));
    for (int i = 0; i < 6; ++i) w.submit(sample_event(i), {});
  }
  for (const auto& e : store->query(Filter{.limit = 0, .oldest_first = true})) {
    ids.push_back(std::string(e.event.at("id").as_string()));
  }
  ASSERT_EQ(ids.size(), 6u);
  ASSERT_EQ(server_->exec("ALTER TABLE kt_events DISABLE TRIGGER kt_events_guard"), "");
  ASSERT_EQ(server_->exec("DELETE FROM kt_events WHERE seq = 5"), "");
  ASSERT_EQ(server_->exec("UPDATE kt_events SET canonical = replace(canonical, 'req-1', "
                          "'req-9') WHERE seq = 2"),
            "");
  const VerifyReport r = store->verify();
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_EQ(r.breaks[0].reason, "hash mismatch");
  EXPECT_EQ(r.breaks[0].position, 2);
  EXPECT_EQ(r.breaks[0].event_id, ids[1]);
}

TEST_F(PostgresStoreTest, PruneAndRestartKeepTheChainVerifiable) {
  const std::int64_t old = now_ms() - 400LL * 86'400'000;
  {
    AuditWriter w(open(), writer_opts("gw-a"));
    for (int i = 0; i < 8; ++i) w.submit(sample_event(i, "allow", old), {});
    for (int i = 0; i < 3; ++i) w.submit(sample_event(i), {});
  }
  auto store = open();
  const PruneResult pr = store->prune(now_ms() - 365LL * 86'400'000);
  EXPECT_EQ(pr.pruned, 8);
  {
    AuditWriter w(open(), writer_opts("gw-a"));  // restarts at seq 12
    for (int i = 0; i < 4; ++i) w.submit(sample_event(i), {});
  }
  const VerifyReport r = store->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, 7u);
  EXPECT_EQ(store->head("gw-a").seq, 15);
}

TEST_F(PostgresStoreTest, BadUrlIsAClearErrorWithoutThePassword) {
  try {
    PostgresStore s(PostgresOptions{"host=/nonexistent-dir port=1 user=x password=hunter2secret"});
    FAIL() << "connected to nothing";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos);
  }
  unsetenv("KT_AUDIT_TEST_PG_URL_UNSET");
  try {
    open_postgres_store("KT_AUDIT_TEST_PG_URL_UNSET", true);
    FAIL() << "opened without a URL";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("KT_AUDIT_TEST_PG_URL_UNSET"), std::string::npos);
  }
}

}  // namespace
}  // namespace kt::audit
