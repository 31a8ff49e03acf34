#include "audit/writer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "audit/time_format.h"

namespace kt::audit {

AuditWriter::AuditWriter(std::shared_ptr<EventStore> store, WriterOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  if (!store_) throw StoreError("audit writer: no store");
  if (options_.gateway_id.empty()) throw StoreError("audit writer: empty gateway_id");
  head_ = store_->head(options_.gateway_id);
  thread_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "kt-audit");
    run();
  });
}

AuditWriter::~AuditWriter() { stop(); }

bool AuditWriter::try_submit(Event ev, Done done) {
  ev.gateway_id = options_.gateway_id;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back(Pending{std::move(ev), options_.sync ? std::move(done) : Done{}});
    ++submitted_;
    // A lingering or committing writer looks at the queue again by itself; waking it per event
    // would cost a futex call and a context switch each.
    wake = idle_ || queue_.size() >= options_.max_batch;
    if (wake) idle_ = false;
  }
  if (wake) wake_.notify_one();
  if (!options_.sync && done) done(true);
  return true;
}

void AuditWriter::submit(Event ev, Done done) {
  Done keep = done;
  if (!try_submit(std::move(ev), std::move(done)) && keep) keep(false);
}

bool AuditWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const std::uint64_t target = submitted_;
  urgent_ = true;
  wake_.notify_one();
  return progress_.wait_for(lock, timeout, [&] { return processed_ >= target; });
}

void AuditWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    urgent_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

AuditWriter::Stats AuditWriter::stats() const {
  return Stats{committed_.load(), failed_.load(), rejected_.load(), pruned_.load()};
}

void AuditWriter::prune_now() {
  if (options_.retention_days <= 0) return;
  const std::int64_t cutoff = now_ms() - std::int64_t{options_.retention_days} * 86'400'000;
  try {
    const PruneResult r = store_->prune(cutoff);
    pruned_.fetch_add(static_cast<std::uint64_t>(r.pruned), std::memory_order_relaxed);
    if (r.pruned > 0) {
      spdlog::info("audit: pruned {} events older than {} days ({} checkpoints)", r.pruned,
                   options_.retention_days, r.checkpoints.size());
    }
  } catch (const std::exception& e) {
    spdlog::error("audit: retention prune failed: {}", e.what());
  }
}

void AuditWriter::run() {
  using clock = std::chrono::steady_clock;
  prune_now();
  auto next_prune = clock::now() + options_.prune_interval;
  std::unique_lock lock(mu_);
  while (true) {
    idle_ = queue_.empty();
    wake_.wait_until(lock, next_prune, [&] { return stopping_ || !queue_.empty(); });
    idle_ = false;
    if (clock::now() >= next_prune) {
      lock.unlock();
      prune_now();
      lock.lock();
      next_prune = clock::now() + options_.prune_interval;
    }
    if (queue_.empty()) {
      if (stopping_) break;
      continue;
    }
    if (!options_.sync && options_.async_linger.count() > 0 && !urgent_) {
      wake_.wait_for(lock, options_.async_linger,
                     [&] { return urgent_ || queue_.size() >= options_.max_batch; });
    }
    urgent_ = false;
    std::vector<Pending> batch;
    if (queue_.size() <= options_.max_batch) {
      batch.swap(queue_);
      queue_.reserve(batch.size());
    } else {
      const auto cut = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(cut));
      queue_.erase(queue_.begin(), cut);
    }
    commit(batch, lock);
  }
}

// Called with `lock` held; releases it around the store call. Sync batches are answered either
// way; async batches that fail go back to the front of the queue and are retried.
void AuditWriter::commit(std::vector<Pending>& batch, std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  int attempts = 0;
  bool ok = false;
  std::string error;
  // The events move into one contiguous batch for the store; a retry links them again in place.
  std::vector<Event> linked;
  linked.reserve(batch.size());
  for (Pending& p : batch) linked.push_back(std::move(p.ev));
  while (true) {
    ++attempts;
    ChainHead h = head_;
    for (Event& ev : linked) {
      link_event(ev, h.seq, h.hash);
      h = ChainHead{ev.seq, ev.hash};
    }
    try {
      store_->append_batch(linked);
      head_ = h;
      ok = true;
    } catch (const std::exception& e) {
      error = e.what();
      // The store may have moved on (another writer on the same gateway_id): reload the head.
      try {
        head_ = store_->head(options_.gateway_id);
      } catch (const std::exception&) {
      }
    }
    if (ok || options_.sync) break;
    bool stopping;
    {
      std::lock_guard g(mu_);
      stopping = stopping_;
    }
    if (stopping && attempts >= options_.stop_retries) break;
    if (attempts == 1) {
      spdlog::error("audit: storing {} events failed, retrying: {}", batch.size(), error);
    }
    std::unique_lock wait_lock(mu_);
    wake_.wait_for(wait_lock, options_.retry_backoff, [&] { return stopping_; });
  }
  const auto n = static_cast<std::uint64_t>(batch.size());
  if (ok) {
    committed_.fetch_add(n, std::memory_order_relaxed);
  } else {
    failed_.fetch_add(n, std::memory_order_relaxed);
    spdlog::error("audit: {} events could not be stored: {}", n, error);
  }
  for (Pending& p : batch) {
    if (p.done) p.done(ok);
  }
  if (ok) {
    try {
      store_->after_commit();
    } catch (const std::exception& e) {
      spdlog::warn("audit: store housekeeping failed: {}", e.what());
    }
  }
  lock.lock();
  processed_ += n;
  progress_.notify_all();
}

}  // namespace kt::audit

