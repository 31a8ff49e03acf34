#include "audit/sqlite_store.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <utility>

#include "audit/time_format.h"

namespace kt::audit {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  pos         INTEGER PRIMARY KEY AUTOINCREMENT,
  gateway_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  id          TEXT NOT NULL UNIQUE,
  ts_ms       INTEGER NOT NULL,
  verdict     TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  target      TEXT NOT NULL,
  model       TEXT NOT NULL,
  status      INTEGER NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  canonical   TEXT NOT NULL,
  UNIQUE(gateway_id, seq));
CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ms);
CREATE INDEX IF NOT EXISTS events_verdict ON events(verdict, ts_ms);
CREATE INDEX IF NOT EXISTS events_target ON events(target, ts_ms);
CREATE INDEX IF NOT EXISTS events_model ON events(model, ts_ms);
CREATE INDEX IF NOT EXISTS events_reason ON events(reason_code, ts_ms);
CREATE TABLE IF NOT EXISTS checkpoints(
  gateway_id       TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  hash             TEXT NOT NULL,
  pruned_count     INTEGER NOT NULL,
  pruned_before_ms INTEGER NOT NULL,
  created_ms       INTEGER NOT NULL,
  PRIMARY KEY(gateway_id, seq));
CREATE TABLE IF NOT EXISTS prune_authorization(
  gateway_id TEXT NOT NULL,
  up_to_seq  INTEGER NOT NULL);
)sql";

constexpr const char* kImmutableTriggers = R"sql(
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'kt audit: events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
WHEN NOT EXISTS (
  SELECT 1 FROM prune_authorization a
  JOIN checkpoints c ON c.gateway_id = a.gateway_id AND c.seq = a.up_to_seq
  WHERE a.gateway_id = OLD.gateway_id AND OLD.seq <= a.up_to_seq)
BEGIN SELECT RAISE(ABORT, 'kt audit: events are append-only (pruning goes through a checkpoint)');
END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'kt audit: checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'kt audit: checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_name_event BEFORE INSERT ON checkpoints
WHEN NOT EXISTS (SELECT 1 FROM events e
                 WHERE e.gateway_id = NEW.gateway_id AND e.seq = NEW.seq AND e.hash = NEW.hash)
BEGIN SELECT RAISE(ABORT, 'kt audit: a checkpoint must name a stored event'); END;
)sql";

constexpr const char* kRowColumns =
    "gateway_id, seq, id, ts_ms, verdict, reason_code, target, model, status, prev_hash, hash, "
    "canonical, pos";

// A prepared statement that finalizes itself; bind() numbers parameters from 1.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("audit store (sqlite): ") + sqlite3_errmsg(db));
    }
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
  // true = a row is available; false = done.
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw StoreError(std::string("audit store (sqlite): ") + sqlite3_errmsg(db_));
  }
  void reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
             : std::string();
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(st_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

StoredRow read_row(const Stmt& s, int first) {
  StoredRow r;
  r.gateway_id = s.text(first);
  r.seq = s.int64(first + 1);
  r.id = s.text(first + 2);
  r.ts_ms = s.int64(first + 3);
  r.verdict = s.text(first + 4);
  r.reason_code = s.text(first + 5);
  r.target = s.text(first + 6);
  r.model = s.text(first + 7);
  r.status = s.int64(first + 8);
  r.prev_hash = s.text(first + 9);
  r.hash = s.text(first + 10);
  r.canonical = s.text(first + 11);
  r.stored_at = s.int64(first + 12);
  return r;
}

// Rolls back unless commit() was reached.
class Transaction {
 public:
  Transaction(sqlite3* db, const char* begin) : db_(db) { run(begin); }
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    run("COMMIT");
    open_ = false;
  }

 private:
  void run(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw StoreError("audit store (sqlite): " + msg);
    }
  }
  sqlite3* db_;
  bool open_ = true;
};

}  // namespace

