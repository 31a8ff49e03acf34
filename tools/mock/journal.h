// Journal: the last N requests kt-mock received (both ports), verbatim, for test assertions such
// as "the provider never saw this e-mail address" or "Authorization was sent". Nothing is
// redacted on purpose: it is a test double. Thread-safe. A fixed ring of entries whose strings keep
// their capacity, so recording allocates nothing once the ring is warm.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "http_server.h"

namespace kt::mock {

class Journal {
 public:
  explicit Journal(std::size_t capacity) : capacity_(capacity), ring_(capacity) {}

  void record(const Call& call);
  // Newest last. `path_prefix` filters on the path; `limit` keeps the newest ones.
  boost::json::array recent(std::string_view path_prefix, std::size_t limit) const;
  void clear();

 private:
  struct Entry {
    std::chrono::system_clock::time_point time;
    Port port = Port::api;
    std::string method;
    std::string target;
    std::string headers;  // "name\0value\0" pairs as received
    std::string body;
  };
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::vector<Entry> ring_;
  std::size_t next_ = 0;   // slot the next request goes to
  std::size_t count_ = 0;  // valid entries, newest at next_ - 1
};

}  // namespace kt::mock
