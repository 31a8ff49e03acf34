#include "api/request.h"

#include <array>
#include <memory>

namespace kt::api {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 6> kRoles = {"system", "developer", "user",
                                                    "assistant", "tool", "function"};

bool fail(DecodeError& err, std::string msg, std::string param) {
  err.message = std::move(msg);
  err.param = std::move(param);
  return false;
}

bool check_messages(const json::object& obj, DecodeError& err) {
  const json::value* msgs = obj.if_contains("messages");
  if (!msgs) return fail(err, "'messages' is required", "messages");
  if (!msgs->is_array()) return fail(err, "'messages' must be an array", "messages");
  const auto& arr = msgs->get_array();
  if (arr.empty()) return fail(err, "'messages' must contain at least one message", "messages");
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) return fail(err, where + " must be an object", where);
    const auto& m = arr[i].get_object();
    const json::value* role = m.if_contains("role");
    if (!role || !role->is_string()) return fail(err, where + ".role must be a string", where);
    const std::string_view r = role->get_string();
    bool known = false;
    for (auto k : kRoles) known = known || (k == r);
    if (!known) {
      return fail(err, where + ".role '" + std::string(r) + "' is not one of system, developer, "
                  "user, assistant, tool, function", where + ".role");
    }
    const json::value* content = m.if_contains("content");
    if (content && !content->is_string() && !content->is_array() && !content->is_null()) {
      return fail(err, where + ".content must be a string, an array of parts or null",
                  where + ".content");
    }
    if (content && content->is_array()) {
      for (const auto& part : content->get_array()) {
        if (!part.is_object() || !part.get_object().contains("type")) {
          return fail(err, where + ".content parts must be objects with a 'type'",
                      where + ".content");
        }
      }
    }
    if (!content && r != "assistant") {
      return fail(err, where + ".content is required", where + ".content");
    }
  }
  return true;
}

}  // namespace

bool decode_request(Endpoint ep, std::string_view body, DecodedRequest& out, DecodeError& err,
                    json::storage_ptr sp) {
  json::parse_options opts;
  opts.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, std::move(sp), opts);
  if (ec) return fail(err, "request body is not valid JSON: " + ec.message(), "");
  if (!v.is_object()) return fail(err, "request body must be a JSON object", "");
  const auto& obj = v.get_object();

  if (const json::value* model = obj.if_contains("model")) {
    if (!model->is_string()) return fail(err, "'model' must be a string", "model");
    out.model = std::string(model->get_string());
  } else if (ep != Endpoint::image) {
    return fail(err, "'model' is required", "model");
  }
  if (const json::value* s = obj.if_contains("stream"); s && !s->is_null()) {
    if (!s->is_bool()) return fail(err, "'stream' must be a boolean", "stream");
    out.stream = s->get_bool();
  }
  if (const json::value* so = obj.if_contains("stream_options"); so && so->is_object()) {
    if (const json::value* iu = so->get_object().if_contains("include_usage")) {
      out.include_usage = iu->is_bool() && iu->get_bool();
    }
  }
  switch (ep) {
    case Endpoint::chat:
      if (!check_messages(obj, err)) return false;
      break;
    case Endpoint::completion: {
      const json::value* p = obj.if_contains("prompt");
      if (!p) return fail(err, "'prompt' is required", "prompt");
      if (!p->is_string() && !p->is_array()) {
        return fail(err, "'prompt' must be a string or an array", "prompt");
      }
      break;
    }
    case Endpoint::embedding: {
      const json::value* in = obj.if_contains("input");
      if (!in) return fail(err, "'input' is required", "input");
      if (!in->is_string() && !in->is_array()) {
        return fail(err, "'input' must be a string or an array", "input");
      }
      if (out.stream) return fail(err, "embeddings cannot be streamed", "stream");
      break;
    }
    case Endpoint::image: {
      const json::value* p = obj.if_contains("prompt");
      if (!p || !p->is_string() || p->get_string().empty()) {
        return fail(err, "'prompt' is required and must be a non-empty string", "prompt");
      }
      if (out.stream) return fail(err, "image streaming is not supported", "stream");
      break;
    }
  }
  if (const json::value* n = obj.if_contains("n"); n && !n->is_null()) {
    if (!n->is_int64() || n->as_int64() < 1 || n->as_int64() > 10) {
      return fail(err, "'n' must be an integer between 1 and 10", "n");
    }
  }
  // Move construction keeps v's storage (move assignment would copy into out.body's).
  std::destroy_at(&out.body);
  std::construct_at(&out.body, std::move(v));
  return true;
}

}  // namespace kt::api
