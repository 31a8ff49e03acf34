// ConnectionPool: per-origin idle lists, the idle bound, idle expiry on checkout, and closing
// with the io_context.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "http/pool.h"

namespace kt::http {
namespace {

using namespace std::chrono_literals;

class PoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<Connection> make(std::string_view key) {
    return std::make_unique<Connection>(ioc.get_executor(), nullptr, key);
  }
  boost::asio::io_context ioc;
  ConnectionPool& pool = ConnectionPool::of(ioc);
  Clock::time_point t0 = Clock::now();
};

TEST_F(PoolTest, OneServicePerIoContext) {
  EXPECT_EQ(&ConnectionPool::of(ioc), &pool);
  EXPECT_EQ(ConnectionPool::last_used_on_this_thread(), &pool);
  boost::asio::io_context other;
  EXPECT_NE(&ConnectionPool::of(other), &pool);
}

TEST_F(PoolTest, CheckoutIsPerKeyAndMostRecentFirst) {
  auto a1 = make("http://a:80");
  Connection* first = a1.get();
  auto a2 = make("http://a:80");
  Connection* second = a2.get();
  pool.checkin(std::move(a1), t0);
  pool.checkin(std::move(a2), t0 + 1s);
  pool.checkin(make("http://b:80"), t0);
  EXPECT_EQ(pool.idle(), 3u);
  EXPECT_EQ(pool.checkout("http://c:80", t0), nullptr);
  auto got = pool.checkout("http://a:80", t0 + 2s);
  EXPECT_EQ(got.get(), second);
  EXPECT_TRUE(got->reused);
  EXPECT_EQ(pool.checkout("http://a:80", t0 + 2s).get(), first);
  EXPECT_EQ(pool.checkout("http://a:80", t0 + 2s), nullptr);
  EXPECT_EQ(pool.idle(), 1u);
}

TEST_F(PoolTest, IdleConnectionsExpire) {
  pool.checkin(make("k"), t0);
  pool.checkin(make("k"), t0 + 30s);
  auto got = pool.checkout("k", t0 + ConnectionPool::kIdleExpiry + 1s);
  EXPECT_NE(got, nullptr);  // the younger one
  EXPECT_EQ(pool.idle(), 0u);
  pool.checkin(make("k"), t0);
  EXPECT_EQ(pool.checkout("k", t0 + ConnectionPool::kIdleExpiry), nullptr);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(PoolTest, IdleListIsBoundedPerOrigin) {
  for (std::size_t i = 0; i < ConnectionPool::kMaxIdlePerOrigin + 10; ++i) {
    pool.checkin(make("k"), t0);
  }
  pool.checkin(make("other"), t0);
  EXPECT_EQ(pool.idle(), ConnectionPool::kMaxIdlePerOrigin + 1);
}

TEST(PoolLifetime, DestroyingTheIoContextClosesPooledConnections) {
  ConnectionPool* old = nullptr;
  {
    boost::asio::io_context ioc;
    old = &ConnectionPool::of(ioc);
    old->checkin(std::make_unique<Connection>(ioc.get_executor(), nullptr, "k"), Clock::now());
  }
  EXPECT_NE(ConnectionPool::last_used_on_this_thread(), old);
}

}  // namespace
}  // namespace kt::http
