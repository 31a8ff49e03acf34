#include "audit/writer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "audit/sqlite_store.h"
#include "audit_test_util.h"

namespace kt::audit {
namespace {

using testing::sample_event;
using testing::TempDir;

// Wraps a store to observe and delay commits.
class ProbeStore : public EventStore {
 public:
  explicit ProbeStore(std::shared_ptr<EventStore> inner) : inner_(std::move(inner)) {}
  ChainHead head(const std::string& gw) override { return inner_->head(gw); }
  void append_batch(std::span<const Event> events) override {
    if (gate_) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return open_; });
    }
    if (fail_) throw StoreError("disk on fire");
    inner_->append_batch(events);
    std::lock_guard lock(mu_);
    batches_.push_back(events.size());
    committed_ += events.size();
  }
  std::vector<StoredEvent> query(const Filter& f) override { return inner_->query(f); }
  VerifyReport verify() override { return inner_->verify(); }
  PruneResult prune(std::int64_t before) override { return inner_->prune(before); }

  void close_gate() { gate_ = true; }
  void open_gate() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void set_fail(bool f) { fail_ = f; }
  std::size_t committed() {
    std::lock_guard lock(mu_);
    return committed_;
  }
  std::vector<std::size_t> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::shared_ptr<EventStore> inner_;
  std::atomic<bool> gate_{false}, fail_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::size_t committed_ = 0;
  std::vector<std::size_t> batches_;
};

class WriterTest : public ::testing::Test {
 protected:
  std::shared_ptr<SqliteStore> sqlite() {
    return std::make_shared<SqliteStore>(SqliteOptions{dir.file("events.db")});
  }
  WriterOptions options(bool sync = true) {
    WriterOptions o;
    o.gateway_id = "gw-w";
    o.sync = sync;
    o.retry_backoff = std::chrono::milliseconds(5);
    return o;
  }
  TempDir dir;
};

TEST_F(WriterTest, GroupCommitUnderManyThreadsKeepsOneChain) {
  auto probe = std::make_shared<ProbeStore>(sqlite());
  AuditWriter writer(probe, options(true));
  constexpr int kThreads = 8, kPerThread = 250;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(writer.try_submit(sample_event(t * 1000 + i), [&](bool c) {
          if (c) ok.fetch_add(1);
        }));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(writer.flush());
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(probe->committed(), std::size_t{kThreads * kPerThread});
  EXPECT_LT(probe->batches().size(), std::size_t{kThreads * kPerThread});  // batched
  const VerifyReport r = probe->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, std::uint64_t{kThreads * kPerThread});
  EXPECT_EQ(writer.stats().committed, std::uint64_t{kThreads * kPerThread});
}

