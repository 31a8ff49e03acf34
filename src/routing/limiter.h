// limiter.h — the --max-concurrency gate on upstream calls, shared by all worker threads.
// Up to `max` calls run at once; up to `max_queue` more wait (each at most `queue_timeout`),
// served first-come first-served; beyond that acquire() fails and the client gets 503.
// The fast path is one atomic compare-exchange; the mutex is only taken when the gate is full.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>

namespace kt::routing {

class ConcurrencyLimiter {
 public:
  ConcurrencyLimiter(int max, int max_queue, std::chrono::milliseconds queue_timeout);
  // True when a slot was acquired (call release() after the call); false = answer 503.
  boost::asio::awaitable<bool> acquire();
  void release();
  int active() const { return active_.load(std::memory_order_relaxed); }
  int queued() const;

 private:
  struct Waiter;
  const int max_;
  const int max_queue_;
  const std::chrono::milliseconds queue_timeout_;
  std::atomic<int> active_{0};
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Waiter>> queue_;
};

// Holds a slot for the lifetime of the guard.
class LimiterSlot {
 public:
  LimiterSlot() = default;
  explicit LimiterSlot(ConcurrencyLimiter* l) : l_(l) {}
  LimiterSlot(LimiterSlot&& o) noexcept : l_(o.l_) { o.l_ = nullptr; }
  LimiterSlot& operator=(LimiterSlot&&) = delete;
  ~LimiterSlot() {
    if (l_) l_->release();
  }

 private:
  ConcurrencyLimiter* l_ = nullptr;
};

}  // namespace kt::routing