namespace {

// Busy handler of the writer and the checkpointer: they wait for each other only while one of
// them checkpoints, so they retry every 20 µs at first (SQLite's own handler sleeps 1, 2, 5,
// 10… ms) and give up after about 10 s.
int short_busy_wait(void*, int count) {
  if (count >= 100 + 10'000) return 0;
  std::this_thread::sleep_for(count < 100 ? std::chrono::microseconds(20)
                                          : std::chrono::microseconds(1000));
  return 1;
}

// The writer's busy handler while it restarts the WAL: ~5 ms, then it gives up.
int brief_busy_wait(void*, int count) {
  if (count >= 250) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(20));
  return 1;
}

}  // namespace

SqliteStore::SqliteStore(const SqliteOptions& options) : path_(options.path) {
  if (options.read_only && !std::filesystem::exists(options.path)) {
    throw StoreError("audit store (sqlite): no event store at " + options.path);
  }
  const int flags = options.read_only ? SQLITE_OPEN_READONLY
                                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(options.path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("audit store (sqlite): cannot open " + options.path + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 10000);
    if (!options.read_only) {
      sqlite3_busy_handler(db_, short_busy_wait, nullptr);
      exec("PRAGMA journal_mode=WAL");
      exec(options.fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      sqlite3_wal_autocheckpoint(db_, 0);  // after_commit() checkpoints, off the commit path
      sqlite3_wal_hook(
          db_,
          [](void* self, sqlite3*, const char*, int pages) {
            static_cast<SqliteStore*>(self)->wal_pages_ = pages;
            return SQLITE_OK;
          },
          this);
      exec(kSchema);
      if (options.immutable) exec(kImmutableTriggers);
      ckpt_thread_ = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "kt-checkpoint");
        checkpointer();
      });
    } else {
      exec("SELECT count(*) FROM events LIMIT 0");
    }
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

SqliteStore::~SqliteStore() {
  if (ckpt_thread_.joinable()) {
    {
      std::lock_guard lock(ckpt_mu_);
      ckpt_stop_ = true;
    }
    ckpt_cv_.notify_one();
    ckpt_thread_.join();
  }
  for (sqlite3_stmt* st : {begin_, commit_, rollback_, insert_}) sqlite3_finalize(st);
  sqlite3_close(db_);
}

sqlite3_stmt* SqliteStore::prepared(sqlite3_stmt*& slot, const char* sql) {
  if (slot == nullptr &&
      sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr) != SQLITE_OK) {
    slot = nullptr;
    throw StoreError(std::string("audit store (sqlite): ") + sqlite3_errmsg(db_));
  }
  return slot;
}

void SqliteStore::after_commit() {
  // Pages: wal_pages_ is the WAL's length after this commit; backfilled_ how much of it had
  // been copied into the database when a checkpoint last ran.
  const int pages = wal_pages_;
  if (pages < last_pages_) backfilled_.store(0, std::memory_order_release);  // started over
  last_pages_ = pages;
  int copied = backfilled_.load(std::memory_order_acquire);
  if (pages < copied) copied = 0;
  if (!ckpt_running_.load(std::memory_order_acquire)) {
    if (pages >= kCheckpointPages) checkpoint_here(false);
    return;
  }
  if (pages >= kWalWarnPages && !wal_warned_) {
    wal_warned_ = true;
    spdlog::warn("audit store (sqlite): the WAL of {} is {} MiB: a reader keeps it from starting "
                 "over, or checkpoints do not keep up", path_, pages / 256);
  } else if (pages < kRestartPages) {
    wal_warned_ = false;
  }
  // A WAL starts over from its beginning only when a write begins with every frame copied,
  // which a checkpointer running beside constant commits never quite achieves. So once the WAL
  // is long and the checkpointer has copied nearly all of it, the writer copies the rest itself
  // (at most kCatchUpPages: a short pause, once per ~16 MiB of WAL) with a RESTART checkpoint,
  // and its next transaction starts the WAL over. Should the checkpointer fall behind (commits
  // faster than it copies), the writer does it at twice that length, copying more. Either way
  // the checkpointer is kept from starting meanwhile (two checkpoints at once make one give
  // up), and a reader still using the WAL only makes it start over later.
  const bool catch_up = pages >= kRestartPages && pages - copied <= kCatchUpPages;
  const bool forced = pages >= 2 * kRestartPages && Clock::now() >= next_forced_;
  if (catch_up || forced) {
    {
      std::lock_guard lock(ckpt_mu_);
      restart_pending_ = true;  // the checkpointer starts nothing new
      if (ckpt_busy_) return;   // it is copying: try again after the next commit
    }
    const int before = backfilled_.load(std::memory_order_acquire);
    const bool restarted = checkpoint_here(true);
    {
      std::lock_guard lock(ckpt_mu_);
      restart_pending_ = false;
    }
    ckpt_cv_.notify_one();
    // A reader's snapshot held the WAL: do not try again on every commit.
    if (!restarted && backfilled_.load(std::memory_order_acquire) <= before) {
      next_forced_ = Clock::now() + std::chrono::milliseconds(50);
    }
    return;
  }
  const bool want = pages - copied >= kCheckpointPages;
  {
    std::lock_guard lock(ckpt_mu_);
    restart_pending_ = false;  // set above when the checkpointer was busy; no longer needed
    if (!want || ckpt_wanted_) return;
    ckpt_wanted_ = true;
  }
  ckpt_cv_.notify_one();
}

