#include "providers/replicate_response.h"

#include <openssl/evp.h>

#include <cctype>

namespace kt::providers::replicate {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxMessage = 500;  // upstream text quoted to the client, at most

std::string clip(std::string_view s) {
  if (s.size() <= kMaxMessage) return std::string(s);
  return std::string(s.substr(0, kMaxMessage)) + "...";
}

std::string string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A token count, or nullopt when absent or not a plausible count. Counts above 2^53 are refused:
// converting a larger double (2.9e20) to int64 is undefined behaviour and summing counts near
// INT64_MAX overflowed (both found by fuzz_replicate).
std::optional<std::int64_t> count_at(const json::object& o, std::string_view key) {
  constexpr std::int64_t kMaxCount = std::int64_t{1} << 53;
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= kMaxCount) return v->get_int64();
  if (v->is_double() && v->get_double() >= 0 && v->get_double() <= static_cast<double>(kMaxCount)) {
    return static_cast<std::int64_t>(v->get_double());
  }
  return std::nullopt;
}

json::object usage_json(const gateway::Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool Prediction::terminal() const {
  return status == "succeeded" || status == "failed" || status == "canceled" ||
         status == "aborted";
}

std::string parse_prediction(std::string_view body, Prediction& out) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return "Replicate answered with something that is not a prediction object";
  out.id = string_at(*o, "id");
  out.status = string_at(*o, "status");
  if (out.id.empty() || out.status.empty()) {
    return "Replicate answered with a prediction without id or status";
  }
  out.error = string_at(*o, "error");
  if (const json::value* e = o->if_contains("error"); e && !e->is_null() && !e->is_string()) {
    out.error = json::serialize(*e);
  }
  if (const json::value* output = o->if_contains("output")) out.output = *output;
  if (const json::value* urls = o->if_contains("urls"); urls && urls->is_object()) {
    out.url_get = string_at(urls->get_object(), "get");
    out.url_cancel = string_at(urls->get_object(), "cancel");
    out.url_stream = string_at(urls->get_object(), "stream");
  }
  if (const json::value* m = o->if_contains("metrics"); m && m->is_object()) {
    out.input_tokens = count_at(m->get_object(), "input_token_count");
    out.output_tokens = count_at(m->get_object(), "output_token_count");
  }
  out.created_at = string_at(*o, "created_at");
  out.started_at = string_at(*o, "started_at");
  return {};
}

std::string output_text(const json::value& output) {
  if (output.is_string()) return std::string(output.get_string());
  std::string text;
  if (const json::array* arr = output.if_array()) {
    for (const auto& piece : *arr) {
      if (piece.is_string()) text += piece.get_string();
    }
  }
  return text;
}

std::size_t output_fragments(const json::value& output) {
  if (output.is_string()) return output.get_string().empty() ? 0 : 1;
  if (const json::array* arr = output.if_array()) return arr->size();
  return 0;
}

std::vector<std::string> output_files(const json::value& output) {
  std::vector<std::string> files;
  if (output.is_string()) files.emplace_back(output.get_string());
  if (const json::array* arr = output.if_array()) {
    for (const auto& f : *arr) {
      if (f.is_string() && !f.get_string().empty()) files.emplace_back(f.get_string());
    }
  }
  return files;
}

std::string finish_reason(const Prediction& p, int length_limit) {
  return p.output_tokens && length_limit > 0 && *p.output_tokens >= length_limit ? "length"
                                                                                 : "stop";
}

Outcome prediction_failure(const Prediction& p) {
  Outcome o;
  o.failure = Failure::server_error;
  if (p.status == "canceled") {
    o.message = "prediction was canceled";
  } else if (p.status == "aborted") {
    o.message = "prediction was aborted before it started";
  } else {
    o.message = "Replicate prediction failed: " + (p.error.empty() ? "no error given" : clip(p.error));
  }
  return o;
}

Outcome error_outcome(int status, std::string_view body, std::string_view retry_after) {
  Outcome o;
  o.status = status;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  std::string detail;
  if (const json::object* problem = ec ? nullptr : v.if_object()) {
    detail = string_at(*problem, "detail");
    if (detail.empty()) detail = string_at(*problem, "title");
    if (detail.empty()) detail = string_at(*problem, "error");
  }
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  std::string cause = detail.empty() ? "HTTP " + std::to_string(status) : clip(detail);
  if (status == 401 || status == 403) {
    o.failure = Failure::auth;
    o.message = "Replicate rejected the credential: " + cause;
  } else if (status == 404) {
    o.failure = Failure::not_found;
    o.message = "Replicate model not found: " + cause;
  } else if (status == 429) {
    o.failure = Failure::rate_limit;
    o.message = "Replicate rate limit: " + cause;
    o.retry_after = std::string(retry_after);
  } else if (status >= 500 || status == 402 || status == 408) {
    // 402 (out of credit) and 408 are worth a fallback, like server errors.
    o.failure = Failure::server_error;
    o.message = "Replicate error " + std::to_string(status) + ": " + cause;
  } else {
    o.failure = Failure::bad_request;
    o.message = "Replicate rejected the request: " + cause;
  }
  return o;
}

