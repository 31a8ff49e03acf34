// sse.h — an incremental Server-Sent Events reader following the WHATWG rules: fields
// `data` (several lines joined with "\n"), `event`, `id`, `retry`; comment lines (":") ignored;
// one optional space after the colon stripped; LF, CRLF and CR line endings; an event is
// dispatched at a blank line. Feed bytes in any split; events come out in order.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace kt::http {

struct SseEvent {
  std::string event;  // "" = message
  std::string data;
  std::string id;     // last event id seen (persists across events, per the spec)
};

class SseReader {
 public:
  explicit SseReader(std::size_t max_event_bytes = 1 << 20) : max_event_(max_event_bytes) {}
  // Parses `bytes`, calling on_event for each complete event. Returns false when an event grew
  // beyond max_event_bytes (the stream should be treated as failed).
  bool feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);
  // Counts comment lines seen (": hi" keep-alives), for tests.
  std::size_t comments() const { return comments_; }

 private:
  void line(std::string_view l, const std::function<void(const SseEvent&)>& on_event);
  std::size_t max_event_;
  std::string partial_;      // an unfinished line
  bool last_was_cr_ = false;
  bool has_data_ = false;
  SseEvent cur_;
  std::string last_id_;
  std::size_t comments_ = 0;
  bool overflow_ = false;
};

}  // namespace kt::http