TEST_F(WriterTest, SyncCallbackRunsOnlyAfterCommit) {
  auto probe = std::make_shared<ProbeStore>(sqlite());
  probe->close_gate();
  AuditWriter writer(probe, options(true));
  std::atomic<int> done{-1};
  std::atomic<std::size_t> committed_at_done{0};
  ASSERT_TRUE(writer.try_submit(sample_event(1), [&](bool c) {
    committed_at_done = probe->committed();
    done = c ? 1 : 0;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(done.load(), -1);  // the transaction has not committed yet
  probe->open_gate();
  ASSERT_TRUE(writer.flush());
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(committed_at_done.load(), 1u);
}

TEST_F(WriterTest, SyncFailureReportsFalseAndTheChainStaysIntact) {
  auto probe = std::make_shared<ProbeStore>(sqlite());
  AuditWriter writer(probe, options(true));
  std::atomic<int> result{-1};
  writer.submit(sample_event(1), [&](bool c) { result = c; });
  ASSERT_TRUE(writer.flush());
  EXPECT_EQ(result.load(), 1);
  probe->set_fail(true);
  writer.submit(sample_event(2), [&](bool c) { result = c; });
  ASSERT_TRUE(writer.flush());
  EXPECT_EQ(result.load(), 0);
  probe->set_fail(false);
  writer.submit(sample_event(3), [&](bool c) { result = c; });
  ASSERT_TRUE(writer.flush());
  EXPECT_EQ(result.load(), 1);
  const VerifyReport r = probe->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, 2u);
  EXPECT_EQ(writer.stats().failed, 1u);
}

TEST_F(WriterTest, AsyncQueueFullRefusesInsteadOfDropping) {
  auto probe = std::make_shared<ProbeStore>(sqlite());
  probe->close_gate();
  WriterOptions o = options(false);
  o.queue_capacity = 16;
  o.max_batch = 4;
  AuditWriter writer(probe, o);
  int accepted = 0, acked = 0;
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    if (writer.try_submit(sample_event(i), [&](bool c) { acked += c; })) {
      ++accepted;
    } else {
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(acked, accepted);  // async: acknowledged on enqueue
  EXPECT_LE(accepted, 16 + 4);  // the queue plus the batch being committed
  bool refused_via_submit = false;
  writer.submit(sample_event(999), [&](bool c) { refused_via_submit = !c; });
  EXPECT_TRUE(refused_via_submit);
  EXPECT_GE(writer.stats().rejected, 2u);
  probe->open_gate();
  writer.stop();
  EXPECT_EQ(probe->committed(), std::size_t(accepted));  // nothing accepted was lost
  EXPECT_TRUE(probe->verify().ok());
  EXPECT_FALSE(writer.try_submit(sample_event(1000)));  // stopped
}

TEST_F(WriterTest, AsyncFailureIsRetriedUntilItCommits) {
  auto probe = std::make_shared<ProbeStore>(sqlite());
  probe->set_fail(true);
  AuditWriter writer(probe, options(false));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.try_submit(sample_event(i)));
  EXPECT_FALSE(writer.flush(std::chrono::milliseconds(50)));
  probe->set_fail(false);
  EXPECT_TRUE(writer.flush());
  EXPECT_EQ(probe->committed(), 10u);
  EXPECT_TRUE(probe->verify().ok());
}

// async: the first event of an idle spell wakes the writer, which then waits async_linger for
// more, so events that trickle in share transactions instead of taking one each.
TEST_F(WriterTest, AsyncEventsArrivingOneByOneShareTransactions) {
  auto probe = std::make_shared<ProbeStore>(sqlite());
  WriterOptions o = options(false);
  o.async_linger = std::chrono::milliseconds(50);
  AuditWriter writer(probe, o);
  constexpr int kEvents = 200;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(writer.try_submit(sample_event(i)));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(writer.flush());
  EXPECT_EQ(probe->committed(), std::size_t{kEvents});
  // 200 events over >= 40 ms with a 50 ms linger: a handful of transactions, not 200.
  EXPECT_LE(probe->batches().size(), 10u);
  EXPECT_TRUE(probe->verify().ok());
}

// flush() and stop() do not wait out the linger.
TEST_F(WriterTest, FlushAndStopSkipTheLinger) {
  auto probe = std::make_shared<ProbeStore>(sqlite());
  WriterOptions o = options(false);
  o.async_linger = std::chrono::hours(1);
  {
    AuditWriter writer(probe, o);
    ASSERT_TRUE(writer.try_submit(sample_event(1)));
    EXPECT_TRUE(writer.flush(std::chrono::seconds(20)));
    EXPECT_EQ(probe->committed(), 1u);
    ASSERT_TRUE(writer.try_submit(sample_event(2)));
  }  // ~AuditWriter: stop()
  EXPECT_EQ(probe->committed(), 2u);
}

TEST_F(WriterTest, StopDrainsEverything) {
  auto store = sqlite();
  {
    AuditWriter writer(store, options(false));
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE(writer.try_submit(sample_event(i)));
    writer.stop();
    writer.stop();  // idempotent
  }
  EXPECT_EQ(store->verify().verified, 3000u);
}

TEST_F(WriterTest, RestartContinuesTheChain) {
  {
    AuditWriter writer(sqlite(), options(true));
    for (int i = 0; i < 20; ++i) writer.submit(sample_event(i), {});
  }
  {
    AuditWriter writer(sqlite(), options(true));
    for (int i = 0; i < 20; ++i) writer.submit(sample_event(i), {});
  }
  auto store = sqlite();
  const VerifyReport r = store->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, 40u);
  EXPECT_EQ(r.chains, 1u);
  EXPECT_EQ(store->head("gw-w").seq, 40);
}

TEST_F(WriterTest, PrunesOldEventsAtStartAndVerifyPasses) {
  {
    AuditWriter writer(sqlite(), options(true));
    const std::int64_t old = now_ms() - 40LL * 86'400'000;
    for (int i = 0; i < 10; ++i) writer.submit(sample_event(i, "allow", old), {});
    for (int i = 0; i < 5; ++i) writer.submit(sample_event(i), {});
  }
  WriterOptions o = options(true);
  o.retention_days = 30;
  AuditWriter writer(sqlite(), o);
  ASSERT_TRUE(writer.flush());
  for (int i = 0; i < 50 && writer.stats().pruned == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(writer.stats().pruned, 10u);
  writer.submit(sample_event(99), {});
  writer.stop();
  const VerifyReport r = sqlite()->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, 6u);
}

TEST_F(WriterTest, StoredRowsHoldNoSecret) {
  setenv("KT_AUDIT_WRITER_TEST_KEY", "prov-secret-0123456789", 1);
  auto cfg = std::make_shared<config::Config>();
  config::Target t;
  t.id = "t";
  t.secret_env = "KT_AUDIT_WRITER_TEST_KEY";
  cfg->providers.targets.push_back(t);
  gateway::Exchange ex;
  ex.config = cfg;
  ex.request_id = "r1";
  ex.body = boost::json::parse(
      R"({"messages":[{"role":"user","content":"Authorization: Bearer client-token-abcdef123456 use prov-secret-0123456789"}]})");
  ex.identity = {{"Authorization", "Bearer client-token-abcdef123456"},
                 {"x-api-key", "prov-secret-0123456789"}};
  ex.answer_text = "ok";
  {
    AuditWriter writer(sqlite(), options(true));
    writer.submit(make_event(ex, EventOptions{"gw-w", ContentMode::redacted, true}), {});
  }
  // Every byte of the database files, not just the rows a query returns.
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  ASSERT_NE(all.find("\"role\":\"user\""), std::string::npos);  // the event is there
  EXPECT_EQ(all.find("client-token-abcdef123456"), std::string::npos);
  EXPECT_EQ(all.find("prov-secret-0123456789"), std::string::npos);
  unsetenv("KT_AUDIT_WRITER_TEST_KEY");
}

}  // namespace
}  // namespace kt::audit
