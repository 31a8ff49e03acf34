#include "audit/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "audit/query.h"
#include "audit_test_util.h"

namespace kt::audit {
namespace {

using testing::sample_event;
using testing::TempDir;

// Appends n linked events to the gw-test chain; returns them.
std::vector<Event> append_chain(EventStore& store, int n, std::int64_t ts = now_ms(),
                                const std::string& gateway = "gw-test") {
  ChainHead h = store.head(gateway);
  std::vector<Event> events;
  for (int i = 1; i <= n; ++i) {
    Event ev = sample_event(i, i % 3 == 0 ? "block" : "allow", ts);
    ev.gateway_id = gateway;
    link_event(ev, h.seq, h.hash);
    h = {ev.seq, ev.hash};
    events.push_back(std::move(ev));
  }
  store.append_batch(events);
  return events;
}

// Raw SQL on the file, as an attacker with the sqlite3 shell would do it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawDb() { sqlite3_close(db_); }
  // Returns "" on success, else the error message.
  std::string exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = rc == SQLITE_OK ? "" : (err ? err : "error");
    sqlite3_free(err);
    return msg;
  }
  std::int64_t count(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    std::int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> open() {
    return std::make_unique<SqliteStore>(SqliteOptions{dir.file("events.db")});
  }
  TempDir dir;
};

TEST_F(SqliteStoreTest, IntactChainVerifies) {
  auto store = open();
  append_chain(*store, 10);
  append_chain(*store, 5);  // a second batch continues the chain
  append_chain(*store, 3, now_ms(), "gw-other");
  const VerifyReport r = store->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, 18u);
  EXPECT_EQ(r.chains, 2u);
  EXPECT_EQ(store->head("gw-test").seq, 15);
  EXPECT_EQ(store->head("nobody").hash, kGenesisHash);
}

TEST_F(SqliteStoreTest, SqlUpdateAndDeleteAreRefused) {
  auto store = open();
  append_chain(*store, 3);
  RawDb raw(dir.file("events.db"));
  EXPECT_NE(raw.exec("UPDATE events SET verdict = 'allow' WHERE seq = 3").find("append-only"),
            std::string::npos);
  EXPECT_NE(raw.exec("DELETE FROM events WHERE seq = 2").find("append-only"), std::string::npos);
  EXPECT_NE(raw.exec("DELETE FROM events").find("append-only"), std::string::npos);
  // Forging an authorization without a checkpoint naming a stored event does not help.
  EXPECT_EQ(raw.exec("INSERT INTO prune_authorization VALUES('gw-test', 3)"), "");
  EXPECT_NE(raw.exec("DELETE FROM events WHERE seq = 1").find("append-only"), std::string::npos);
  EXPECT_NE(raw.exec("INSERT INTO checkpoints VALUES('gw-test', 3, 'beef', 3, 0, 0)")
                .find("must name a stored event"),
            std::string::npos);
  EXPECT_EQ(raw.count("SELECT count(*) FROM events"), 3);
  EXPECT_TRUE(store->verify().ok());
}

TEST_F(SqliteStoreTest, ChangedByteIsAHashMismatch) {
  auto store = open();
  const auto events = append_chain(*store, 6);
  RawDb raw(dir.file("events.db"));
  ASSERT_EQ(raw.exec("DROP TRIGGER events_no_update"), "");
  ASSERT_EQ(raw.exec("UPDATE events SET canonical = replace(canonical, 'req-4', 'req-X') "
                     "WHERE seq = 4"),
            "");
  ASSERT_EQ(raw.count("SELECT count(*) FROM events WHERE canonical LIKE '%req-X%'"), 1);
  const VerifyReport r = store->verify();
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_EQ(r.breaks[0].reason, "hash mismatch");
  EXPECT_EQ(r.breaks[0].position, 4);
  EXPECT_EQ(r.breaks[0].event_id, events[3].id);
  EXPECT_EQ(r.verified, 3u);
}

