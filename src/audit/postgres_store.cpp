#include "audit/postgres_store.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <utility>

#include "audit/time_format.h"

namespace kt::audit {

namespace {

// Transaction-scoped advisory lock key for schema creation and pruning ("ktaudit").
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(7021888211)";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS kt_events(
  pos         BIGSERIAL PRIMARY KEY,
  gateway_id  TEXT NOT NULL,
  seq         BIGINT NOT NULL,
  id          TEXT NOT NULL UNIQUE,
  ts_ms       BIGINT NOT NULL,
  verdict     TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  target      TEXT NOT NULL,
  model       TEXT NOT NULL,
  status      INTEGER NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  canonical   TEXT NOT NULL,
  UNIQUE(gateway_id, seq));
CREATE INDEX IF NOT EXISTS kt_events_ts ON kt_events(ts_ms);
CREATE INDEX IF NOT EXISTS kt_events_verdict ON kt_events(verdict, ts_ms);
CREATE INDEX IF NOT EXISTS kt_events_target ON kt_events(target, ts_ms);
CREATE INDEX IF NOT EXISTS kt_events_model ON kt_events(model, ts_ms);
CREATE INDEX IF NOT EXISTS kt_events_reason ON kt_events(reason_code, ts_ms);
CREATE TABLE IF NOT EXISTS kt_checkpoints(
  gateway_id       TEXT NOT NULL,
  seq              BIGINT NOT NULL,
  hash             TEXT NOT NULL,
  pruned_count     BIGINT NOT NULL,
  pruned_before_ms BIGINT NOT NULL,
  created_ms       BIGINT NOT NULL,
  PRIMARY KEY(gateway_id, seq));
CREATE TABLE IF NOT EXISTS kt_prune_authorization(
  gateway_id TEXT NOT NULL,
  up_to_seq  BIGINT NOT NULL);
)sql";

constexpr const char* kImmutableTriggers = R"sql(
CREATE OR REPLACE FUNCTION kt_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (
      SELECT 1 FROM kt_prune_authorization a
      JOIN kt_checkpoints c ON c.gateway_id = a.gateway_id AND c.seq = a.up_to_seq
      WHERE a.gateway_id = OLD.gateway_id AND OLD.seq <= a.up_to_seq) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'kt audit: events are append-only (pruning goes through a checkpoint)';
END $$;
CREATE OR REPLACE FUNCTION kt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'kt audit: % is append-only', TG_TABLE_NAME;
END $$;
CREATE OR REPLACE FUNCTION kt_checkpoint_names_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM kt_events e WHERE e.gateway_id = NEW.gateway_id
                 AND e.seq = NEW.seq AND e.hash = NEW.hash) THEN
    RAISE EXCEPTION 'kt audit: a checkpoint must name a stored event';
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER kt_events_guard BEFORE UPDATE OR DELETE ON kt_events
  FOR EACH ROW EXECUTE FUNCTION kt_events_guard();
CREATE OR REPLACE TRIGGER kt_events_no_truncate BEFORE TRUNCATE ON kt_events
  FOR EACH STATEMENT EXECUTE FUNCTION kt_append_only();
CREATE OR REPLACE TRIGGER kt_checkpoints_guard BEFORE UPDATE OR DELETE ON kt_checkpoints
  FOR EACH ROW EXECUTE FUNCTION kt_append_only();
CREATE OR REPLACE TRIGGER kt_checkpoints_no_truncate BEFORE TRUNCATE ON kt_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION kt_append_only();
CREATE OR REPLACE TRIGGER kt_checkpoints_name_event BEFORE INSERT ON kt_checkpoints
  FOR EACH ROW EXECUTE FUNCTION kt_checkpoint_names_event();
)sql";

constexpr const char* kRowColumns =
    "gateway_id, seq, id, ts_ms, verdict, reason_code, target, model, status, prev_hash, hash, "
    "canonical, pos";

constexpr std::size_t kRowsPerInsert = 1000;  // 12 parameters each, well under libpq's 65535
constexpr int kVerifyPage = 10000;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Runs `sql` with text parameters; throws StoreError unless the result is OK.
Result run(PGconn* c, const std::string& sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  Result r(params.empty() ? PQexec(c, sql.c_str())
                          : PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                         values.data(), nullptr, nullptr, 0));
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw StoreError("audit store (postgres): " +
                     trim(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c)));
  }
  return r;
}

std::string cell(const Result& r, int row, int col) {
  return std::string(PQgetvalue(r.get(), row, col),
                     static_cast<std::size_t>(PQgetlength(r.get(), row, col)));
}
std::int64_t cell_int(const Result& r, int row, int col) {
  return std::stoll(PQgetvalue(r.get(), row, col));
}

// Rolls back unless commit() was reached.
class Transaction {
 public:
  explicit Transaction(PGconn* c) : c_(c) { run(c_, "BEGIN"); }
  ~Transaction() {
    if (open_) PQclear(PQexec(c_, "ROLLBACK"));
  }
  void commit() {
    open_ = false;
    run(c_, "COMMIT");
  }

