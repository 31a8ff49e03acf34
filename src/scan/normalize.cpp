// normalize.cpp — see normalize.h. ICU does the Unicode work (NFKC_Casefold, confusables); the
// ASCII fast path and the leetspeak folding are plain byte loops.
#include "scan/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include <array>
#include <memory>
#include <unordered_map>
#include <vector>

namespace kt::scan {
namespace {

// Printable ASCII plus tab, newline and carriage return: the text the ASCII fast path handles.
constexpr std::array<bool, 256> kPlainAscii = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[c] = true;
  t['\n'] = t['\t'] = t['\r'] = true;
  return t;
}();

bool is_plain_ascii(std::string_view s) {
  bool plain = true;  // no early exit: the loop stays branch-free and vectorises
  for (unsigned char c : s) plain &= kPlainAscii[c];
  return plain;
}

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Appends `c` to `out`, folding whitespace into single spaces (no leading space).
void append_collapsing(std::string& out, char c) {
  if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
    return;
  }
  out.push_back(c);
}

void trim_trailing_space(std::string& s) {
  if (!s.empty() && s.back() == ' ') s.pop_back();
}

struct SpoofCheckerCloser {
  void operator()(USpoofChecker* sc) const { uspoof_close(sc); }
};

// The ASCII look-alike of one non-ASCII letter ("" when it has none). ICU's skeleton of a single
// code point is cached per thread: the same few letters recur in any real text.
const std::string& ascii_lookalike(UChar32 c) {
  thread_local std::unordered_map<UChar32, std::string> cache;
  thread_local std::unique_ptr<USpoofChecker, SpoofCheckerCloser> checker;
  auto it = cache.find(c);
  if (it != cache.end()) return it->second;
  std::string ascii;
  UErrorCode status = U_ZERO_ERROR;
  if (!checker) checker.reset(uspoof_open(&status));
  if (checker && U_SUCCESS(status)) {
    icu::UnicodeString in(c), skeleton;
    uspoof_getSkeletonUnicodeString(checker.get(), 0, in, skeleton, &status);
    std::string utf8;
    if (U_SUCCESS(status)) skeleton.toUTF8String(utf8);
    bool all_letters = !utf8.empty();
    for (char ch : utf8) all_letters = all_letters && is_ascii_letter(ch);
    if (all_letters) {
      for (char ch : utf8) ascii.push_back(ascii_lower(ch));
    }
  }
  if (cache.size() > 4096) cache.clear();
  return cache.emplace(c, std::move(ascii)).first->second;
}

bool is_word_char(UChar32 c) { return u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0; }

// Replaces homoglyphs inside words: a non-ASCII letter becomes its ASCII look-alike when the word
// also has ASCII letters, or when every non-ASCII letter of the word has a look-alike (a word
// spelled entirely in Cyrillic look-alikes). Words of a real non-Latin script stay untouched.
bool fold_homoglyphs(icu::UnicodeString& text) {
  icu::UnicodeString out;
  bool changed = false;
  int32_t i = 0;
  const int32_t n = text.length();
  while (i < n) {
    UChar32 c = text.char32At(i);
    if (!is_word_char(c)) {
      out.append(c);
      i += U16_LENGTH(c);
      continue;
    }
    int32_t end = i;
    bool has_ascii_letter = false, all_foldable = true, any_foldable = false;
    while (end < n) {
      UChar32 w = text.char32At(end);
      if (!is_word_char(w)) break;
      if (w < 0x80) {
        has_ascii_letter = has_ascii_letter || is_ascii_letter(static_cast<char>(w));
      } else if (u_isalpha(w)) {
        bool foldable = !ascii_lookalike(w).empty();
        any_foldable = any_foldable || foldable;
        all_foldable = all_foldable && foldable;
      }
      end += U16_LENGTH(w);
    }
    bool fold = any_foldable && (has_ascii_letter || all_foldable);
    for (int32_t j = i; j < end;) {
      UChar32 w = text.char32At(j);
      const std::string* look = (fold && w >= 0x80 && u_isalpha(w)) ? &ascii_lookalike(w) : nullptr;
      if (look && !look->empty()) {
        out.append(icu::UnicodeString::fromUTF8(*look));
        changed = true;
      } else {
        out.append(w);
      }
      j += U16_LENGTH(w);
    }
    i = end;
  }
  if (changed) text = std::move(out);
  return changed;
}