TEST_F(SqliteStoreTest, EditedIndexedColumnIsCaught) {
  auto store = open();
  const auto events = append_chain(*store, 4);
  RawDb raw(dir.file("events.db"));
  ASSERT_EQ(raw.exec("DROP TRIGGER events_no_update"), "");
  ASSERT_EQ(raw.exec("UPDATE events SET verdict = 'allow' WHERE seq = 3"), "");
  const VerifyReport r = store->verify();
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_EQ(r.breaks[0].reason, "hash mismatch");
  EXPECT_EQ(r.breaks[0].position, 3);
  EXPECT_NE(r.breaks[0].detail.find("verdict"), std::string::npos);
}

TEST_F(SqliteStoreTest, DeletedRowIsAMissingPredecessor) {
  auto store = open();
  const auto events = append_chain(*store, 6);
  RawDb raw(dir.file("events.db"));
  ASSERT_EQ(raw.exec("DROP TRIGGER events_no_delete"), "");
  ASSERT_EQ(raw.exec("DELETE FROM events WHERE seq = 3"), "");
  const VerifyReport r = store->verify();
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_EQ(r.breaks[0].reason, "missing predecessor");
  EXPECT_EQ(r.breaks[0].position, 4);
  EXPECT_EQ(r.breaks[0].event_id, events[3].id);
  EXPECT_EQ(r.verified, 2u);
}

TEST_F(SqliteStoreTest, SwappedRowsAreReordered) {
  auto store = open();
  const auto events = append_chain(*store, 6);
  RawDb raw(dir.file("events.db"));
  ASSERT_EQ(raw.exec("DROP TRIGGER events_no_update"), "");
  ASSERT_EQ(raw.exec("UPDATE events SET seq = -1 WHERE seq = 2; "
                     "UPDATE events SET seq = 2 WHERE seq = 3; "
                     "UPDATE events SET seq = 3 WHERE seq = -1"),
            "");
  const VerifyReport r = store->verify();
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_EQ(r.breaks[0].reason, "reordered");
  EXPECT_EQ(r.breaks[0].position, 2);
  EXPECT_EQ(r.breaks[0].event_id, events[2].id);
}

// Only the storage order of two events swapped (the order `kt events tail` lists them in): the
// chain links are intact, but an event stored before its predecessor is a reorder.
TEST_F(SqliteStoreTest, SwappedStorageOrderIsReordered) {
  auto store = open();
  const auto events = append_chain(*store, 5);
  append_chain(*store, 2, now_ms(), "gw-other");  // interleaved chains keep their own order
  append_chain(*store, 2);
  ASSERT_TRUE(store->verify().ok());
  RawDb raw(dir.file("events.db"));
  ASSERT_EQ(raw.exec("DROP TRIGGER events_no_update"), "");
  ASSERT_EQ(raw.exec("CREATE TEMP TABLE p AS SELECT seq, pos FROM events "
                     "WHERE gateway_id = 'gw-test' AND seq IN (2, 3); "
                     "UPDATE events SET pos = -1 WHERE gateway_id = 'gw-test' AND seq = 2; "
                     "UPDATE events SET pos = (SELECT pos FROM p WHERE seq = 2) "
                     "WHERE gateway_id = 'gw-test' AND seq = 3; "
                     "UPDATE events SET pos = (SELECT pos FROM p WHERE seq = 3) "
                     "WHERE gateway_id = 'gw-test' AND seq = 2"),
            "");
  const VerifyReport r = store->verify();
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_EQ(r.breaks[0].gateway_id, "gw-test");
  EXPECT_EQ(r.breaks[0].reason, "reordered");
  EXPECT_EQ(r.breaks[0].position, 3);
  EXPECT_EQ(r.breaks[0].event_id, events[2].id);
  EXPECT_EQ(r.verified, 2u + 2u);  // gw-test up to position 2, and all of gw-other
}

// durability sync/async: synchronous=NORMAL (a commit survives a crash of the process); fsync:
// FULL (every commit is fsynced, surviving power loss). Both in WAL mode.
TEST_F(SqliteStoreTest, FsyncOptionSelectsSynchronousFull) {
  for (const bool fsync : {false, true}) {
    SqliteOptions o{dir.file(fsync ? "full.db" : "normal.db")};
    o.fsync = fsync;
    SqliteStore store(o);
    append_chain(store, 1);
    EXPECT_EQ(store.synchronous_mode(), fsync ? 2 : 1) << "fsync=" << fsync;
    RawDb raw(o.path);
    EXPECT_EQ(raw.count("SELECT count(*) FROM events"), 1);
  }
  SqliteStore reader(SqliteOptions{dir.file("full.db"), true});
  EXPECT_TRUE(reader.verify().ok());
}

