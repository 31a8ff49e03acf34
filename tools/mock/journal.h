// Journal: the last N requests kt-mock received (both ports), verbatim, for test assertions such
// as "the provider never saw this e-mail address" or "Authorization was sent". Nothing is
// redacted on purpose: it is a test double. Thread-safe; recording copies the request once.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http_server.h"

namespace kt::mock {

class Journal {
 public:
  explicit Journal(std::size_t capacity) : capacity_(capacity) {}

  void record(const Call& call);
  // Newest last. `path_prefix` filters on the path; `limit` keeps the newest ones.
  boost::json::array recent(std::string_view path_prefix, std::size_t limit) const;
  void clear();

 private:
  struct Entry {
    std::chrono::system_clock::time_point time;
    Port port;
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
};

}  // namespace kt::mock