bool SqliteStore::checkpoint_here(bool restart) {
  std::lock_guard lock(mu_);
  // RESTART also waits for the readers still in the WAL, so that the next transaction starts it
  // over (after a PASSIVE one it went on growing); here that wait is at most ~5 ms, and a reader
  // that stays longer only means the WAL starts over later.
  if (restart) sqlite3_busy_handler(db_, brief_busy_wait, nullptr);
  const int rc = checkpoint(db_, restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE);
  if (restart) sqlite3_busy_handler(db_, short_busy_wait, nullptr);
  return rc == SQLITE_OK;
}

int SqliteStore::checkpoint(sqlite3* db, int mode) {
  int log = 0, done = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, mode, &log, &done);
  // SQLITE_BUSY: it stopped early (a reader, the other checkpointer), but `done` frames are in.
  if ((rc == SQLITE_OK || rc == SQLITE_BUSY) && done >= 0) {
    backfilled_.store(done, std::memory_order_release);
  }
  return rc;
}

// The checkpointer thread: its own connection, so a checkpoint neither takes mu_ nor blocks a
// commit (in WAL mode a PASSIVE checkpoint runs beside the writer and the readers).
void SqliteStore::checkpointer() {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    spdlog::warn("audit store (sqlite): no checkpointer connection ({}); the writer checkpoints",
                 db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return;
  }
  sqlite3_wal_autocheckpoint(db, 0);
  sqlite3_busy_handler(db, short_busy_wait, nullptr);
  // A connection that has not read the database yet has no WAL open, and a checkpoint on it
  // silently does nothing: read the schema once first.
  if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    spdlog::warn("audit store (sqlite): checkpointer cannot read {}: {}", path_,
                 sqlite3_errmsg(db));
    sqlite3_close(db);
    return;
  }
  ckpt_running_.store(true, std::memory_order_release);
  std::unique_lock lock(ckpt_mu_);
  while (true) {
    ckpt_cv_.wait(lock, [&] { return (ckpt_wanted_ && !restart_pending_) || ckpt_stop_; });
    if (ckpt_stop_) break;
    ckpt_busy_ = true;
    lock.unlock();
    const int before = backfilled_.load(std::memory_order_acquire);
    const bool ok = checkpoint(db, SQLITE_CHECKPOINT_PASSIVE) == SQLITE_OK;
    // No progress: a reader's snapshot holds the frames back. Ask again a little later rather
    // than on every commit.
    if (!ok || backfilled_.load(std::memory_order_acquire) <= before) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    lock.lock();
    ckpt_busy_ = false;
    ckpt_wanted_ = false;
  }
  ckpt_running_.store(false, std::memory_order_release);
  lock.unlock();
  sqlite3_close(db);
}

void SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError("audit store (sqlite) " + path_ + ": " + msg);
  }
}

int SqliteStore::synchronous_mode() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "PRAGMA synchronous");
  return s.step() ? static_cast<int>(s.int64(0)) : -1;
}

ChainHead SqliteStore::head(const std::string& gateway_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT seq, hash FROM (SELECT seq, hash FROM events WHERE gateway_id = ?1 "
         "UNION ALL SELECT seq, hash FROM checkpoints WHERE gateway_id = ?1) "
         "ORDER BY seq DESC LIMIT 1");
  s.bind(1, gateway_id);
  ChainHead h;
  if (s.step()) {
    h.seq = s.int64(0);
    h.hash = s.text(1);
  }
  return h;
}

void SqliteStore::append_batch(std::span<const Event> events) {
  if (events.empty()) return;
  std::lock_guard lock(mu_);
  auto step = [&](sqlite3_stmt* st) {
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      throw StoreError(std::string("audit store (sqlite): ") + sqlite3_errmsg(db_));
    }
  };
  sqlite3_stmt* insert = prepared(
      insert_,
      "INSERT INTO events(gateway_id, seq, id, ts_ms, verdict, reason_code, target, model, "
      "status, prev_hash, hash, canonical) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  sqlite3_stmt* rollback = prepared(rollback_, "ROLLBACK");
  step(prepared(begin_, "BEGIN IMMEDIATE"));
  try {
    std::string computed;
    auto text = [&](int i, const std::string& v) {
      sqlite3_bind_text(insert, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    };
    for (const Event& ev : events) {
      text(1, ev.gateway_id);
      sqlite3_bind_int64(insert, 2, ev.seq);
      text(3, ev.id);
      sqlite3_bind_int64(insert, 4, ev.ts_ms);
      text(5, ev.verdict);
      text(6, ev.reason_code);
      text(7, ev.target);
      text(8, ev.model);
      sqlite3_bind_int64(insert, 9, ev.status);
      text(10, ev.prev_hash);
      text(11, ev.hash);
      if (ev.canonical.empty()) computed = canonical_json(ev);
      text(12, ev.canonical.empty() ? computed : ev.canonical);
      step(insert);
      sqlite3_clear_bindings(insert);
    }
    step(prepared(commit_, "COMMIT"));
  } catch (...) {
    sqlite3_step(rollback);
    sqlite3_reset(rollback);
    throw;
  }
}

std::vector<StoredEvent> SqliteStore::query(const Filter& f) {
  std::string sql = "SELECT pos, hash, canonical FROM events WHERE pos > ?1";
  if (!f.verdict.empty()) sql += " AND verdict = ?2";
  if (!f.target.empty()) sql += " AND target = ?3";
  if (!f.model.empty()) sql += " AND model = ?4";
  if (!f.reason_code.empty()) sql += " AND reason_code = ?5";
  if (!f.gateway_id.empty()) sql += " AND gateway_id = ?6";
  if (f.since_ms) sql += " AND ts_ms >= ?7";
  if (f.until_ms) sql += " AND ts_ms < ?8";
  sql += f.oldest_first ? " ORDER BY pos ASC" : " ORDER BY pos DESC";
  if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
  std::lock_guard lock(mu_);
  Stmt s(db_, sql);
  s.bind(1, f.after_cursor);
  if (!f.verdict.empty()) s.bind(2, f.verdict);
  if (!f.target.empty()) s.bind(3, f.target);
  if (!f.model.empty()) s.bind(4, f.model);
  if (!f.reason_code.empty()) s.bind(5, f.reason_code);
  if (!f.gateway_id.empty()) s.bind(6, f.gateway_id);
  if (f.since_ms) s.bind(7, *f.since_ms);
  if (f.until_ms) s.bind(8, *f.until_ms);
  std::vector<StoredEvent> out;
  while (s.step()) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(s.text(2), ec);
    if (ec || !v.is_object()) continue;  // verify() reports such rows; queries skip them
    StoredEvent e{s.int64(0), std::move(v.get_object())};
    e.event["hash"] = s.text(1);
    out.push_back(std::move(e));
  }
  return out;
}