TEST_F(SqliteStoreTest, ForgedEventIsAPrevHashMismatch) {
  auto store = open();
  const auto events = append_chain(*store, 5);
  // A consistent-looking replacement for position 3 that does not link to position 2.
  Event forged = sample_event(3, "allow");
  forged.gateway_id = "gw-test";
  forged.id = events[2].id;
  const std::string canonical = link_event(forged, 2, std::string(64, 'f'));
  RawDb raw(dir.file("events.db"));
  ASSERT_EQ(raw.exec("DROP TRIGGER events_no_update"), "");
  ASSERT_EQ(raw.exec("UPDATE events SET verdict='allow', reason_code='', status=200, prev_hash='" +
                     forged.prev_hash + "', hash='" + forged.hash + "', model='" + forged.model +
                     "', target='" + forged.target + "', canonical='" + canonical +
                     "' WHERE seq = 3"),
            "");
  const VerifyReport r = store->verify();
  ASSERT_EQ(r.breaks.size(), 1u);
  EXPECT_EQ(r.breaks[0].reason, "prev_hash mismatch");
  EXPECT_EQ(r.breaks[0].position, 3);
}

TEST_F(SqliteStoreTest, PruneKeepsTheChainVerifiable) {
  auto store = open();
  const std::int64_t old = now_ms() - 400LL * 86'400'000;
  append_chain(*store, 7, old);
  append_chain(*store, 4);
  append_chain(*store, 2, old, "gw-old");
  const PruneResult pr = store->prune(now_ms() - 365LL * 86'400'000);
  EXPECT_EQ(pr.pruned, 9);
  ASSERT_EQ(pr.checkpoints.size(), 2u);
  const VerifyReport r = store->verify();
  EXPECT_TRUE(r.ok()) << r.breaks[0].reason;
  EXPECT_EQ(r.verified, 4u);
  EXPECT_EQ(r.chains, 2u);
  // The head survives a full prune of a chain, so it continues where it stopped.
  EXPECT_EQ(store->head("gw-old").seq, 2);
  EXPECT_EQ(store->head("gw-test").seq, 11);
  append_chain(*store, 2, now_ms(), "gw-old");
  EXPECT_TRUE(store->verify().ok());
  // Nothing left to prune, and the authorization did not outlive the prune.
  EXPECT_EQ(store->prune(now_ms() - 365LL * 86'400'000).pruned, 0);
  RawDb raw(dir.file("events.db"));
  EXPECT_EQ(raw.count("SELECT count(*) FROM prune_authorization"), 0);
  EXPECT_NE(raw.exec("DELETE FROM events WHERE seq = 8").find("append-only"), std::string::npos);
  EXPECT_NE(raw.exec("DELETE FROM checkpoints").find("append-only"), std::string::npos);
}

TEST_F(SqliteStoreTest, ReopenContinuesTheChain) {
  {
    auto store = open();
    append_chain(*store, 5);
  }
  auto store = open();
  EXPECT_EQ(store->head("gw-test").seq, 5);
  append_chain(*store, 5);
  const VerifyReport r = store->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, 10u);
}

TEST_F(SqliteStoreTest, QueryFiltersAndPages) {
  auto store = open();
  append_chain(*store, 9);
  Filter f;
  f.verdict = "block";
  auto rows = store->query(f);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_GT(rows[0].cursor, rows[1].cursor);  // newest first
  EXPECT_EQ(rows[0].event.at("verdict"), "block");
  EXPECT_EQ(rows[0].event.at("hash").as_string().size(), 64u);
  f = Filter{};
  f.model = "gpt-4o";
  f.target = "openai-fallback";
  EXPECT_EQ(store->query(f).size(), 5u);
  f = Filter{};
  f.oldest_first = true;
  f.limit = 4;
  rows = store->query(f);
  ASSERT_EQ(rows.size(), 4u);
  f.after_cursor = rows.back().cursor;
  f.limit = 0;
  EXPECT_EQ(store->query(f).size(), 5u);
  f = Filter{};
  f.since_ms = now_ms() + 60'000;
  EXPECT_TRUE(store->query(f).empty());
  f = Filter{};
  f.reason_code = "prompt_injection.detected";
  EXPECT_EQ(store->query(f).size(), 3u);
}