Normalized normalize_unicode(std::string_view utf8, const NormalizeOptions& options) {
  Normalized result;
  icu::UnicodeString src = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString visible;
  for (int32_t i = 0; i < src.length();) {
    UChar32 c = src.char32At(i);
    i += U16_LENGTH(c);
    if (c == '\n' || c == '\t' || c == '\r' || u_isUWhiteSpace(c)) {
      visible.append(static_cast<UChar32>(' '));
    } else if (u_charType(c) == U_CONTROL_CHAR) {
      visible.append(static_cast<UChar32>(' '));
      result.obfuscated = true;
    } else if (options.unicode && (u_charType(c) == U_FORMAT_CHAR ||
                                   u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))) {
      result.obfuscated = true;
    } else {
      visible.append(c);
    }
  }
  icu::UnicodeString folded = visible;
  folded.foldCase();
  if (options.unicode) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_SUCCESS(status)) {
      icu::UnicodeString normal = nfkc_cf->normalize(visible, status);
      if (U_SUCCESS(status)) {
        if (normal != folded) result.obfuscated = true;
        folded = std::move(normal);
      }
    }
  }
  if (options.homoglyphs && fold_homoglyphs(folded)) result.obfuscated = true;
  std::string converted;
  folded.toUTF8String(converted);
  result.text.reserve(converted.size());
  for (char c : converted) append_collapsing(result.text, c);
  trim_trailing_space(result.text);
  return result;
}

bool is_leet_char(char c) {
  return c == '0' || c == '1' || c == '3' || c == '4' || c == '5' || c == '7' || c == '8' ||
         c == '@' || c == '$';
}

char leet_letter(char c) {
  switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '8': return 'b';
    case '@': return 'a';
    case '$': return 's';
  }
  return c;
}

bool is_edge_punct(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '"' ||
         c == '\'' || c == '(' || c == ')';
}

// The core of a leet token (edge punctuation trimmed): letters and leet characters with at
// least one of each ("r3v34l"). Empty when `token` is not one.
std::string_view leet_core(std::string_view token) {
  std::size_t b = 0, e = token.size();
  while (b < e && is_edge_punct(token[b])) ++b;
  while (e > b && is_edge_punct(token[e - 1])) --e;
  bool letter = false, leet = false;
  for (std::size_t i = b; i < e; ++i) {
    char c = token[i];
    if (is_ascii_letter(c)) {
      letter = true;
    } else if (is_leet_char(c)) {
      leet = true;
    } else {
      return {};
    }
  }
  if (!letter || !leet) return {};
  return token.substr(b, e - b);
}

// "r3v34l" -> "reveal".
bool fold_leet_token(std::string& token) {
  std::string_view core = leet_core(token);
  if (core.empty()) return false;
  for (std::size_t i = core.data() - token.data(); i < core.data() - token.data() + core.size();
       ++i) {
    token[i] = leet_letter(token[i]);
  }
  return true;
}

// Single letters joined by one separator, 4 or more ("i-g-n-o-r-e", "i.g.n.o.r.e").
bool is_separated_letters(std::string_view token) {
  if (token.size() < 7 || token.size() % 2 == 0) return false;
  for (std::size_t i = 0; i < token.size(); ++i) {
    bool ok = (i % 2 == 0) ? is_ascii_letter(token[i])
                           : (token[i] == '-' || token[i] == '.' || token[i] == '_' ||
                              token[i] == '*');
    if (!ok) return false;
  }
  return true;
}