VerifyReport SqliteStore::verify() {
  std::lock_guard lock(mu_);
  VerifyReport report;
  // One read transaction (a WAL snapshot): a concurrent prune or append cannot look like a break.
  Transaction snapshot(db_, "BEGIN");
  std::vector<std::string> chains;
  {
    Stmt s(db_,
           "SELECT gateway_id FROM events UNION SELECT gateway_id FROM checkpoints ORDER BY 1");
    while (s.step()) chains.push_back(s.text(0));
  }
  for (const std::string& gw : chains) {
    std::optional<Checkpoint> cp;
    {
      Stmt s(db_,
             "SELECT seq, hash, pruned_count FROM checkpoints WHERE gateway_id = ? "
             "ORDER BY seq DESC LIMIT 1");
      s.bind(1, gw);
      if (s.step()) cp = Checkpoint{gw, s.int64(0), s.text(1), s.int64(2)};
    }
    ChainVerifier verifier(cp);
    Stmt s(db_, std::string("SELECT ") + kRowColumns +
                    " FROM events WHERE gateway_id = ? AND seq > ? ORDER BY seq");
    s.bind(1, gw);
    s.bind(2, cp ? cp->seq : std::int64_t{0});
    while (s.step() && verifier.feed(read_row(s, 0))) {
    }
    ++report.chains;
    report.verified += verifier.verified();
    if (verifier.broken()) report.breaks.push_back(*verifier.broken());
  }
  snapshot.commit();
  return report;
}

PruneResult SqliteStore::prune(std::int64_t before_ms) {
  std::lock_guard lock(mu_);
  PruneResult result;
  Transaction tx(db_, "BEGIN IMMEDIATE");
  std::vector<std::string> chains;
  {
    Stmt s(db_, "SELECT DISTINCT gateway_id FROM events WHERE ts_ms < ?");
    s.bind(1, before_ms);
    while (s.step()) chains.push_back(s.text(0));
  }
  for (const std::string& gw : chains) {
    // Prune the chain's prefix that is entirely older than the cut-off: up to the event before
    // the first recent one, so no event younger than the retention period is ever removed.
    Stmt last(db_,
              "SELECT seq, hash FROM events WHERE gateway_id = ?1 AND seq < "
              "COALESCE((SELECT MIN(seq) FROM events WHERE gateway_id = ?1 AND ts_ms >= ?2), "
              "9223372036854775807) ORDER BY seq DESC LIMIT 1");
    last.bind(1, gw);
    last.bind(2, before_ms);
    if (!last.step()) continue;
    Checkpoint cp{gw, last.int64(0), last.text(1), 0};
    Stmt count(db_, "SELECT count(*) FROM events WHERE gateway_id = ? AND seq <= ?");
    count.bind(1, gw);
    count.bind(2, cp.seq);
    count.step();
    cp.pruned_count = count.int64(0);
    Stmt ins(db_,
             "INSERT INTO checkpoints(gateway_id, seq, hash, pruned_count, pruned_before_ms, "
             "created_ms) VALUES(?,?,?,?,?,?)");
    ins.bind(1, gw);
    ins.bind(2, cp.seq);
    ins.bind(3, cp.hash);
    ins.bind(4, cp.pruned_count);
    ins.bind(5, before_ms);
    ins.bind(6, now_ms());
    ins.step();
    Stmt auth(db_, "INSERT INTO prune_authorization(gateway_id, up_to_seq) VALUES(?,?)");
    auth.bind(1, gw);
    auth.bind(2, cp.seq);
    auth.step();
    Stmt del(db_, "DELETE FROM events WHERE gateway_id = ? AND seq <= ?");
    del.bind(1, gw);
    del.bind(2, cp.seq);
    del.step();
    result.pruned += sqlite3_changes(db_);
    result.checkpoints.push_back(std::move(cp));
  }
  exec("DELETE FROM prune_authorization");
  tx.commit();
  return result;
}

}  // namespace kt::audit
