// sqlite_store.h — the default event store: one SQLite file in WAL mode.
//
// Durability: `sync` uses synchronous=FULL, so a committed transaction survives power loss (in WAL
// mode NORMAL may lose the last commits on power loss, which would break "the response is not
// completed before its event is committed"); the writer's group commit pays one fsync per batch.
// `async` uses NORMAL: safe against a process crash, and async already accepts a loss window.
//
// Schema: `events` (indexed columns + the canonical JSON the hash covers), `checkpoints`,
// `prune_authorization`. With `immutable`, triggers refuse every UPDATE and every DELETE of
// events and checkpoints, except a DELETE of events at or below a position for which a
// prune_authorization row and a checkpoint naming a stored event exist — which only prune()
// creates, inside the same transaction that deletes and then removes the authorization.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "audit/store.h"

struct sqlite3;

namespace kt::audit {

struct SqliteOptions {
  std::string path;
  bool read_only = false;        // for the CLI: never creates or alters the file
  bool immutable = true;         // install the append-only triggers
  bool sync_durability = true;   // synchronous=FULL (sync) or NORMAL (async)
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

 private:
  void exec(const char* sql);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace kt::audit
