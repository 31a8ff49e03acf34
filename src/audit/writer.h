// writer.h — AuditWriter: the only writer of one gateway's chain. The request path only enqueues
// (try_submit); one thread takes everything queued, links it to the chain in that order (seq,
// prev_hash, hash) and stores it in one transaction (group commit).
//
// Durability `sync`: `done(true)` runs on the writer thread after the transaction committed,
// `done(false)` if it failed — the gateway completes the response only then. `async`:
// `done(true)` runs inside try_submit once the event is queued; a failed commit is retried until
// it succeeds (while stopping: stop_retries times, then logged and counted as failed). The queue
// is bounded: try_submit returns false when it is full or the writer is stopped, and `done` is
// then never called — the caller answers 503, nothing is dropped silently. On start the writer
// continues the chain from the store's head, and it prunes events older than retention_days at
// start and then every prune_interval.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/store.h"

namespace kt::audit {

struct WriterOptions {
  std::string gateway_id;
  bool sync = true;                   // audit.durability: sync
  std::size_t queue_capacity = 65536;
  std::size_t max_batch = 4096;       // events per transaction
  int retention_days = 365;           // 0 = keep forever
  std::chrono::milliseconds prune_interval = std::chrono::hours(1);
  std::chrono::milliseconds retry_backoff = std::chrono::milliseconds(200);
  int stop_retries = 3;               // commit attempts per batch once stop() was called
  // async only: after the first event of an idle spell wakes the writer, it waits this long for
  // more before committing, so a busy gateway commits tens of events per transaction (each
  // transaction rewrites the same few B-tree pages) and the request threads do not wake the
  // writer once per event. sync batches never wait: their requests are waiting for them.
  std::chrono::milliseconds async_linger = std::chrono::milliseconds(5);
};

class AuditWriter {
 public:
  using Done = std::function<void(bool committed)>;
  struct Stats {
    std::uint64_t committed = 0;  // events stored
    std::uint64_t failed = 0;     // events that could not be stored (reported via done/logs)
    std::uint64_t rejected = 0;   // try_submit refusals (queue full or stopped)
    std::uint64_t pruned = 0;
  };

  // Reads the chain head of options.gateway_id (throws StoreError) and starts the thread.
  AuditWriter(std::shared_ptr<EventStore> store, WriterOptions options);
  ~AuditWriter();  // stop()
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Never blocks on the store. The event's gateway_id is set to the writer's.
  bool try_submit(Event ev, Done done = {});
  // try_submit, and done(false) when refused.
  void submit(Event ev, Done done);
  // Waits until every event submitted before the call is stored (or failed); false on timeout.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Drains the queue, then ends the thread. Idempotent.
  void stop();

  Stats stats() const;
  const std::string& gateway_id() const { return options_.gateway_id; }

 private:
  struct Pending {
    Event ev;
    Done done;
  };
  void run();
  void commit(std::vector<Pending>& batch, std::unique_lock<std::mutex>& lock);
  void prune_now();

  std::shared_ptr<EventStore> store_;
  const WriterOptions options_;
  ChainHead head_;  // writer thread only (after construction)

  mutable std::mutex mu_;
  std::condition_variable wake_;       // writer thread: work, stop
  std::condition_variable progress_;   // flush(): processed_ moved
  std::vector<Pending> queue_;
  bool idle_ = false;                  // the writer waits for a first event (wake it)
  bool urgent_ = false;                // flush() or stop() wants the queue now (no linger)
  std::uint64_t submitted_ = 0;        // events accepted so far
  std::uint64_t processed_ = 0;        // of those, stored or failed
  bool stopping_ = false;

  std::atomic<std::uint64_t> committed_{0}, failed_{0}, rejected_{0}, pruned_{0};
  std::thread thread_;
};

}  // namespace kt::audit
