// decode.cpp — see decode.h.
#include "scan/decode.h"

#include <array>
#include <cstdint>

namespace kt::scan {
namespace {

constexpr int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_hex_digit(char c) { return hex_value(c) >= 0; }

// Standard and URL-safe alphabets, padding optional.
std::string decode_base64(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<std::uint32_t>(base64_value(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string decode_hex(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 2);
  for (std::size_t i = 0; i + 1 < in.size(); i += 2) {
    out.push_back(static_cast<char>(hex_value(in[i]) * 16 + hex_value(in[i + 1])));
  }
  return out;
}

std::string decode_percent(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && is_hex_digit(in[i + 1]) && is_hex_digit(in[i + 2])) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else if (in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

struct Candidate {
  Encoding encoding;
  std::string_view run;
};

// Character classes of the candidate scan, one table lookup per byte.
enum : std::uint8_t {
  kBase64 = 1,  // base64 alphabet (both variants) or '=' padding
  kHex = 2,
  kLower = 4,
  kUpper = 8,
  kRunEnd = 16,  // whitespace and quotes end a run
};
constexpr std::array<std::uint8_t, 256> kClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    char ch = static_cast<char>(c);
    std::uint8_t k = 0;
    if (base64_value(ch) >= 0 || ch == '=') k |= kBase64;
    if (hex_value(ch) >= 0) k |= kHex;
    if (ch >= 'a' && ch <= 'z') k |= kLower;
    if (ch >= 'A' && ch <= 'Z') k |= kUpper;
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '"' || ch == '\'' || ch == '\r') {
      k |= kRunEnd;
    }
    t[c] = k;
  }
  return t;
}();

std::uint8_t class_of(char c) { return kClass[static_cast<unsigned char>(c)]; }

// Splits `text` into maximal runs of each alphabet and yields the plausible ones in order.
std::vector<Candidate> find_candidates(std::string_view text, std::size_t min_length) {
  std::vector<Candidate> found;
  std::size_t i = 0;
  while (i < text.size()) {
    if ((class_of(text[i]) & kBase64) == 0 && text[i] != '%') {
      ++i;
      continue;
    }
    // A run of non-space characters that may hold an encoding; most are words too short to.
    std::size_t end = i;
    while (end < text.size() && (class_of(text[end]) & kRunEnd) == 0) ++end;
    std::string_view run = text.substr(i, end - i);
    i = end + 1;
    if (run.size() < min_length) continue;  // trimming below only shortens it
    std::uint8_t all = 0xff, any = 0;
    int escapes = 0;
    for (std::size_t k = end - run.size(); k < end; ++k) {
      if (text[k] == '%' && k + 2 < text.size() && (class_of(text[k + 1]) & kHex) != 0 &&
          (class_of(text[k + 2]) & kHex) != 0) {
        ++escapes;
      }
      all &= class_of(text[k]);
      any |= class_of(text[k]);
    }
    // Trailing sentence punctuation is not part of an encoding.
    while (!run.empty() && (run.back() == '.' || run.back() == ',' || run.back() == ')' ||
                            run.back() == ';' || run.back() == ':')) {
      run.remove_suffix(1);
    }
    if (run.size() >= min_length) {
      if (escapes >= 3) {
        found.push_back({Encoding::url, run});
      } else if ((all & kHex) != 0 && run.size() % 2 == 0) {
        found.push_back({Encoding::hex, run});
      } else if ((all & kBase64) != 0 && (any & kLower) != 0 && (any & kUpper) != 0) {
        found.push_back({Encoding::base64, run});
      }
    }
  }
  return found;
}

void decode_into(std::string_view text, int depth, const DecodeLimits& limits,
                 std::vector<DecodedSegment>& out, std::size_t& budget) {
  if (depth > limits.max_depth) return;
  for (const Candidate& c : find_candidates(text, limits.min_length)) {
    if (out.size() >= limits.max_segments || budget == 0) return;
    std::string decoded;
    switch (c.encoding) {
      case Encoding::base64: decoded = decode_base64(c.run); break;
      case Encoding::hex: decoded = decode_hex(c.run); break;
      case Encoding::url: decoded = decode_percent(c.run); break;
    }
    if (decoded.size() > budget) decoded.resize(budget);
    if (decoded.size() < 4 || !is_mostly_printable(decoded, limits.min_printable)) continue;
    budget -= decoded.size();
    out.push_back({c.encoding, depth, std::move(decoded)});
    std::string nested = out.back().text;
    decode_into(nested, depth + 1, limits, out, budget);
  }
}

}  // namespace

const char* to_string(Encoding e) {
  switch (e) {
    case Encoding::base64: return "base64";
    case Encoding::hex: return "hex";
    case Encoding::url: return "url";
  }
  return "";
}

bool is_mostly_printable(std::string_view s, double min_share) {
  std::size_t total = 0, printable = 0;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3fu);
    }
    // Overlong forms ("\xc1\x80"), UTF-16 surrogates and values past U+10FFFF are not UTF-8
    // either (found by fuzzing: such bytes passed through a %xx decoding to the UTF-8 scanners).
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    ++total;
    if (len > 1 || (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c == '\r') ++printable;
    i += len;
  }
  return total > 0 && static_cast<double>(printable) >= min_share * static_cast<double>(total);
}

std::vector<DecodedSegment> decode_embedded(std::string_view text, const DecodeLimits& limits) {
  std::vector<DecodedSegment> out;
  std::size_t budget = limits.max_total_bytes;
  decode_into(text, 1, limits, out, budget);
  return out;
}

}  // namespace kt::scan