gateway::Usage total_usage(const std::vector<Prediction>& choices) {
  gateway::Usage u{0, 0};
  for (const auto& p : choices) {
    if (!p.has_token_counts()) return {};
    u.prompt_tokens += *p.input_tokens;
    u.completion_tokens += *p.output_tokens;
  }
  return u;
}

json::object chat_completion(const std::vector<Prediction>& choices, std::string_view model,
                             std::int64_t created, int length_limit) {
  json::array out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    out.push_back(json::object{
        {"index", i},
        {"message", {{"role", "assistant"}, {"content", output_text(choices[i].output)},
                     {"refusal", nullptr}}},
        {"logprobs", nullptr},
        {"finish_reason", finish_reason(choices[i], length_limit)}});
  }
  json::object answer{{"id", "chatcmpl-" + (choices.empty() ? std::string() : choices[0].id)},
                      {"object", "chat.completion"},
                      {"created", created},
                      {"model", model},
                      {"choices", std::move(out)}};
  gateway::Usage u = total_usage(choices);
  if (u.prompt_tokens >= 0) answer["usage"] = usage_json(u);
  return answer;
}

json::object text_completion(const std::vector<Prediction>& choices, std::string_view model,
                             std::int64_t created, int length_limit) {
  json::array out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    out.push_back(json::object{{"text", output_text(choices[i].output)},
                               {"index", i},
                               {"logprobs", nullptr},
                               {"finish_reason", finish_reason(choices[i], length_limit)}});
  }
  json::object answer{{"id", "cmpl-" + (choices.empty() ? std::string() : choices[0].id)},
                      {"object", "text_completion"},
                      {"created", created},
                      {"model", model},
                      {"choices", std::move(out)}};
  gateway::Usage u = total_usage(choices);
  if (u.prompt_tokens >= 0) answer["usage"] = usage_json(u);
  return answer;
}

std::optional<double> rfc3339_ms(std::string_view t) {
  auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
    if (pos + n > t.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
       minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':' ||
      *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  double fraction = 0, scale = 0.1;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    for (; pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos])); ++pos) {
      fraction += (t[pos] - '0') * scale;
      scale /= 10;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_min = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= t.size() || t[pos + 3] != ':') return std::nullopt;
    offset_min = (*oh * 60 + *om) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  std::int64_t days = days_from_civil(*year, static_cast<unsigned>(*month),
                                      static_cast<unsigned>(*day));
  double seconds = static_cast<double>(days) * 86400 + *hour * 3600 + *minute * 60 + *second +
                   fraction - offset_min * 60;
  return seconds * 1000;
}

double queue_ms(const Prediction& p) {
  auto created = rfc3339_ms(p.created_at), started = rfc3339_ms(p.started_at);
  if (!created || !started || *started < *created) return -1;
  return *started - *created;
}

std::optional<std::string> decode_data_uri(std::string_view uri) {
  if (uri.substr(0, 5) != "data:") return std::nullopt;
  auto comma = uri.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view meta = uri.substr(5, comma - 5), payload = uri.substr(comma + 1);
  bool base64 = meta.size() >= 7 && meta.substr(meta.size() - 7) == ";base64";
  std::string out;
  if (!base64) {
    for (std::size_t i = 0; i < payload.size(); ++i) {
      if (payload[i] != '%') {
        out += payload[i];
        continue;
      }
      int hi = i + 2 < payload.size() ? hex_value(payload[i + 1]) : -1;
      int lo = hi >= 0 ? hex_value(payload[i + 2]) : -1;
      if (lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    return out;
  }
  if (payload.size() % 4 != 0) return std::nullopt;
  for (char c : payload) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
      return std::nullopt;
    }
  }
  out.resize(payload.size() / 4 * 3);
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(payload.data()),
                          static_cast<int>(payload.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  for (std::size_t i = payload.size(); i > 0 && payload[i - 1] == '=' && padding < 2; --i) {
    ++padding;
  }
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace kt::providers::replicate
