#include "mock/predictions.h"

#include <gtest/gtest.h>

namespace kt::mock {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<Prediction> chat(int tokens, int fail_after = -1) {
  auto owned = std::make_unique<Prediction>();
  Prediction& p = *owned;
  p.id = "p";
  p.created = Prediction::Clock::time_point{} + std::chrono::hours(1000);
  p.cold_start = milliseconds(100);
  p.token_delay = milliseconds(10);
  for (int i = 0; i < tokens; ++i) p.fragments.push_back(" t" + std::to_string(i));
  p.steps = tokens;
  p.fail_after = fail_after;
  return owned;
}

TEST(Prediction, StartingProcessingSucceededOverTime) {
  auto owned = chat(3);
  Prediction& p = *owned;
  auto t0 = p.created;
  EXPECT_EQ(p.at(t0).status, Status::starting);
  EXPECT_EQ(p.at(t0 + milliseconds(99)).status, Status::starting);
  auto v = p.at(t0 + milliseconds(115));
  EXPECT_EQ(v.status, Status::processing);
  EXPECT_EQ(v.emitted, 1u);
  v = p.at(t0 + milliseconds(130));
  EXPECT_EQ(v.status, Status::succeeded);
  EXPECT_EQ(v.emitted, 3u);
  EXPECT_EQ(v.completed, t0 + milliseconds(130));
}

TEST(Prediction, FailsAfterNTokens) {
  auto owned = chat(5, 2);
  Prediction& p = *owned;
  auto v = p.at(p.created + milliseconds(500));
  EXPECT_EQ(v.status, Status::failed);
  EXPECT_EQ(v.emitted, 2u);
  EXPECT_EQ(v.completed, p.created + milliseconds(120));
}

TEST(Prediction, CancelFreezesAndIsRefusedWhenTerminal) {
  auto owned = chat(5);
  Prediction& p = *owned;
  auto t = p.created + milliseconds(125);
  EXPECT_TRUE(p.cancel(t));
  auto v = p.at(p.created + milliseconds(999));
  EXPECT_EQ(v.status, Status::canceled);
  EXPECT_EQ(v.emitted, 2u);
  EXPECT_FALSE(p.cancel(t + milliseconds(1)));
  auto done_owned = chat(1);
  Prediction& done = *done_owned;
  EXPECT_FALSE(done.cancel(done.created + milliseconds(200)));
  EXPECT_EQ(done.at(done.created + milliseconds(200)).status, Status::succeeded);
}

TEST(Prediction, ImagesShowOutputOnlyAtTheEnd) {
  auto owned = chat(0);
  Prediction& p = *owned;
  p.image = true;
  p.fragments = {"out-0.webp", "out-1.webp"};
  p.steps = 4;
  EXPECT_EQ(p.at(p.created + milliseconds(120)).emitted, 0u);
  auto v = p.at(p.created + milliseconds(140));
  EXPECT_EQ(v.status, Status::succeeded);
  EXPECT_EQ(v.emitted, 2u);
}

TEST(PredictionStore, NewestFirstPagesAndEviction) {
  PredictionStore store(3);
  for (int i = 0; i < 4; ++i) {
    auto p = std::make_shared<Prediction>();
    p->id = "p" + std::to_string(i);
    store.add(p);
  }
  EXPECT_EQ(store.find("p0"), nullptr);  // evicted
  bool more = false;
  auto page = store.list(0, 2, &more);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0]->id, "p3");
  EXPECT_TRUE(more);
  page = store.list(2, 2, &more);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]->id, "p1");
  EXPECT_FALSE(more);
}

}  // namespace
}  // namespace kt::mock