TEST_F(SqliteStoreTest, EventsJsonAndParams) {
  auto store = open();
  append_chain(*store, 6);
  std::string error;
  auto f = filter_from_params({{"verdict", "block"}, {"limit", "1"}, {"since", "1h"}}, now_ms(),
                              error);
  ASSERT_TRUE(f) << error;
  const auto v = events_json(*store, *f);
  EXPECT_EQ(v.at("count"), 1u);
  EXPECT_EQ(v.at("events").at(0).at("verdict"), "block");
  EXPECT_FALSE(filter_from_params({{"verdict", "maybe"}}, 0, error));
  EXPECT_NE(error.find("verdict"), std::string::npos);
  EXPECT_FALSE(filter_from_params({{"limit", "0"}}, 0, error));
  EXPECT_FALSE(filter_from_params({{"since", "soon"}}, 0, error));
  EXPECT_FALSE(filter_from_params({{"colour", "red"}}, 0, error));
  EXPECT_NE(error.find("colour"), std::string::npos);
}

TEST_F(SqliteStoreTest, ReadOnlyOpenOfAMissingFileIsAClearError) {
  try {
    SqliteStore s(SqliteOptions{dir.file("absent.db"), true});
    FAIL() << "opened a missing file";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("no event store at"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("absent.db")));
}

// One event per transaction without pause (faster than any gateway commits): the checkpointer
// thread copies the WAL into the database beside the commits and the writer lets the WAL start
// over once it is 16 MiB and copied (32 MiB if the checkpointer falls behind, as it may here,
// plus what arrives while it finishes its current copy). Each commit appends at least 2 pages
// (the table and its indexes: 12,000 commits >= 94 MiB of WAL), so without restarts the WAL
// would pass 56 MiB.
TEST_F(SqliteStoreTest, WalStaysBoundedUnderConstantCommits) {
  auto store = open();
  const std::string wal = dir.file("events.db") + "-wal";
  ChainHead h = store->head("gw-test");
  constexpr int kEvents = 12000;
  std::uintmax_t wal_max = 0;
  for (int i = 1; i <= kEvents; ++i) {
    Event ev = sample_event(i);
    ev.gateway_id = "gw-test";
    link_event(ev, h.seq, h.hash);
    h = {ev.seq, ev.hash};
    store->append_batch(std::span<const Event>(&ev, 1));
    store->after_commit();
    if (i % 50 == 0) wal_max = std::max(wal_max, std::filesystem::file_size(wal));
  }
  EXPECT_LE(wal_max, std::uintmax_t{56} << 20);
  const VerifyReport r = store->verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.verified, std::uint64_t{kEvents});
}

// A reader that keeps one snapshot for a long time (a `kt audit verify` of a big store) keeps
// the WAL from starting over. The RESTART checkpoint then gives up within milliseconds instead
// of holding every commit off until the reader is done (SQLite's wait would be seconds).
TEST_F(SqliteStoreTest, LongReaderDoesNotHoldCommitsUp) {
  auto store = open();
  append_chain(*store, 1);
  RawDb reader(dir.file("events.db"));
  ASSERT_EQ(reader.exec("BEGIN; SELECT count(*) FROM events;"), "");  // snapshot held
  ChainHead h = store->head("gw-test");
  std::chrono::steady_clock::duration slowest{};
  for (int i = 2; i <= 3000; ++i) {
    Event ev = sample_event(i);
    ev.gateway_id = "gw-test";
    link_event(ev, h.seq, h.hash);
    h = {ev.seq, ev.hash};
    const auto t0 = std::chrono::steady_clock::now();
    store->append_batch(std::span<const Event>(&ev, 1));
    store->after_commit();
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
  }
  EXPECT_LT(slowest, std::chrono::milliseconds(500));  // a stalled commit would take seconds
  ASSERT_EQ(reader.exec("COMMIT"), "");
  EXPECT_TRUE(store->verify().ok());
  EXPECT_EQ(store->verify().verified, 3000u);
}

}  // namespace
}  // namespace kt::audit