// "i-g-n-o-r-e" -> "ignore".
bool join_separated_letters(std::string& token) {
  if (!is_separated_letters(token)) return false;
  std::string joined;
  for (std::size_t i = 0; i < token.size(); i += 2) joined.push_back(token[i]);
  token = std::move(joined);
  return true;
}

// True when fold_leetspeak() would change `text`: a token it folds or joins, or a run of four or
// more one-letter tokens. Allocation-free, so that text without leetspeak costs one read.
bool has_leetspeak(std::string_view text) {
  // Only a token holding a leet character or a letter separator can be folded or joined.
  static constexpr std::array<bool, 256> kSpecial = [] {
    std::array<bool, 256> t{};
    for (char c : std::string_view("0134578@$-._*")) t[static_cast<unsigned char>(c)] = true;
    return t;
  }();
  std::size_t single_letters = 0;
  for (std::size_t i = 0;; ++i) {
    std::size_t begin = i;
    bool special = false;
    for (; i < text.size() && text[i] != ' '; ++i) {
      special |= kSpecial[static_cast<unsigned char>(text[i])];
    }
    std::string_view token = text.substr(begin, i - begin);
    if (special && (is_separated_letters(token) || !leet_core(token).empty())) return true;
    single_letters = token.size() == 1 && is_ascii_letter(token[0]) ? single_letters + 1 : 0;
    if (single_letters >= 4) return true;
    if (i >= text.size()) return false;
  }
}

// Lower case, whitespace runs folded to one space, no leading or trailing space.
void normalize_ascii(std::string_view ascii, std::string& out) {
  static constexpr std::array<char, 256> kFolded = [] {  // lower case; whitespace -> '\0'
    std::array<char, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = ascii_lower(static_cast<char>(c));
    t[' '] = t['\n'] = t['\t'] = t['\r'] = '\0';
    return t;
  }();
  out.resize(ascii.size());
  char* const first = out.data();
  char* w = first;
  bool space = false;  // a space is owed before the next character
  for (char c : ascii) {
    char f = kFolded[static_cast<unsigned char>(c)];
    if (f == '\0') {
      space = w != first;
      continue;
    }
    if (space) *w++ = ' ';
    space = false;
    *w++ = f;
  }
  out.resize(static_cast<std::size_t>(w - first));
}

}  // namespace

bool fold_leetspeak(std::string& text) {
  if (!has_leetspeak(text)) return false;
  std::vector<std::string> tokens;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t sp = text.find(' ', start);
    if (sp == std::string::npos) sp = text.size();
    tokens.emplace_back(text.substr(start, sp - start));
    start = sp + 1;
  }
  bool changed = false;
  for (auto& t : tokens) changed = (join_separated_letters(t) || fold_leet_token(t)) || changed;
  // "i g n o r e": a run of four or more one-letter tokens becomes one word.
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < tokens.size();) {
    std::size_t j = i;
    while (j < tokens.size() && tokens[j].size() == 1 && is_ascii_letter(tokens[j][0])) ++j;
    if (j - i >= 4) {
      if (!out.empty()) out.push_back(' ');
      for (std::size_t k = i; k < j; ++k) out += tokens[k];
      changed = true;
      i = j;
      continue;
    }
    if (!out.empty()) out.push_back(' ');
    out += tokens[i];
    ++i;
  }
  if (changed) text = std::move(out);
  return changed;
}

Normalized normalize(std::string_view utf8, const NormalizeOptions& options) {
  Normalized result;
  if (is_plain_ascii(utf8)) {
    normalize_ascii(utf8, result.text);
  } else {
    result = normalize_unicode(utf8, options);
  }
  if (options.leetspeak && fold_leetspeak(result.text)) result.obfuscated = true;
  return result;
}

}  // namespace kt::scan
