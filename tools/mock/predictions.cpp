#include "predictions.h"

#include <algorithm>

namespace kt::mock {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::starting:
      return "starting";
    case Status::processing:
      return "processing";
    case Status::succeeded:
      return "succeeded";
    case Status::failed:
      return "failed";
    case Status::canceled:
      return "canceled";
  }
  return "starting";
}

std::size_t Prediction::planned_steps() const {
  std::size_t n = static_cast<std::size_t>(std::max(steps, 0));
  if (fail_after >= 0) n = std::min(n, static_cast<std::size_t>(fail_after));
  return n;
}

Prediction::Clock::time_point Prediction::natural_end() const {
  std::size_t n = planned_steps();
  return n == 0 ? started() : step_time(n - 1);
}

Prediction::View Prediction::at(Clock::time_point now) const {
  auto emitted_by = [&](Clock::time_point t) -> std::size_t {
    if (image) return 0;
    if (t < started()) return 0;
    if (token_delay.count() <= 0) return planned_steps();
    auto done = (t - started()) / token_delay;
    return std::min(planned_steps(), static_cast<std::size_t>(std::max<long long>(done, 0)));
  };
  long long cancel_us = canceled_at_us.load(std::memory_order_acquire);
  if (cancel_us != 0) {
    Clock::time_point canceled{std::chrono::microseconds(cancel_us)};
    return {Status::canceled, emitted_by(canceled), canceled};
  }
  Clock::time_point end = natural_end();
  if (now < started()) return {Status::starting, 0, end};
  if (now < end) return {Status::processing, emitted_by(now), end};
  std::size_t all = planned_steps();
  if (image) all = fail_after >= 0 ? 0 : fragments.size();
  return {fail_after >= 0 ? Status::failed : Status::succeeded, all, end};
}

bool Prediction::cancel(Clock::time_point now) {
  if (is_terminal(at(now).status)) return false;
  long long expected = 0;
  long long us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  return canceled_at_us.compare_exchange_strong(expected, us, std::memory_order_acq_rel);
}

void PredictionStore::add(std::shared_ptr<Prediction> p) {
  std::lock_guard lock(mu_);
  order_.push_back(p->id);
  by_id_[p->id] = std::move(p);
  while (order_.size() > capacity_) {
    by_id_.erase(order_.front());
    order_.pop_front();
  }
}

std::shared_ptr<Prediction> PredictionStore::find(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Prediction>> PredictionStore::list(std::size_t offset,
                                                               std::size_t limit,
                                                               bool* more) const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Prediction>> out;
  std::size_t skipped = 0;
  *more = false;
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    if (skipped < offset) {
      ++skipped;
      continue;
    }
    if (out.size() == limit) {
      *more = true;
      break;
    }
    out.push_back(by_id_.at(*it));
  }
  return out;
}

void PredictionStore::clear() {
  std::lock_guard lock(mu_);
  by_id_.clear();
  order_.clear();
}

}  // namespace kt::mock
