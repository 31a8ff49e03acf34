// open.h — wiring helpers: which store the config names, and the writer/event options it implies.
//
// audit.store sqlite: the path is --audit-db if given, else audit.path, else ./kt-events.db.
// audit.store postgres: the connection string is read from the env var audit.url_env; it is a
// secret (it may hold a password) and never appears in errors or logs.
#pragma once

#include <memory>
#include <string>

#include "audit/event.h"
#include "audit/store.h"
#include "audit/writer.h"
#include "config/config.h"

namespace kt::audit {

inline constexpr const char* kDefaultDbPath = "./kt-events.db";

struct StoreLocation {
  enum class Kind { sqlite, postgres } kind = Kind::sqlite;
  std::string path;  // sqlite
  std::string url;   // postgres
};

// Throws StoreError when postgres is asked for and the env var is unset or empty.
StoreLocation location_from_config(const config::Audit& audit, const std::string& audit_db_flag);

struct OpenOptions {
  bool read_only = false;
  bool immutable = true;
  bool sync_durability = true;  // postgres: synchronous_commit on (sync, fsync) or off (async)
  bool fsync = false;           // sqlite: synchronous=FULL (durability: fsync)
};
std::shared_ptr<EventStore> open_store(const StoreLocation& where, const OpenOptions& options);

// The audit-logger settings in effect (its block, or the defaults).
config::AuditLoggerSettings logger_settings(const config::Config& cfg);
WriterOptions writer_options(const config::Config& cfg, const std::string& gateway_id);
EventOptions event_options(const config::Config& cfg, const std::string& gateway_id);

}  // namespace kt::audit
