#include "audit/open.h"

#include <cstdlib>

#include "audit/postgres_store.h"
#include "audit/sqlite_store.h"

namespace kt::audit {

StoreLocation location_from_config(const config::Audit& audit, const std::string& audit_db_flag) {
  StoreLocation where;
  if (audit.store == "postgres") {
    where.kind = StoreLocation::Kind::postgres;
    const char* url = std::getenv(audit.url_env.c_str());
    if (!url || !*url) {
      throw StoreError("audit.store is postgres but the environment variable " + audit.url_env +
                       " (audit.url_env) is not set");
    }
    where.url = url;
    return where;
  }
  where.path = !audit_db_flag.empty() ? audit_db_flag
               : !audit.path.empty()  ? audit.path
                                      : kDefaultDbPath;
  return where;
}

std::shared_ptr<EventStore> open_store(const StoreLocation& where, const OpenOptions& options) {
  if (where.kind == StoreLocation::Kind::postgres) {
    return std::make_shared<PostgresStore>(PostgresOptions{
        where.url, options.read_only, options.immutable, options.sync_durability});
  }
  return std::make_shared<SqliteStore>(
      SqliteOptions{where.path, options.read_only, options.immutable, options.fsync});
}

config::AuditLoggerSettings logger_settings(const config::Config& cfg) {
  return cfg.policies.audit_logger.value_or(config::AuditLoggerSettings{});
}

WriterOptions writer_options(const config::Config& cfg, const std::string& gateway_id) {
  WriterOptions w;
  w.gateway_id = gateway_id;
  w.sync = cfg.audit.durability != "async";
  w.retention_days = logger_settings(cfg).retention_days;
  return w;
}

EventOptions event_options(const config::Config& cfg, const std::string& gateway_id) {
  EventOptions e;
  e.gateway_id = gateway_id;
  e.content = cfg.audit.content == "none" ? ContentMode::none : ContentMode::redacted;
  e.hipaa_audit_controls = logger_settings(cfg).hipaa_audit_controls;
  return e;
}

}  // namespace kt::audit
