// store.h — where decision events live. One interface, two stores: SQLite (the default, one
// file) and PostgreSQL (several gateway processes sharing one database). Each gateway instance
// (`gateway_id`) has its own hash chain; `seq` is the position in that chain, from 1.
//
// Stores are append-only: with `immutable`, triggers refuse UPDATE and DELETE; the one way to
// remove events is prune(), which first records a checkpoint (the hash and position of the last
// pruned event of each chain) so that verify() can start the chain there. Every method is
// thread-safe (one connection behind a mutex). Failures throw StoreError with a clear message.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "audit/event.h"

namespace kt::audit {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The last link of a chain: (0, genesis) for a new chain, the checkpoint after a full prune.
struct ChainHead {
  std::int64_t seq = 0;
  std::string hash = kGenesisHash;
};

// Query filter. Empty strings and nullopt mean "any".
struct Filter {
  std::string verdict, target, model, reason_code, gateway_id;
  std::optional<std::int64_t> since_ms, until_ms;  // since inclusive, until exclusive
  std::int64_t after_cursor = 0;  // only events stored after this cursor (for --follow / paging)
  std::size_t limit = 50;          // 0 = no limit
  bool oldest_first = false;       // default: newest first
};

struct StoredEvent {
  std::int64_t cursor = 0;     // insertion order across all chains
  boost::json::object event;   // the full event, `hash` included
};

// One row as stored, for verification.
struct StoredRow {
  std::string gateway_id;
  std::int64_t seq = 0;
  std::string id;
  std::int64_t ts_ms = 0;
  std::string verdict, reason_code, target, model;
  std::int64_t status = 0;
  std::string prev_hash, hash, canonical;
  // Storage order (the row's insertion cursor); within one chain it grows with seq, so rows
  // swapped in storage (what `kt events tail` lists) are found too. 0 = not known.
  std::int64_t stored_at = 0;
};

struct Checkpoint {
  std::string gateway_id;
  std::int64_t seq = 0;  // position of the last pruned event
  std::string hash;      // its hash: the next event's prev_hash
  std::int64_t pruned_count = 0;
};

struct ChainBreak {
  std::string gateway_id;
  std::string event_id;
  std::int64_t position = 0;
  // "hash mismatch" | "prev_hash mismatch" | "missing predecessor" | "reordered"
  std::string reason;
  std::string detail;
};

struct VerifyReport {
  std::uint64_t verified = 0;  // events whose links checked out
  std::size_t chains = 0;
  std::vector<ChainBreak> breaks;  // the first broken link of each broken chain
  bool ok() const { return breaks.empty(); }
};

struct PruneResult {
  std::int64_t pruned = 0;
  std::vector<Checkpoint> checkpoints;
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  // The last link of `gateway_id`'s chain (events, else its latest checkpoint, else genesis).
  virtual ChainHead head(const std::string& gateway_id) = 0;
  // Stores already-linked events in one transaction: all or nothing.
  virtual void append_batch(std::span<const Event> events) = 0;
  virtual std::vector<StoredEvent> query(const Filter& filter) = 0;
  // Walks every chain from its latest checkpoint (or genesis).
  virtual VerifyReport verify() = 0;
  // Removes events older than `before_ms` through a checkpoint per chain.
  virtual PruneResult prune(std::int64_t before_ms) = 0;
  // Housekeeping the writer runs after it has answered a batch's requests, so that it never
  // delays a response (SQLite: the WAL checkpoint).
  virtual void after_commit() {}
};

// Checks one chain row by row, in seq order, starting after `checkpoint` (or at genesis).
class ChainVerifier {
 public:
  explicit ChainVerifier(const std::optional<Checkpoint>& checkpoint);
  // Returns false once the chain is broken (later rows are not checked).
  bool feed(const StoredRow& row);
  std::uint64_t verified() const { return verified_; }
  const std::optional<ChainBreak>& broken() const { return broken_; }

 private:
  bool fail(const StoredRow& row, std::string reason, std::string detail);
  std::int64_t expected_seq_;
  std::string expected_prev_;
  std::int64_t last_stored_at_ = 0;
  std::uint64_t verified_ = 0;
  std::optional<ChainBreak> broken_;
};

}  // namespace kt::audit
