#include "journal.h"

#include <algorithm>
#include <cctype>

#include "text.h"

namespace kt::mock {

void Journal::record(const Call& call) {
  if (capacity_ == 0) return;
  const Request& req = call.req();
  std::lock_guard lock(mu_);
  Entry& e = ring_[next_];
  e.time = std::chrono::system_clock::now();
  e.port = call.port();
  e.method.assign(req.method_string());
  e.target.assign(req.target());
  e.headers.clear();
  for (const auto& field : req) {
    e.headers.append(field.name_string()).push_back('\0');
    e.headers.append(field.value()).push_back('\0');
  }
  e.body.assign(req.body());
  next_ = (next_ + 1) % capacity_;
  count_ = std::min(count_ + 1, capacity_);
}

boost::json::array Journal::recent(std::string_view path_prefix, std::size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<const Entry*> picked;
  for (std::size_t i = 0; i < count_ && picked.size() < limit; ++i) {
    const Entry& e = ring_[(next_ + capacity_ - 1 - i) % capacity_];
    std::string_view path = std::string_view(e.target).substr(0, e.target.find('?'));
    if (path.substr(0, path_prefix.size()) == path_prefix) picked.push_back(&e);
  }
  boost::json::array out;
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) {
    const Entry& e = **it;
    boost::json::object headers;
    std::string_view rest = e.headers;
    while (!rest.empty()) {
      auto z = rest.find('\0');
      std::string name(rest.substr(0, z));
      rest.remove_prefix(z + 1);
      z = rest.find('\0');
      std::string_view value = rest.substr(0, z);
      rest.remove_prefix(z + 1);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto found = headers.find(name);
      if (found == headers.end()) {
        headers[name] = value;
      } else {
        found->value() = std::string(found->value().as_string()) + ", " + std::string(value);
      }
    }
    boost::json::value body;
    if (!e.body.empty()) {
      boost::system::error_code ec;
      body = boost::json::parse(e.body, ec);
      if (ec) body = e.body;  // not JSON: keep the text
    }
    std::string_view target = e.target;
    auto q = target.find('?');
    out.push_back({{"time", rfc3339(e.time)},
                   {"port", e.port == Port::api ? "api" : "stream"},
                   {"method", e.method},
                   {"path", target.substr(0, q)},
                   {"query", q == std::string_view::npos ? "" : target.substr(q + 1)},
                   {"headers", std::move(headers)},
                   {"body", std::move(body)}});
  }
  return out;
}

void Journal::clear() {
  std::lock_guard lock(mu_);
  count_ = 0;
  next_ = 0;
}

}  // namespace kt::mock
