// Fault specs and the fault queue. A spec is a comma-separated list of key[=value] items, e.g.
// "status=429,retry_after=1" or "stall=500,after=2" (grammar in tools/mock/README.md). It arrives
// with a request (header x-mock-fault, model "mock-fault/<spec>" or "<model>@fault=<spec>") or is
// queued for the next N requests on a path with POST /_mock/faults. Besides transport faults, a
// spec carries the Replicate prediction knobs (cold start, token delay, fail after n tokens).
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kt::mock {

struct Fault {
  int status = 0;                          // answer with this HTTP status instead
  std::optional<std::string> retry_after;  // Retry-After header value with `status`
  std::optional<std::string> body;         // error message text (always the last item)
  int delay_headers_ms = 0;                // wait before sending anything
  int stall_ms = 0;                        // pause once, after `stall_after` chunks
  int stall_after = 0;
  int reset_after = -1;  // RST the connection after n chunks
  bool malformed_json = false;
  bool truncated_sse = false;
  long long huge = -1;         // answer text of this many bytes (generated while sending)
  long long event_bytes = -1;  // streams: one content event of this many bytes, first
  int slow_tokens_ms = -1;     // delay per streamed token
  int cold_start_ms = -1;      // Replicate: starting -> processing
  int token_delay_ms = -1;     // Replicate: time per output token
  int fail_after = -1;         // Replicate: fail after n tokens
  int sync_quirk = -1;         // Replicate Prefer: wait quirk, 0/1 (-1 = default)

  // Fields set in `other` override this one's.
  void merge(const Fault& other);
};

// Parses a spec; on failure returns nullopt and sets *error to a message naming the bad item.
std::optional<Fault> parse_fault(std::string_view spec, std::string* error);

// Splits a model name carrying a fault ("mock-fault/<spec>" or "<model>@fault=<spec>") into the
// plain model and the spec; a model without one comes back unchanged with an empty spec.
struct ModelFault {
  std::string model;
  std::string spec;
};
ModelFault split_model_fault(std::string_view model);

// Faults queued per path for the next N matching requests; thread-safe. A pattern is an exact path
// or a prefix ending in '*'. Cheap when empty (one atomic load).
class FaultQueue {
 public:
  void push(std::string pattern, std::string spec, Fault fault, int count);
  std::optional<Fault> take(std::string_view path);
  void clear();
  boost::json::array describe() const;

 private:
  struct Entry {
    std::string pattern;
    std::string spec;
    Fault fault;
    int remaining;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace kt::mock