 private:
  PGconn* c_;
  bool open_ = true;
};

StoredRow read_row(const Result& r, int row) {
  StoredRow s;
  s.gateway_id = cell(r, row, 0);
  s.seq = cell_int(r, row, 1);
  s.id = cell(r, row, 2);
  s.ts_ms = cell_int(r, row, 3);
  s.verdict = cell(r, row, 4);
  s.reason_code = cell(r, row, 5);
  s.target = cell(r, row, 6);
  s.model = cell(r, row, 7);
  s.status = cell_int(r, row, 8);
  s.prev_hash = cell(r, row, 9);
  s.hash = cell(r, row, 10);
  s.canonical = cell(r, row, 11);
  s.stored_at = cell_int(r, row, 12);
  return s;
}

}  // namespace

PostgresStore::PostgresStore(const PostgresOptions& options) : options_(options) {
  if (options_.url.empty()) throw StoreError("audit store (postgres): empty connection URL");
  connect();
}

PostgresStore::~PostgresStore() { PQfinish(conn_); }

void PostgresStore::connect() {
  PQfinish(conn_);
  conn_ = PQconnectdb(options_.url.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
    std::string msg = trim(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreError("audit store (postgres): cannot connect: " + msg);
  }
  run(conn_, "SET client_min_messages = warning");
  if (!options_.sync_durability) run(conn_, "SET synchronous_commit = off");
  if (options_.read_only) {
    run(conn_, "SET default_transaction_read_only = on");
    run(conn_, "SELECT 1 FROM kt_events LIMIT 0");
    return;
  }
  Transaction tx(conn_);
  run(conn_, kLock);
  run(conn_, kSchema);
  if (options_.immutable) run(conn_, kImmutableTriggers);
  tx.commit();
}

PGconn* PostgresStore::conn() {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) connect();
  return conn_;
}

ChainHead PostgresStore::head(const std::string& gateway_id) {
  std::lock_guard lock(mu_);
  Result r = run(conn(),
                 "SELECT seq, hash FROM (SELECT seq, hash FROM kt_events WHERE gateway_id = $1 "
                 "UNION ALL SELECT seq, hash FROM kt_checkpoints WHERE gateway_id = $1) h "
                 "ORDER BY seq DESC LIMIT 1",
                 {gateway_id});
  ChainHead h;
  if (PQntuples(r.get()) > 0) {
    h.seq = cell_int(r, 0, 0);
    h.hash = cell(r, 0, 1);
  }
  return h;
}

void PostgresStore::append_batch(std::span<const Event> events) {
  if (events.empty()) return;
  std::lock_guard lock(mu_);
  PGconn* c = conn();
  Transaction tx(c);
  for (std::size_t start = 0; start < events.size(); start += kRowsPerInsert) {
    const std::size_t end = std::min(events.size(), start + kRowsPerInsert);
    std::string sql =
        "INSERT INTO kt_events(gateway_id, seq, id, ts_ms, verdict, reason_code, target, model, "
        "status, prev_hash, hash, canonical) VALUES ";
    std::vector<std::string> params;
    params.reserve((end - start) * 12);
    for (std::size_t i = start; i < end; ++i) {
      const Event& ev = events[i];
      sql += i == start ? "(" : ",(";
      for (int k = 1; k <= 12; ++k) {
        sql += "$" + std::to_string(params.size() + k) + (k < 12 ? "," : ")");
      }
      params.insert(params.end(),
                    {ev.gateway_id, std::to_string(ev.seq), ev.id, std::to_string(ev.ts_ms),
                     ev.verdict, ev.reason_code, ev.target, ev.model, std::to_string(ev.status),
                     ev.prev_hash, ev.hash,
                     ev.canonical.empty() ? canonical_json(ev) : ev.canonical});
    }
    run(c, sql, params);
  }
  tx.commit();
}

std::vector<StoredEvent> PostgresStore::query(const Filter& f) {
  std::vector<std::string> params{std::to_string(f.after_cursor)};
  std::string sql = "SELECT pos, hash, canonical FROM kt_events WHERE pos > $1";
  auto add = [&](const char* cond, std::string value) {
    params.push_back(std::move(value));
    sql += std::string(" AND ") + cond + " $" + std::to_string(params.size());
  };
  if (!f.verdict.empty()) add("verdict =", f.verdict);
  if (!f.target.empty()) add("target =", f.target);
  if (!f.model.empty()) add("model =", f.model);
  if (!f.reason_code.empty()) add("reason_code =", f.reason_code);
  if (!f.gateway_id.empty()) add("gateway_id =", f.gateway_id);
  if (f.since_ms) add("ts_ms >=", std::to_string(*f.since_ms));
  if (f.until_ms) add("ts_ms <", std::to_string(*f.until_ms));
  sql += f.oldest_first ? " ORDER BY pos ASC" : " ORDER BY pos DESC";
  if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
  std::lock_guard lock(mu_);
  Result r = run(conn(), sql, params);
  std::vector<StoredEvent> out;
  for (int i = 0, n = PQntuples(r.get()); i < n; ++i) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(cell(r, i, 2), ec);
    if (ec || !v.is_object()) continue;  // verify() reports such rows; queries skip them
    StoredEvent e{cell_int(r, i, 0), std::move(v.get_object())};
    e.event["hash"] = cell(r, i, 1);
    out.push_back(std::move(e));
  }
  return out;
}

