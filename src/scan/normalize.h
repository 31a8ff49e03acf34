// normalize.h — folds text into the canonical form the signature scanners match against.
//
// normalize() lower-cases, turns every run of whitespace and control characters into one space,
// and (per NormalizeOptions) applies Unicode NFKC with case folding, drops invisible characters
// (zero-width, bidi and other format characters), replaces homoglyphs inside words by their
// Latin look-alike (ICU confusable skeletons), and folds leetspeak and letter-spaced words
// ("1gn0r3", "i-g-n-o-r-e"). Pure printable ASCII input skips ICU entirely.
// `obfuscated` is true when the text needed more than case and whitespace folding: invisible
// characters, compatibility forms, homoglyphs or leetspeak. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kt::scan {

struct NormalizeOptions {
  bool unicode = true;     // NFKC + case fold + invisible-character removal
  bool homoglyphs = true;  // confusable skeletons for non-Latin letters inside Latin words
  bool leetspeak = false;  // digits/symbols inside words -> letters; letter-spaced words joined
};

struct Normalized {
  std::string text;
  bool obfuscated = false;
};

Normalized normalize(std::string_view utf8, const NormalizeOptions& options = {});

// Leetspeak and letter-spacing folding alone, on already normalised text. Returns true when it
// changed anything.
bool fold_leetspeak(std::string& text);

}  // namespace kt::scan
