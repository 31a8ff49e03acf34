// sqlite_store.h — the default event store: one SQLite file in WAL mode.
//
// Durability (audit.durability): the store runs in WAL mode. `sync` and `async` use
// synchronous=NORMAL: a commit is in the WAL (the OS page cache) when it returns, so it survives
// a crash or SIGKILL of the gateway process; the WAL is fsynced at checkpoints, so only an OS
// crash or power loss can lose the last commits (never corrupt the file or the chain order).
// `fsync` uses synchronous=FULL: every commit fsyncs the WAL before it returns (also surviving
// power loss), at one fsync per group commit (~10 ms on ordinary disks) — the writer's group
// commit shares it among the requests waiting in that batch.
//
// Schema: `events` (indexed columns + the canonical JSON the hash covers), `checkpoints`,
// `prune_authorization`. With `immutable`, triggers refuse every UPDATE and every DELETE of
// events and checkpoints, except a DELETE of events at or below a position for which a
// prune_authorization row and a checkpoint naming a stored event exist — which only prune()
// creates, inside the same transaction that deletes and then removes the authorization.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "audit/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kt::audit {

struct SqliteOptions {
  std::string path;
  bool read_only = false;  // for the CLI: never creates or alters the file
  bool immutable = true;   // install the append-only triggers
  bool fsync = false;      // synchronous=FULL (durability: fsync), else NORMAL
};

class SqliteStore : public EventStore {
 public:
  explicit SqliteStore(const SqliteOptions& options);  // throws StoreError
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  ChainHead head(const std::string& gateway_id) override;
  void append_batch(std::span<const Event> events) override;
  std::vector<StoredEvent> query(const Filter& filter) override;
  VerifyReport verify() override;
  PruneResult prune(std::int64_t before_ms) override;
  // PRAGMA synchronous of this connection: 1 NORMAL (sync, async), 2 FULL (fsync).
  int synchronous_mode();
  // Once 1000 WAL pages are not yet in the database, asks the checkpointer thread for a PASSIVE
  // checkpoint on its own connection, which copies them while the writer goes on committing
  // (run on the writer thread, each checkpoint held up the commits behind it for milliseconds;
  // at one event per commit that was every ~150th request). Once the WAL is 4096 pages long and
  // all but kCatchUpPages copied, the writer copies the rest itself (a RESTART checkpoint that
  // waits at most ~5 ms for readers), so that its next transaction starts the WAL over.
  void after_commit() override;

 private:
  void exec(const char* sql);
  sqlite3_stmt* prepared(sqlite3_stmt*& slot, const char* sql);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::string path_;
  // Prepared once, reused by every append_batch (preparing them cost more than the inserts).
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  int wal_pages_ = 0;  // WAL size after the last commit (sqlite3_wal_hook)

  void checkpointer();
  std::thread ckpt_thread_;
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  bool ckpt_wanted_ = false;
  bool ckpt_stop_ = false;
  bool ckpt_busy_ = false;        // the checkpointer is copying
  bool restart_pending_ = false;  // the writer is about to restart the WAL: start nothing
  std::atomic<bool> ckpt_running_{false};  // else after_commit() checkpoints on the writer
  std::atomic<int> backfilled_{0};  // WAL frames copied to the database by the last checkpoint
  // On the writer's connection: PASSIVE, or RESTART (true when the WAL will start over).
  bool checkpoint_here(bool restart);
  // sqlite3_wal_checkpoint_v2 on `db` (either connection), noting the frames copied.
  int checkpoint(sqlite3* db, int mode);
  static constexpr int kCheckpointPages = 1000;  // not yet copied: the checkpointer copies
  static constexpr int kRestartPages = 4096;     // this long: the writer lets the WAL start over
  static constexpr int kCatchUpPages = 512;      // what the writer copies itself, at most
  static constexpr int kWalWarnPages = 16384;    // 64 MiB: warn (a reader holds it)
  bool wal_warned_ = false;                      // writer thread only
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_forced_{};              // writer thread only
  int last_pages_ = 0;                           // writer thread only
};

}  // namespace kt::audit
