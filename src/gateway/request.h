// request.h — what the server hands the gateway for one HTTP request.
#pragma once

#include <boost/beast/http/fields.hpp>

#include <string>
#include <string_view>

namespace kt::gateway {

struct Request {
  std::string_view method;
  std::string_view path;          // without the query string
  std::string_view target;        // path with the query string
  std::string_view body;
  const boost::beast::http::fields* headers = nullptr;
  std::string request_id;
  std::string client_ip;

  std::string_view header(std::string_view name) const {
    if (!headers) return {};
    auto it = headers->find(name);
    return it == headers->end() ? std::string_view{} : std::string_view(it->value());
  }
};

}  // namespace kt::gateway
