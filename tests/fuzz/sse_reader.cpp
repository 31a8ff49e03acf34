// fuzz_sse_reader — the incremental SSE reader (src/http/sse), fed the same bytes whole and in
// fuzzer-chosen pieces.
//
// The front of the input is the stream; up to 16 piece lengths come from its end. The reader
// promises "feed bytes in any split; events come out in order", so both feeds must produce the
// same events (names, data, ids) and comment count. A third reader with a small event limit
// exercises the overflow path: once it reports overflow it must keep refusing.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "http/sse.h"

using kt::http::SseEvent;
using kt::http::SseReader;

namespace {

bool same(const SseEvent& a, const SseEvent& b) {
  return a.event == b.event && a.data == b.data && a.id == b.id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  std::vector<std::size_t> pieces(fdp.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (auto& p : pieces) p = fdp.ConsumeIntegralInRange<std::size_t>(0, 512);
  const std::string stream = fdp.ConsumeRemainingBytesAsString();

  std::vector<SseEvent> whole_events, split_events;
  SseReader whole;
  const bool whole_ok =
      whole.feed(stream, [&](const SseEvent& e) { whole_events.push_back(e); });

  SseReader split;
  SseReader small(64);
  bool split_ok = true, small_failed = false;
  std::string_view rest = stream;
  std::size_t i = 0;
  while (!rest.empty()) {
    const std::size_t n = i < pieces.size() ? std::min(pieces[i++], rest.size()) : rest.size();
    const std::string_view piece = rest.substr(0, n);
    rest.remove_prefix(n);
    split_ok = split.feed(piece, [&](const SseEvent& e) { split_events.push_back(e); }) && split_ok;
    const bool small_ok = small.feed(piece, [](const SseEvent& e) {
      if (e.data.size() + e.event.size() > 64) std::abort();
    });
    if (small_failed && small_ok) std::abort();  // overflow is final
    small_failed = small_failed || !small_ok;
  }

  // Both readers use the default 1 MiB limit, far above -max_len, so neither may overflow.
  if (!whole_ok || !split_ok) std::abort();
  if (whole_events.size() != split_events.size()) std::abort();
  for (std::size_t k = 0; k < whole_events.size(); ++k) {
    if (!same(whole_events[k], split_events[k])) std::abort();
  }
  if (whole.comments() != split.comments()) std::abort();
  return 0;
}
