#include "journal.h"

#include "text.h"

namespace kt::mock {

void Journal::record(const Call& call) {
  if (capacity_ == 0) return;
  const Request& req = call.req();
  Entry e;
  e.time = std::chrono::system_clock::now();
  e.port = call.port();
  e.method = std::string(req.method_string());
  e.target = std::string(req.target());
  e.headers.reserve(16);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    e.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  e.body = req.body();
  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_) entries_.pop_front();
  entries_.push_back(std::move(e));
}

boost::json::array Journal::recent(std::string_view path_prefix, std::size_t limit) const {
  std::lock_guard lock(mu_);
  boost::json::array out;
  std::vector<const Entry*> picked;
  for (auto it = entries_.rbegin(); it != entries_.rend() && picked.size() < limit; ++it) {
    std::string_view path = std::string_view(it->target).substr(0, it->target.find('?'));
    if (path.substr(0, path_prefix.size()) == path_prefix) picked.push_back(&*it);
  }
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) {
    const Entry& e = **it;
    boost::json::object headers;
    for (const auto& [name, value] : e.headers) {
      auto found = headers.find(name);
      if (found == headers.end()) {
        headers[name] = value;
      } else {
        found->value() = std::string(found->value().as_string()) + ", " + value;
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
  entries_.clear();
}

}  // namespace kt::mock
