// decode.h — finds text hidden in base64, hex and URL-encoded (%xx) segments of a string.
//
// decode_embedded() looks for runs of each alphabet at least `min_length` characters long,
// decodes them, and keeps a decoding only when it is mostly printable UTF-8 text (so random
// identifiers and binary blobs are ignored). Decoded text is searched again for nested encodings
// up to `max_depth` levels. Work is bounded: at most `max_segments` results and
// `max_total_bytes` decoded bytes per call. Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kt::scan {

enum class Encoding { base64, hex, url };
const char* to_string(Encoding e);

struct DecodeLimits {
  std::size_t min_length = 16;          // shortest encoded run considered
  std::size_t max_segments = 16;        // decodings returned per call, all depths together
  std::size_t max_total_bytes = 65536;  // decoded bytes per call, all depths together
  int max_depth = 2;                    // 1 = only segments of the input itself
  double min_printable = 0.9;           // share of printable code points a decoding needs
};

struct DecodedSegment {
  Encoding encoding;
  int depth;         // 1 for a segment of the input, 2 for one found inside a decoding, ...
  std::string text;  // the decoded text (valid UTF-8)
};

std::vector<DecodedSegment> decode_embedded(std::string_view text, const DecodeLimits& limits = {});

// True when `bytes` is valid UTF-8 of which at least `min_share` of the code points are
// printable (letters, digits, punctuation, spaces, tabs and newlines).
bool is_mostly_printable(std::string_view bytes, double min_share);

}  // namespace kt::scan
