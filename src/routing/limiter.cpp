#include "routing/limiter.h"

#include <boost/asio.hpp>

namespace kt::routing {

namespace asio = boost::asio;

struct ConcurrencyLimiter::Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  bool granted = false;  // guarded by the limiter's mutex
};

ConcurrencyLimiter::ConcurrencyLimiter(int max, int max_queue,
                                       std::chrono::milliseconds queue_timeout)
    : max_(max > 0 ? max : 1), max_queue_(max_queue < 0 ? 0 : max_queue),
      queue_timeout_(queue_timeout) {}

int ConcurrencyLimiter::queued() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(queue_.size());
}

asio::awaitable<bool> ConcurrencyLimiter::acquire() {
  int n = active_.load(std::memory_order_relaxed);
  while (n < max_) {
    if (active_.compare_exchange_weak(n, n + 1, std::memory_order_acquire)) co_return true;
  }
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Waiter>(ex);
  {
    std::lock_guard lock(mu_);
    // Re-check under the lock: a release may have happened meanwhile.
    n = active_.load();
    if (n < max_ && active_.compare_exchange_strong(n, n + 1)) co_return true;
    if (static_cast<int>(queue_.size()) >= max_queue_) co_return false;
    queue_.push_back(w);
  }
  w->timer.expires_after(queue_timeout_);
  co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mu_);
  if (w->granted) co_return true;
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (*it == w) {
      queue_.erase(it);
      break;
    }
  }
  co_return false;
}

void ConcurrencyLimiter::release() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    if (!queue_.empty()) {
      next = std::move(queue_.front());
      queue_.pop_front();
      next->granted = true;  // the slot passes to the waiter: active_ stays the same
    } else {
      active_.fetch_sub(1, std::memory_order_release);
    }
  }
  if (next) asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
}

}  // namespace kt::routing
