// fuzz_replicate — Replicate answers → OpenAI answers (src/providers/replicate_response and
// replicate_stream): prediction bodies, error bodies, timestamps, data URIs and the SSE
// prediction stream.
//
// The input's last byte picks the mode; the rest is the upstream body (or stream). What a client
// receives must be valid JSON: every answer and chunk is serialised and parsed back (Boost.JSON
// rejects invalid UTF-8), and every client-facing message is checked as an error envelope.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/errors.h"
#include "fuzz_util.h"
#include "http/sse.h"
#include "providers/replicate_response.h"
#include "providers/replicate_stream.h"

namespace rep = kt::providers::replicate;

namespace {

void round_trip(const boost::json::object& o) {
  const std::string text = boost::json::serialize(o);
  boost::system::error_code ec;
  (void)boost::json::parse(text, ec);
  if (ec) std::abort();
}

void client_message(std::string_view message) {
  if (!kt::fuzz::valid_utf8(message)) std::abort();
  (void)kt::api::error_body(kt::api::ErrorKind::upstream, message);
}

void prediction(std::string_view body, int length_limit) {
  rep::Prediction p;
  if (!rep::parse_prediction(body, p).empty()) return;
  (void)rep::output_fragments(p.output);
  for (const auto& f : rep::output_files(p.output)) {
    if (auto bytes = rep::decode_data_uri(f)) (void)rep::base64_encode(*bytes);
  }
  const std::string reason = rep::finish_reason(p, length_limit);
  if (reason != "stop" && reason != "length") std::abort();
  const double q = rep::queue_ms(p);
  if (std::isnan(q) || (q < 0 && q != -1)) std::abort();
  if (p.terminal() && p.status != "succeeded") client_message(rep::prediction_failure(p).message);
  const std::vector<rep::Prediction> choices = {p, p};
  round_trip(rep::chat_completion(choices, "m", 1700000000, length_limit));
  round_trip(rep::text_completion(choices, "m", 1700000000, length_limit));
}

void stream(std::string_view bytes, bool chat, bool include_usage) {
  rep::ChunkMaker maker(chat, "p1", 1700000000, "m", include_usage);
  if (auto o = maker.opening()) round_trip(*o);
  kt::http::SseReader reader;
  bool ended = false;
  reader.feed(bytes, [&](const kt::http::SseEvent& e) {
    if (ended) return;
    const rep::StreamStep step = rep::interpret(e);
    switch (step.kind) {
      case rep::StreamStep::Kind::output:
        if (step.text != e.data) std::abort();  // tokens pass through exactly
        if (kt::fuzz::valid_utf8(step.text)) round_trip(maker.content(step.text));
        break;
      case rep::StreamStep::Kind::done:
        round_trip(maker.finish("stop"));
        ended = true;
        break;
      case rep::StreamStep::Kind::failed:
        if (step.text.empty()) std::abort();
        if (kt::fuzz::valid_utf8(e.data)) client_message(step.text);
        ended = true;
        break;
      case rep::StreamStep::Kind::ignore:
        break;
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::uint8_t mode = fdp.ConsumeIntegral<std::uint8_t>();
  const std::string body = fdp.ConsumeRemainingBytesAsString();
  switch (mode % 5) {
    case 0:
    case 1:
      prediction(body, (mode >> 3) * 16);
      break;
    case 2: {
      static constexpr int kStatus[] = {400, 401, 402, 403, 404, 408, 409, 422, 429, 500, 502, 503};
      const auto o = rep::error_outcome(kStatus[(mode >> 3) % std::size(kStatus)], body, "7");
      if (kt::fuzz::valid_utf8(body)) client_message(o.message);
      break;
    }
    case 3: {
      if (auto ms = rep::rfc3339_ms(body); ms && !std::isfinite(*ms)) std::abort();
      if (auto bytes = rep::decode_data_uri(body)) {
        // Base64 round trip: encoding the decoded bytes gives back canonical base64.
        const std::string again = rep::base64_encode(*bytes);
        if (again.size() % 4 != 0) std::abort();
      }
      break;
    }
    case 4:
      stream(body, mode & 8, mode & 16);
      break;
  }
  return 0;
}
