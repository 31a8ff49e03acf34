// postgres_store.h — the shared event store: PostgreSQL via libpq, for several gateway processes
// writing one database. Same tables and rules as the SQLite store (sqlite_store.h): each process
// appends to its own chain (gateway_id); UNIQUE(gateway_id, seq) makes a forked chain impossible;
// a trigger refuses UPDATE, DELETE and TRUNCATE except a DELETE authorised by prune() through a
// checkpoint. Schema creation and pruning take a transaction-scoped advisory lock, so processes
// starting or pruning at the same time do not collide. A lost connection is re-opened on the next
// call. `sync_durability: false` turns synchronous_commit off for this session.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "audit/store.h"

struct pg_conn;

namespace kt::audit {

struct PostgresOptions {
  std::string url;  // libpq connection string or postgres:// URL (never logged)
  bool read_only = false;
  bool immutable = true;
  bool sync_durability = true;
};

class PostgresStore : public EventStore {
 public:
  explicit PostgresStore(const PostgresOptions& options);  // throws StoreError
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  ChainHead head(const std::string& gateway_id) override;
  void append_batch(std::span<const Event> events) override;
  std::vector<StoredEvent> query(const Filter& filter) override;
  VerifyReport verify() override;
  PruneResult prune(std::int64_t before_ms) override;

 private:
  void connect();
  pg_conn* conn();  // reconnects when the connection was lost
  std::mutex mu_;
  PostgresOptions options_;
  pg_conn* conn_ = nullptr;
};

// Opens the store named by the connection string in the environment variable `url_env`; throws
// StoreError naming the variable (never its value) when it is unset or the server refuses.
std::shared_ptr<EventStore> open_postgres_store(const std::string& url_env, bool sync_durability,
                                                bool immutable = true);

}  // namespace kt::audit