VerifyReport PostgresStore::verify() {
  std::lock_guard lock(mu_);
  PGconn* c = conn();
  VerifyReport report;
  // One snapshot for the whole walk, so concurrent writers cannot make it look broken.
  run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    Result chains = run(c,
                        "SELECT gateway_id FROM kt_events UNION SELECT gateway_id FROM "
                        "kt_checkpoints ORDER BY 1");
    for (int i = 0, n = PQntuples(chains.get()); i < n; ++i) {
      const std::string gw = cell(chains, i, 0);
      std::optional<Checkpoint> cp;
      Result cr = run(c,
                      "SELECT seq, hash, pruned_count FROM kt_checkpoints WHERE gateway_id = $1 "
                      "ORDER BY seq DESC LIMIT 1",
                      {gw});
      if (PQntuples(cr.get()) > 0) {
        cp = Checkpoint{gw, cell_int(cr, 0, 0), cell(cr, 0, 1), cell_int(cr, 0, 2)};
      }
      ChainVerifier verifier(cp);
      std::int64_t after = cp ? cp->seq : 0;
      bool more = true;
      while (more) {
        Result rows = run(c,
                          std::string("SELECT ") + kRowColumns +
                              " FROM kt_events WHERE gateway_id = $1 AND seq > $2 ORDER BY seq "
                              "LIMIT " + std::to_string(kVerifyPage),
                          {gw, std::to_string(after)});
        const int count = PQntuples(rows.get());
        for (int k = 0; k < count && more; ++k) {
          StoredRow row = read_row(rows, k);
          after = row.seq;
          more = verifier.feed(row);
        }
        if (count < kVerifyPage) more = false;
      }
      ++report.chains;
      report.verified += verifier.verified();
      if (verifier.broken()) report.breaks.push_back(*verifier.broken());
    }
  } catch (...) {
    PQclear(PQexec(c, "ROLLBACK"));
    throw;
  }
  run(c, "COMMIT");
  return report;
}

PruneResult PostgresStore::prune(std::int64_t before_ms) {
  std::lock_guard lock(mu_);
  PGconn* c = conn();
  PruneResult result;
  Transaction tx(c);
  run(c, kLock);
  const std::string before = std::to_string(before_ms);
  Result chains = run(c, "SELECT DISTINCT gateway_id FROM kt_events WHERE ts_ms < $1", {before});
  for (int i = 0, n = PQntuples(chains.get()); i < n; ++i) {
    const std::string gw = cell(chains, i, 0);
    // The prefix that is entirely older than the cut-off (see SqliteStore::prune).
    Result last = run(c,
                      "SELECT seq, hash FROM kt_events WHERE gateway_id = $1 AND seq < "
                      "COALESCE((SELECT MIN(seq) FROM kt_events WHERE gateway_id = $1 AND "
                      "ts_ms >= $2), 9223372036854775807) ORDER BY seq DESC LIMIT 1",
                      {gw, before});
    if (PQntuples(last.get()) == 0) continue;
    Checkpoint cp{gw, cell_int(last, 0, 0), cell(last, 0, 1), 0};
    const std::string seq = std::to_string(cp.seq);
    Result count = run(c, "SELECT count(*) FROM kt_events WHERE gateway_id = $1 AND seq <= $2",
                       {gw, seq});
    cp.pruned_count = cell_int(count, 0, 0);
    run(c,
        "INSERT INTO kt_checkpoints(gateway_id, seq, hash, pruned_count, pruned_before_ms, "
        "created_ms) VALUES($1, $2, $3, $4, $5, $6)",
        {gw, seq, cp.hash, std::to_string(cp.pruned_count), before, std::to_string(now_ms())});
    run(c, "INSERT INTO kt_prune_authorization(gateway_id, up_to_seq) VALUES($1, $2)", {gw, seq});
    Result del = run(c, "DELETE FROM kt_events WHERE gateway_id = $1 AND seq <= $2", {gw, seq});
    result.pruned += std::stoll(PQcmdTuples(del.get()));
    result.checkpoints.push_back(std::move(cp));
  }
  run(c, "DELETE FROM kt_prune_authorization");
  tx.commit();
  return result;
}

std::shared_ptr<EventStore> open_postgres_store(const std::string& url_env, bool sync_durability,
                                                bool immutable) {
  const char* url = std::getenv(url_env.c_str());
  if (!url || !*url) {
    throw StoreError("audit.store is postgres but the environment variable " + url_env +
                     " (audit.url_env) is not set");
  }
  return std::make_shared<PostgresStore>(PostgresOptions{url, false, immutable, sync_durability});
}

}  // namespace kt::audit
