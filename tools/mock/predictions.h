// Replicate predictions whose state is a pure function of time: a prediction is `starting` for
// its cold start, then `processing` while output fragments appear one per token delay, then
// `succeeded` (or `failed` after fail_after fragments); a cancel freezes it as `canceled`. Nothing
// runs in the background: readers (GET, Prefer: wait, the SSE stream) ask `at(now)`. The store is
// bounded (oldest predictions are forgotten) and thread-safe.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fault.h"

namespace kt::mock {

enum class Status { starting, processing, succeeded, failed, canceled };
std::string_view status_name(Status s);
inline bool is_terminal(Status s) {
  return s == Status::succeeded || s == Status::failed || s == Status::canceled;
}

struct Prediction {
  using Clock = std::chrono::system_clock;

  std::string id;
  std::string model;       // "owner/name"
  std::string version;     // 64-hex, "dp-...", or "hidden"
  std::string deployment;  // "owner/name" for deployment predictions
  boost::json::object input;
  bool image = false;                  // outputs are files, all visible at the end
  bool single_output = false;          // output is one URL string, not an array
  std::vector<std::string> fragments;  // chat: output tokens; image: file names (out-0.webp)
  int steps = 0;                       // fragments for chat, inference steps for images
  int input_token_count = 0;
  Clock::time_point created;
  std::chrono::milliseconds cold_start{0};
  std::chrono::milliseconds token_delay{0};
  int fail_after = -1;  // fail once this many steps are done; -1 = succeed
  std::string fail_error;
  Fault stream_fault;  // transport faults applied when its SSE stream is read
  std::atomic<long long> canceled_at_us{0};
  std::atomic<int> stream_reads{0};

  struct View {
    Status status;
    std::size_t emitted;          // fragments visible now
    Clock::time_point completed;  // meaningful when terminal
  };

  Clock::time_point started() const { return created + cold_start; }
  // When step i (0-based) is done.
  Clock::time_point step_time(std::size_t i) const {
    return started() + token_delay * static_cast<long long>(i + 1);
  }
  std::size_t planned_steps() const;
  Clock::time_point natural_end() const;
  View at(Clock::time_point now) const;
  // Cancels unless already terminal at `now`; returns whether it did.
  bool cancel(Clock::time_point now);
};

class PredictionStore {
 public:
  explicit PredictionStore(std::size_t capacity) : capacity_(capacity) {}
  void add(std::shared_ptr<Prediction> p);
  std::shared_ptr<Prediction> find(std::string_view id) const;
  // Newest first, starting at `offset`; *more says whether older ones remain.
  std::vector<std::shared_ptr<Prediction>> list(std::size_t offset, std::size_t limit,
                                                bool* more) const;
  void clear();

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Prediction>> by_id_;
  std::deque<std::string> order_;  // oldest first
};

}  // namespace kt::mock
