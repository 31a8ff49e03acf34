#include "http/sse.h"

namespace kt::http {

namespace {

// The WHATWG rule: one optional space after the colon is part of the syntax, the rest is data.
std::string_view field_value(std::string_view rest) {
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

}  // namespace

bool SseReader::feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event) {
  if (overflow_) return false;
  // A CR ended the previous feed; an LF right after it belongs to the same line ending.
  if (last_was_cr_ && !bytes.empty()) {
    if (bytes.front() == '\n') bytes.remove_prefix(1);
    last_was_cr_ = false;
  }
  while (!bytes.empty()) {
    const std::size_t end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      partial_.append(bytes);
      break;
    }
    if (partial_.empty()) {
      line(bytes.substr(0, end), on_event);
    } else {
      partial_.append(bytes.substr(0, end));
      line(partial_, on_event);
      partial_.clear();
    }
    if (overflow_) return false;
    std::size_t next = end + 1;
    if (bytes[end] == '\r') {
      if (next == bytes.size()) {
        last_was_cr_ = true;
      } else if (bytes[next] == '\n') {
        ++next;
      }
    }
    bytes.remove_prefix(next);
  }
  if (cur_.data.size() + cur_.event.size() + partial_.size() > max_event_) overflow_ = true;
  return !overflow_;
}

void SseReader::line(std::string_view l, const std::function<void(const SseEvent&)>& on_event) {
  if (l.empty()) {
    if (has_data_ || !cur_.event.empty()) {
      cur_.id = last_id_;
      on_event(cur_);
    }
    cur_.data.clear();
    cur_.event.clear();
    has_data_ = false;
    return;
  }
  if (l.front() == ':') {
    ++comments_;
    return;
  }
  const std::size_t colon = l.find(':');
  const std::string_view name = l.substr(0, colon);
  const std::string_view value =
      colon == std::string_view::npos ? std::string_view() : field_value(l.substr(colon + 1));
  if (name == "data") {
    if (has_data_) cur_.data.push_back('\n');
    cur_.data.append(value);
    has_data_ = true;
  } else if (name == "event") {
    cur_.event.assign(value);
  } else if (name == "id") {
    // The spec ignores an id containing NUL (it could not be sent back as Last-Event-ID).
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  }
  // `retry` and unknown fields are ignored: reconnection is the caller's business.
  if (cur_.data.size() + cur_.event.size() > max_event_) overflow_ = true;
}

}  // namespace kt::http
