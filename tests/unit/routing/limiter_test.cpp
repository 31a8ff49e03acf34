#include "routing/limiter.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

namespace kt::routing {
namespace {

namespace asio = boost::asio;

TEST(ConcurrencyLimiter, QueuesThenRejectsAndHandsSlotsOver) {
  asio::io_context ctx;
  ConcurrencyLimiter lim(1, 1, std::chrono::milliseconds(5000));
  std::vector<std::string> log;
  auto worker = [&](std::string name, int hold_ms) -> asio::awaitable<void> {
    const bool ok = co_await lim.acquire();
    log.push_back(name + (ok ? ":in" : ":rejected"));
    if (!ok) co_return;
    asio::steady_timer t(ctx, std::chrono::milliseconds(hold_ms));
    co_await t.async_wait(asio::use_awaitable);
    log.push_back(name + ":out");
    lim.release();
  };
  asio::co_spawn(ctx, worker("a", 30), asio::detached);
  asio::co_spawn(ctx, worker("b", 1), asio::detached);  // waits in the queue
  asio::co_spawn(ctx, worker("c", 1), asio::detached);  // queue full: rejected
  ctx.run();
  EXPECT_EQ(log, (std::vector<std::string>{"a:in", "c:rejected", "a:out", "b:in", "b:out"}));
  EXPECT_EQ(lim.active(), 0);
}

TEST(ConcurrencyLimiter, QueueTimeoutRejects) {
  asio::io_context ctx;
  ConcurrencyLimiter lim(1, 4, std::chrono::milliseconds(20));
  bool second = true;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await lim.acquire());
    asio::steady_timer t(ctx, std::chrono::milliseconds(200));
    co_await t.async_wait(asio::use_awaitable);
    lim.release();
  }, asio::detached);
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> { second = co_await lim.acquire(); },
                 asio::detached);
  ctx.run();
  EXPECT_FALSE(second);
  EXPECT_EQ(lim.active(), 0);
  EXPECT_EQ(lim.queued(), 0);
}

}  // namespace
}  // namespace kt::routing
