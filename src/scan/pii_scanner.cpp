#include "scan/pii_scanner.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "scan/validators.h"

namespace kt::scan {
namespace {

// One Hyperscan pattern per rule; a rule names its entity and how a candidate is confirmed.
enum Rule : unsigned {
  kEmail,
  kPhoneIntl,
  kPhoneNational,
  kPhonePlain,    // bare digits: phone context words required
  kCardPlain,
  kCardGrouped,
  kSsnSeparated,
  kSsnPlain,      // bare 9 digits: SSN context words required
  kIpv4,
  kIpv6,
  kIbanCompact,
  kIbanSpaced,
  kAwsKeyId,
  kAwsSecret,     // keyword-anchored: the entity is the trailing 40 characters
  kOpenAiKey,
  kGithubToken,
  kSlackToken,
  kStripeKey,
  kGoogleKey,
  kJwt,
  kPemBegin,      // the block runs to its END line
  kCvv,           // keyword-anchored: the entity is the trailing digits
  kNpi,
  kHealthId,      // MRN or HEALTH_PLAN_ID, by context
  kRuleCount,
};
constexpr unsigned kCustomBase = 1000;

struct RuleSpec {
  Rule rule;
  PiiEntity entity;
  const char* regex;
  bool caseless;
};

// No rule pattern holds an anchor or a word boundary: whether a match is one depends only on its
// own bytes, so a rescan of any stretch of text that holds it finds it with the same start.
const std::vector<RuleSpec>& rule_specs() {
  static const std::vector<RuleSpec> specs = {
      {kEmail, PiiEntity::email,
       R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)"
       R"((?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24})",
       false},
      // Digit groups with separators, then an optional extension ("x123", "ext. 123").
      {kPhoneIntl, PiiEntity::phone,
       R"(\+\d{1,3}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]?\d{1,6}){1,6}(?: ?(?:x|ext\.?) ?\d{1,6})?)",
       false},
      {kPhoneNational, PiiEntity::phone,
       R"((?:\(\d{1,5}\) ?|\d{1,5}[ .\-])(?:\d{1,8}[ .\-]){0,5}\d{2,8}(?: ?(?:x|ext\.?) ?\d{1,6})?)",
       false},
      {kPhonePlain, PiiEntity::phone, R"(\d{7,12})", false},
      {kCardPlain, PiiEntity::credit_card, R"(\d{12,19})", false},
      {kCardGrouped, PiiEntity::credit_card, R"(\d{4}[ \-]\d{4,6}[ \-]\d{4,5}(?:[ \-]\d{1,4}){0,2})",
       false},
      {kSsnSeparated, PiiEntity::us_ssn, R"(\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4})", false},
      {kSsnPlain, PiiEntity::us_ssn, R"(\d{9})", false},
      {kIpv4, PiiEntity::ip_address, R"(\d{1,3}(?:\.\d{1,3}){3})", false},
      {kIpv6, PiiEntity::ip_address,
       R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3})", false},
      {kIbanCompact, PiiEntity::iban, R"([A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30})", false},
      {kIbanSpaced, PiiEntity::iban, R"([A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)",
       false},
      {kAwsKeyId, PiiEntity::secret, R"((?:AKIA|ASIA)[0-9A-Z]{16})", false},
      {kAwsSecret, PiiEntity::secret,
       R"((?:aws|secret)[a-z0-9_ .\-]{0,30}(?:key|secret)["']?\s{0,3}[:=]\s{0,3}["']?[A-Za-z0-9/+]{40})",
       true},
      {kOpenAiKey, PiiEntity::secret, R"(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,})", false},
      {kGithubToken, PiiEntity::secret,
       R"((?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})", false},
      {kSlackToken, PiiEntity::secret, R"(xox[abpr]-[A-Za-z0-9\-]{10,})", false},
      {kStripeKey, PiiEntity::secret, R"((?:sk|rk)_live_[A-Za-z0-9]{16,})", false},
      {kGoogleKey, PiiEntity::secret, R"(AIza[0-9A-Za-z_\-]{35})", false},
      {kJwt, PiiEntity::secret,
       R"(eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,})", false},
      {kPemBegin, PiiEntity::secret, R"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----)", false},
      {kCvv, PiiEntity::cvv,
       R"((?:cvv2?|cvc2?|cvn|csc|cid|security code|card verification (?:code|value|number)))"
       R"((?: (?:is|code|number|no\.?))?[ :#=\-]{0,3}\d{3,4})",
       true},
      {kNpi, PiiEntity::npi, R"(\d{10})", false},
      {kHealthId, PiiEntity::mrn, R"([A-Za-z]{0,4}\d{6,14})", false},
  };
  return specs;
}

constexpr std::array<std::string_view, 12> kEntityNames = {
    "SECRET", "CREDIT_CARD", "IBAN", "US_SSN", "NPI", "EMAIL", "IP_ADDRESS", "MRN",
    "HEALTH_PLAN_ID", "CVV", "PHONE", "CUSTOM",
};

// Context words (lower case), looked for in the kContextWindow bytes before a candidate.
constexpr std::size_t kContextWindow = 48;
constexpr std::string_view kPhoneWords[] = {"phone", "tel", "mobile", "cell", "fax", "call",
                                            "contact", "desk", "office", "whatsapp", "sms",
                                            "dial", "landline", "hotline", "reach me"};
// Words that say a digit group is something else (unless a phone word is near too).
constexpr std::string_view kNotPhoneWords[] = {"license", "licence", "zip", "postal", "postcode",
                                               "passport", "account", "acct", "order", "invoice",
                                               "tracking", "serial", "isbn", "ssn",
                                               "social security"};
constexpr std::string_view kSsnWords[] = {"ssn", "social security", "social sec", "ss#",
                                          "ss #", "soc sec", "taxpayer"};
constexpr std::string_view kNpiWords[] = {"npi", "national provider", "provider id",
                                          "provider number"};
constexpr std::string_view kMrnWords[] = {"mrn", "medical record", "patient id", "patient no",
                                          "patient number", "chart number", "chart no"};
constexpr std::string_view kPlanWords[] = {"member id", "member no", "member number",
                                           "health plan", "plan id", "subscriber", "insurance id",
                                           "policy number", "policy no", "medicare", "medicaid",
                                           "beneficiary", "group number"};
constexpr std::size_t kCvvCardDistance = 128;
constexpr std::size_t kPemMaxBody = 65536;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_token_char(char c) { return is_alnum(c) || c == '_' || c == '-'; }

// Byte at i, or '\0' outside the text (the text's edges count as boundaries).
char at(std::string_view t, std::size_t i) { return i < t.size() ? t[i] : '\0'; }
char before(std::string_view t, std::size_t b) { return b > 0 ? t[b - 1] : '\0'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// True when `word` (lower case) is at text[p], ignoring ASCII case.
bool word_at(std::string_view text, std::size_t p, std::string_view word) {
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower(text[p + i]) != word[i]) return false;
  }
  return true;
}

// Distance from `begin` back to the nearest context word that starts a word ("tel" in "hotel"
// does not count; the window's first byte counts as a word start) and ends within the
// kContextWindow bytes before `begin`; npos when there is none. Walks back from `begin`, so the
// first word found is the nearest.
template <std::size_t N>
std::size_t context_distance(std::string_view text, std::size_t begin,
                             const std::string_view (&words)[N]) {
  std::uint32_t first_letters = 0;  // every context word starts with a lower-case letter
  for (std::string_view w : words) first_letters |= 1u << (w[0] - 'a');
  std::size_t from = begin > kContextWindow ? begin - kContextWindow : 0;
  for (std::size_t p = begin; p-- > from;) {
    char c = lower(text[p]);
    if (c < 'a' || c > 'z' || (first_letters >> (c - 'a') & 1u) == 0) continue;
    if (p > from && is_alpha(text[p - 1])) continue;
    for (std::string_view w : words) {
      if (w.size() <= begin - p && word_at(text, p, w)) return begin - p;
    }
  }
  return std::string_view::npos;
}

template <std::size_t N>
bool has_context(std::string_view text, std::size_t begin, const std::string_view (&words)[N]) {
  return context_distance(text, begin, words) != std::string_view::npos;
}

// A digit run bounded by non-alphanumerics, where a neighbouring '.', '-' or '/' joined to more
// digits would make it part of a longer number (decimals, dates, ranges).
bool number_bounded(std::string_view t, std::size_t b, std::size_t e) {
  char p = before(t, b), n = at(t, e);
  if (is_alnum(p) || is_alnum(n) || p == '+' || p == '@' || p == '_' || n == '@' || n == '_') {
    return false;
  }
  if ((p == '.' || p == '-' || p == '/' || p == ',') && is_digit(before(t, b - 1))) return false;
  if ((n == '.' || n == '-' || n == '/' || n == ',' || n == ':') && is_digit(at(t, e + 1))) {
    return false;
  }
  return true;
}

bool phone_valid(std::string_view t, std::size_t b, std::size_t e, Rule rule) {
  if (!number_bounded(t, b, e)) return false;
  std::string_view s = t.substr(b, e - b);
  // Where an extension ("x", "ext") begins; a plain loop, find_first_of calls memchr per byte.
  std::size_t ext = 0;
  while (ext < s.size() && s[ext] != 'x' && s[ext] != 'e') ++ext;
  std::string_view core = s.substr(0, ext);
  while (!core.empty() && core.back() == ' ') core.remove_suffix(1);
  std::size_t digits = 0, groups = 0, dots = 0, other_seps = 0;
  bool in_group = false, short_dot_group = false;
  std::size_t group_len = 0;
  for (std::size_t i = 0; i <= core.size(); ++i) {
    char c = i < core.size() ? core[i] : ' ';
    if (is_digit(c)) {
      ++digits;
      ++group_len;
      in_group = true;
      continue;
    }
    if (in_group) {
      ++groups;
      if (group_len < 2) short_dot_group = true;
    }
    in_group = false;
    group_len = 0;
    if (c == '.') {
      ++dots;
    } else if (c == ' ' || c == '-') {
      if (i < core.size()) ++other_seps;
    }
  }
  if (digits < 7 || digits > 15) return false;
  if (rule == kPhonePlain) return has_context(t, b, kPhoneWords);
  if (dots > 0) {
    // Dotted numbers are phones only with uniform dots and groups of 2+ digits; four short
    // groups is an IPv4 shape.
    if (other_seps > 0 || short_dot_group) return false;
    if (groups == 4 && rule == kPhoneNational && digits <= 12) return false;
  }
  if (rule == kPhoneNational) {
    // A date, or a date followed by a time ("2021-03-04 11:30").
    std::size_t third = 0;
    for (int seps = 0; third < core.size(); ++third) {
      if (!is_digit(core[third]) && ++seps == 3) break;
    }
    if (looks_like_date(core.substr(0, third))) return false;
    // Context words are looked up last: they cost more than the shape checks above.
    // Two bare digit groups are as often a street number pair or a postal code as a phone.
    bool weak = groups == 2 && core.front() != '(' && digits < 10;
    if (weak || has_context(t, b, kNotPhoneWords)) return has_context(t, b, kPhoneWords);
  }
  return true;
}

bool card_valid(std::string_view t, std::size_t b, std::size_t e, Rule rule) {
  if (!number_bounded(t, b, e)) return false;
  std::string_view s = t.substr(b, e - b);
  if (rule == kCardGrouped) {
    std::size_t sep = s.find_first_of(" -");
    if (s.find_first_of(s[sep] == ' ' ? "-" : " ") != std::string_view::npos) return false;
  }
  return credit_card_valid(s);
}

bool token_bounded(std::string_view t, std::size_t b, std::size_t e) {
  return !is_token_char(before(t, b)) && !is_token_char(at(t, e));
}

// ---- Leftmost starts found by walking back from a match end ----
// Each function below takes the end `e` of a match Hyperscan reported for its rule (so a match
// does end there) and returns the leftmost start of the matches ending at `e`, exactly as
// HS_FLAG_SOM_LEFTMOST would, from the rule's shape alone.

constexpr std::size_t kNone = std::string_view::npos;

bool is_digit_sep(char c) { return c == ' ' || c == '.' || c == '-'; }

// Length of the run of digits that ends at `e`.
std::size_t digits_before(std::string_view t, std::size_t e) {
  std::size_t b = e;
  while (b > 0 && is_digit(t[b - 1])) --b;
  return e - b;
}

// kEmail: local-part '@' domain, and neither part holds an '@'. The match's '@' is the last one
// before `e`; the leftmost start is where the run of local-part characters before it begins.
std::size_t email_start(std::string_view t, std::size_t e) {
  std::size_t b = t.rfind('@', e - 1);
  while (b > 0 && (is_alnum(t[b - 1]) || t[b - 1] == '.' || t[b - 1] == '_' || t[b - 1] == '%' ||
                   t[b - 1] == '+' || t[b - 1] == '-')) {
    --b;
  }
  return b;
}

// kIpv4: \d{1,3}(?:\.\d{1,3}){3}. The last three groups are whole digit runs between dots; the
// first is at most three digits of the run before the first dot.
std::size_t ipv4_start(std::string_view t, std::size_t e) {
  std::size_t p = e;
  for (int group = 0; group < 3; ++group) p -= digits_before(t, p) + 1;
  return p - std::min<std::size_t>(digits_before(t, p), 3);
}

// kCardGrouped: \d{4}[ \-]\d{4,6}[ \-]\d{4,5}(?:[ \-]\d{1,4}){0,2}. Every group but the first is
// a whole digit run between separators; the leftmost start uses as many groups as fit.
std::size_t card_grouped_start(std::string_view t, std::size_t e) {
  std::array<std::size_t, 5> run_end{}, run_len{};  // digit runs back from `e`
  std::size_t runs = 0;
  for (std::size_t p = e; runs < 5;) {
    run_end[runs] = p;
    run_len[runs] = digits_before(t, p);
    p -= run_len[runs++];
    if (p < 2 || (t[p - 1] != ' ' && t[p - 1] != '-') || !is_digit(t[p - 2])) break;
    --p;
  }
  for (std::size_t k = runs; k >= 3; --k) {  // k groups: run k-1 is the first group
    auto len_in = [&](std::size_t run, std::size_t lo, std::size_t hi) {
      return run_len[run] >= lo && run_len[run] <= hi;
    };
    bool fits = run_len[k - 1] >= 4 && len_in(k - 2, 4, 6) && len_in(k - 3, 4, 5);
    for (std::size_t tail = 0; tail + 3 < k; ++tail) fits = fits && len_in(tail, 1, 4);
    if (fits) return run_end[k - 1] - 4;
  }
  return e;  // unreachable for a reported match
}

// The groups of kPhoneNational without the extension, ending at `e`:
// (?:\(\d{1,5}\) ?|\d{1,5}[ .\-])(?:\d{1,8}[ .\-]){0,5}\d{2,8}. Walking back over whole-run
// middle groups, each step further left; the deepest place a head group fits is the leftmost.
std::size_t national_groups_start(std::string_view t, std::size_t e) {
  std::size_t last = digits_before(t, e);
  if (last < 2 || last > 8) return kNone;
  std::size_t q = e - last, best = kNone;
  for (int middle = 0; q >= 2; ++middle) {
    char c = t[q - 1];
    std::size_t run = digits_before(t, q - 1);
    if (is_digit_sep(c) && run >= 1) best = q - 1 - std::min<std::size_t>(run, 5);
    // "(123)" or "(123) " as the head group.
    std::size_t close = c == ')' ? q - 1 : (c == ' ' && t[q - 2] == ')') ? q - 2 : kNone;
    if (close != kNone) {
      std::size_t in = digits_before(t, close);
      if (in >= 1 && in <= 5 && close > in && t[close - in - 1] == '(') best = close - in - 1;
    }
    if (middle == 5 || !is_digit_sep(c) || run < 1 || run > 8) break;
    q -= 1 + run;
  }
  return best;
}

// kPhoneNational: the groups, then optionally ` ?(?:x|ext\.?) ?\d{1,6}`. The extension's
// digits are the whole run before `e`; the separators and the keyword are fixed by the bytes.
std::size_t national_start(std::string_view t, std::size_t e) {
  std::size_t best = national_groups_start(t, e);
  std::size_t digits = digits_before(t, e);
  if (digits < 1 || digits > 6) return best;
  std::size_t p = e - digits;
  if (p > 0 && t[p - 1] == ' ') --p;
  if (p >= 1 && t[p - 1] == 'x') {
    p -= 1;
  } else if (p >= 3 && t.substr(p - 3, 3) == "ext") {
    p -= 3;
  } else if (p >= 4 && t.substr(p - 4, 4) == "ext.") {
    p -= 4;
  } else {
    return best;
  }
  if (p > 0 && t[p - 1] == ' ') --p;
  return std::min(best, national_groups_start(t, p));
}

// The rules whose starts walk_back_start() finds: the ones that match most often in text.
bool walks_back(Rule rule) {
  switch (rule) {
    case kEmail: case kPhoneIntl: case kPhoneNational: case kPhonePlain: case kCardPlain:
    case kCardGrouped: case kSsnSeparated: case kSsnPlain: case kIpv4: case kNpi: return true;
    default: return false;
  }
}

// The leftmost start of a match of `rule` (walks_back) ending at `e`.
std::size_t walk_back_start(Rule rule, std::string_view t, std::size_t e) {
  switch (rule) {
    case kEmail: return email_start(t, e);
    case kPhoneIntl: return t.rfind('+', e - 1);  // the pattern's only '+' is its first byte
    case kPhoneNational: return national_start(t, e);
    case kPhonePlain: return e - std::min<std::size_t>(digits_before(t, e), 12);
    case kCardPlain: return e - std::min<std::size_t>(digits_before(t, e), 19);
    case kCardGrouped: return card_grouped_start(t, e);
    case kSsnSeparated: return e - 11;
    case kSsnPlain: return e - 9;
    case kIpv4: return ipv4_start(t, e);
    case kNpi: return e - 10;
    default: return e;
  }
}

bool email_valid(std::string_view t, std::size_t b, std::size_t e) {
  char n = at(t, e);
  if (is_alnum(n) || n == '-' || n == '_' || n == '@') return false;
  std::string_view s = t.substr(b, e - b);
  std::size_t atpos = s.find('@');
  std::string_view local = s.substr(0, atpos);
  if (local.front() == '.' || local.back() == '.') return false;
  return local.find("..") == std::string_view::npos;
}

bool ipv6_candidate_valid(std::string_view t, std::size_t b, std::size_t e) {
  char p = before(t, b), n = at(t, e);
  if (is_alnum(p) || p == ':' || p == '.' || is_alnum(n)) return false;
  if (n == ':' && is_hex(at(t, e + 1))) return false;
  if (n == '.' && is_digit(at(t, e + 1))) return false;
  std::string_view s = t.substr(b, e - b);
  if (std::count(s.begin(), s.end(), ':') < 2) return false;
  if (std::none_of(s.begin(), s.end(), is_digit)) return false;
  return ipv6_valid(s);
}

// The PEM block that starts with the BEGIN line at [b, e): up to the end of its END line.
std::size_t pem_end(std::string_view t, std::size_t e) {
  std::size_t end_line = t.find("-----END ", e);
  if (end_line == std::string_view::npos || end_line - e > kPemMaxBody) return 0;
  std::size_t tail = t.find("PRIVATE KEY-----", end_line);
  if (tail == std::string_view::npos || tail - end_line > 48) return 0;
  return tail + 16;
}

struct Confirmer {
  std::string_view text;
  const std::vector<PiiSpan>& found;  // cards confirmed so far (for CVV proximity)
  bool mrn_on, plan_on;
  const std::vector<RuleSpec>& specs = rule_specs();

  bool confirm(Rule rule, std::size_t b, std::size_t e, PiiSpan& span) const {
    std::string_view t = text;
    span = PiiSpan{b, e, specs[rule].entity};
    switch (rule) {
      case kEmail: return email_valid(t, b, e);
      case kPhoneIntl:
      case kPhoneNational:
      case kPhonePlain: return phone_valid(t, b, e, rule);
      case kCardPlain:
      case kCardGrouped: return card_valid(t, b, e, rule);
      case kSsnSeparated:
        return number_bounded(t, b, e) && us_ssn_valid(t.substr(b, e - b));
      case kSsnPlain:
        return number_bounded(t, b, e) && us_ssn_valid(t.substr(b, e - b)) &&
               has_context(t, b, kSsnWords);
      case kIpv4:
        return !is_alnum(before(t, b)) && before(t, b) != '.' && number_bounded(t, b, e) &&
               ipv4_valid(t.substr(b, e - b));
      case kIpv6: return ipv6_candidate_valid(t, b, e);
      case kIbanCompact:
      case kIbanSpaced:
        return !is_alnum(before(t, b)) && !is_alnum(at(t, e)) && iban_valid(t.substr(b, e - b));
      case kAwsSecret: {
        char n = at(t, e);
        if (is_alnum(n) || n == '/' || n == '+' || n == '=') return false;
        span.begin = e - 40;
        return !is_token_char(before(t, b));
      }
      case kAwsKeyId:
      case kOpenAiKey:
      case kGithubToken:
      case kSlackToken:
      case kStripeKey:
      case kGoogleKey:
      case kJwt: return token_bounded(t, b, e);
      case kPemBegin: {
        std::size_t end = pem_end(t, e);
        span.end = end;
        return end != 0;
      }
      case kCvv: {
        if (is_alnum(before(t, b)) || is_alnum(at(t, e)) || is_digit(at(t, e))) return false;
        std::size_t d = e;
        while (d > b && is_digit(t[d - 1])) --d;
        span.begin = d;
        return std::any_of(found.begin(), found.end(), [&](const PiiSpan& c) {
          return c.entity == PiiEntity::credit_card && c.end <= b && b - c.end <= kCvvCardDistance;
        });
      }
      case kNpi:
        return number_bounded(t, b, e) && npi_valid(t.substr(b, e - b)) &&
               has_context(t, b, kNpiWords);
      case kHealthId:
        if (is_alnum(before(t, b)) || is_alnum(at(t, e))) return false;
      {
        // The nearer context word decides between a record number and a plan ID.
        std::size_t mrn = mrn_on ? context_distance(t, b, kMrnWords) : std::string_view::npos;
        std::size_t plan = plan_on ? context_distance(t, b, kPlanWords) : std::string_view::npos;
        if (plan < mrn) span.entity = PiiEntity::health_plan_id;
        return std::min(mrn, plan) != std::string_view::npos;
      }
      case kRuleCount: break;
    }
    return false;
  }
};

// A token the tail walk may cross a single space into: a digit group, a short upper-case group
// (IBAN), or a phone extension word.
bool soft_token(std::string_view tok) {
  if (std::any_of(tok.begin(), tok.end(), is_digit)) return true;
  if (tok.size() <= 4 && std::all_of(tok.begin(), tok.end(), [](char c) {
        return c >= 'A' && c <= 'Z';
      })) {
    return true;
  }
  return tok == "x" || tok == "ext" || tok == "ext.";
}

}  // namespace

std::string_view pii_entity_name(PiiEntity e) { return kEntityNames[static_cast<std::size_t>(e)]; }

PiiEntity pii_entity_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kEntityNames.size(); ++i) {
    if (kEntityNames[i] == name) return static_cast<PiiEntity>(i);
  }
  throw std::invalid_argument("unknown PII entity '" + std::string(name) + "'");
}

PiiScanner::PiiScanner(const PiiScanOptions& options) {
  std::array<bool, kPiiEntityCount> on{};
  if (options.entities.empty()) {
    for (PiiEntity e : {PiiEntity::email, PiiEntity::phone, PiiEntity::credit_card,
                        PiiEntity::us_ssn, PiiEntity::ip_address, PiiEntity::iban,
                        PiiEntity::secret}) {
      on[static_cast<std::size_t>(e)] = true;
    }
    if (options.healthcare_mode) {
      for (PiiEntity e : {PiiEntity::mrn, PiiEntity::npi, PiiEntity::health_plan_id}) {
        on[static_cast<std::size_t>(e)] = true;
      }
    }
  } else {
    for (const std::string& name : options.entities) {
      on[static_cast<std::size_t>(pii_entity_from_name(name))] = true;
    }
  }
  if (options.pci_mode && on[static_cast<std::size_t>(PiiEntity::credit_card)]) {
    on[static_cast<std::size_t>(PiiEntity::cvv)] = true;
  }
  mrn_on_ = on[static_cast<std::size_t>(PiiEntity::mrn)];
  plan_on_ = on[static_cast<std::size_t>(PiiEntity::health_plan_id)];

  std::vector<Pattern> patterns, windowed;
  width_.assign(kRuleCount, 0);
  for (const RuleSpec& spec : rule_specs()) {
    bool active = spec.rule == kHealthId ? (mrn_on_ || plan_on_)
                                         : on[static_cast<std::size_t>(spec.entity)];
    if (!active) continue;
    Pattern p{spec.regex, spec.rule, spec.caseless, false};
    std::size_t width = walks_back(spec.rule) ? 0 : max_match_width(p);
    if (width != SIZE_MAX) {
      if (width != 0) {
        width_[spec.rule] = width;
        windowed.push_back(p);  // with start tracking
      }
      p.leftmost_start = false;
    }
    patterns.push_back(std::move(p));
  }
  custom_count_ = options.custom_patterns.size();
  for (std::size_t i = 0; i < options.custom_patterns.size(); ++i) {
    // Compiled alone first so that an error names the user's pattern, not the set.
    try {
      Matcher single({Pattern{options.custom_patterns[i], 0, false, false}});
    } catch (const std::invalid_argument& e) {
      std::string why = e.what();
      std::size_t colon = why.find("\": ");
      throw std::invalid_argument("detect_patterns[" + std::to_string(i) + "] \"" +
                                  options.custom_patterns[i] + "\" is not a valid pattern: " +
                                  (colon == std::string::npos ? why : why.substr(colon + 3)));
    }
    patterns.push_back(Pattern{options.custom_patterns[i], kCustomBase + static_cast<unsigned>(i),
                               false, false});
    const std::size_t width = max_match_width(patterns.back());
    custom_tail_ = std::max(custom_tail_, std::min(width - 1, kMaxCustomTail));
  }
  matcher_ = std::make_unique<Matcher>(patterns);
  window_matcher_ = std::make_unique<Matcher>(windowed);
}

// Replaces the windowed rules' matches (ends only) by a rescan, with starts, of the merged
// windows [end - width, end]. Exact: the leftmost match that ends at `end` lies in its window,
// every window lies in one merged stretch, and any match found in a stretch is a match of the
// text (rule_specs() has no anchors), so each (rule, end) is reported once with its true start.
void PiiScanner::rescan_windows(std::string_view text, std::vector<Match>& matches) const {
  thread_local std::vector<std::pair<std::size_t, std::size_t>> windows;
  windows.clear();
  std::size_t kept = 0;
  for (const Match& m : matches) {
    std::size_t width = m.id < width_.size() ? width_[m.id] : 0;
    if (width == 0) {
      matches[kept++] = m;
    } else {
      windows.emplace_back(m.end > width ? m.end - width : 0, m.end);
    }
  }
  matches.resize(kept);
  if (windows.empty()) return;
  std::sort(windows.begin(), windows.end());
  thread_local std::vector<Match> found;
  for (std::size_t i = 0; i < windows.size();) {
    std::size_t begin = windows[i].first, end = windows[i].second;
    for (++i; i < windows.size() && windows[i].first <= end; ++i) {
      end = std::max(end, windows[i].second);
    }
    found.clear();
    window_matcher_->scan(text.substr(begin, end - begin), found);
    for (Match m : found) {
      m.start += begin;
      m.end += begin;
      matches.push_back(m);
    }
  }
}

void PiiScanner::candidates(std::string_view text, std::vector<PiiSpan>& out) const {
  out.clear();
  thread_local std::vector<Match> matches;
  matches.clear();
  matcher_->scan(text, matches);
  if (matches.empty()) return;
  rescan_windows(text, matches);
  for (Match& m : matches) {
    if (m.id < kRuleCount && walks_back(static_cast<Rule>(m.id))) {
      m.start = walk_back_start(static_cast<Rule>(m.id), text, m.end);
    }
  }
  order_matches(matches);
  // Per (rule, start) the longest confirmed end wins; CVV runs last (it needs the cards).
  Confirmer confirmer{text, out, mrn_on_, plan_on_};
  for (std::size_t i = 0; i < matches.size();) {
    std::size_t j = i + 1;
    while (j < matches.size() && matches[j].id == matches[i].id &&
           matches[j].start == matches[i].start) {
      ++j;
    }
    for (std::size_t k = j; k-- > i;) {  // ends ascend within the group: longest first
      const Match& m = matches[k];
      PiiSpan span;
      if (m.id >= kCustomBase) {
        out.push_back(PiiSpan{m.start, m.end, PiiEntity::custom});
        break;
      }
      if (confirmer.confirm(static_cast<Rule>(m.id), m.start, m.end, span)) {
        out.push_back(span);
        break;
      }
    }
    i = j;
  }
}

// Orders by rule (custom patterns after the rules, CVV last), then start, then end. A counting
// sort by rule keeps Hyperscan's order within a rule, which is almost always already by start
// and end, so the comparison sort only runs for a rule whose matches are not.
void PiiScanner::order_matches(std::vector<Match>& matches) const {
  std::size_t ranks = kRuleCount + custom_count_ + 1;
  auto rank = [&](unsigned id) -> std::size_t {
    if (id == kCvv) return ranks - 1;
    return id >= kCustomBase ? kRuleCount + (id - kCustomBase) : id;
  };
  thread_local std::vector<std::size_t> first;
  thread_local std::vector<Match> ordered;
  first.assign(ranks + 1, 0);
  for (const Match& m : matches) ++first[rank(m.id) + 1];
  for (std::size_t r = 1; r <= ranks; ++r) first[r] += first[r - 1];
  ordered.resize(matches.size());
  std::vector<std::size_t>& next = first;  // advances to each rank's end while filling
  for (const Match& m : matches) ordered[next[rank(m.id)]++] = m;
  matches.swap(ordered);
  auto by_start_end = [](const Match& a, const Match& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  };
  std::size_t begin = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    auto from = matches.begin() + static_cast<std::ptrdiff_t>(begin);
    auto to = matches.begin() + static_cast<std::ptrdiff_t>(next[r]);
    if (!std::is_sorted(from, to, by_start_end)) std::sort(from, to, by_start_end);
    begin = next[r];
  }
}

void PiiScanner::resolve(std::vector<PiiSpan>& spans) {
  std::sort(spans.begin(), spans.end(), [](const PiiSpan& a, const PiiSpan& b) {
    std::size_t la = a.end - a.begin, lb = b.end - b.begin;
    if (la != lb) return la > lb;
    if (a.entity != b.entity) return a.entity < b.entity;
    return a.begin < b.begin;
  });
  // Bytes of accepted spans are marked: a span is accepted when none of its bytes is.
  std::size_t lo = SIZE_MAX, hi = 0;
  for (const PiiSpan& s : spans) {
    if (s.end <= s.begin) continue;
    lo = std::min(lo, s.begin);
    hi = std::max(hi, s.end);
  }
  // Reused per thread up to 1 MiB of text; a larger text gets its own map, so that one big
  // request does not leave a big buffer on every thread that ever saw one.
  thread_local std::vector<char> reused;
  std::vector<char> own;
  std::vector<char>& taken = hi <= (std::size_t{1} << 20) ? reused : own;
  if (taken.size() < hi) taken.resize(hi);
  if (lo < hi) std::fill(taken.begin() + lo, taken.begin() + hi, 0);
  std::size_t kept = 0;
  for (const PiiSpan& s : spans) {
    if (s.end <= s.begin) continue;
    if (std::memchr(taken.data() + s.begin, 1, s.end - s.begin) != nullptr) continue;
    std::fill(taken.begin() + s.begin, taken.begin() + s.end, 1);
    spans[kept++] = s;  // kept <= this span's index: nothing unread is overwritten
  }
  spans.resize(kept);
  std::sort(spans.begin(), spans.end(),
            [](const PiiSpan& a, const PiiSpan& b) { return a.begin < b.begin; });
}

void PiiScanner::find(std::string_view text, std::vector<PiiSpan>& out) const {
  candidates(text, out);
  resolve(out);
}

std::size_t PiiScanner::settled_prefix(std::string_view text) const {
  std::size_t n = text.size();
  std::size_t i = n;
  while (i > 0 && !is_space(text[i - 1])) --i;
  while (i >= 2 && text[i - 1] == ' ' && !is_space(text[i - 2])) {
    std::size_t j = i - 1;
    while (j > 0 && !is_space(text[j - 1])) --j;
    if (!soft_token(text.substr(j, i - 1 - j))) break;
    i = j;
  }
  std::size_t cut = n - i > kMaxTail ? n - kMaxTail : i;
  // A byte that no built-in entity can contain ('!', '?', ';', ',') ends every entity before it:
  // nothing that arrives later can extend into the text up to it, so the tail starts after the
  // last such byte ("Hello!" is released at once instead of with the next token). Custom
  // patterns may contain any byte, so with them only whitespace settles text.
  if (custom_count_ == 0) {
    for (std::size_t k = n; k > cut; --k) {
      const char c = text[k - 1];
      // ',' + digit continues a number (the boundary rule above rejects a match followed by
      // ",5"), so a comma settles only once the byte after it is here and is not a digit
      // (found by fuzzing: "0130 01," released a card that "01,32" disproves).
      const bool comma_settles = c == ',' && k < n && !is_digit(text[k]);
      if (c == '!' || c == '?' || c == ';' || comma_settles) {
        cut = k;
        break;
      }
    }
  }
  // A custom match still forming may reach back over whitespace (found by fuzzing: "project "
  // was released before the "r" that completed "(?i)project\s+[a-z]+" arrived).
  if (custom_tail_ > 0) cut = std::min(cut, n > custom_tail_ ? n - custom_tail_ : 0);
  // An open PEM block (BEGIN without END yet) is held whole, up to its own bound.
  // Its END line is looked for after the BEGIN line, as confirm() does: a "-----END " that
  // overlaps the BEGIN line's dashes does not close it (found by fuzzing).
  // The earliest open one counts: a later "-----BEGIN " inside an open block does not close it.
  const std::size_t from = n > kMaxPemTail ? n - kMaxPemTail : 0;
  for (std::size_t begin = text.find("-----BEGIN ", from); begin != std::string_view::npos;
       begin = text.find("-----BEGIN ", begin + 1)) {
    const std::size_t line = text.find("PRIVATE KEY-----", begin);
    if (line == std::string_view::npos || pem_end(text, line + 16) == 0) {
      cut = std::min(cut, begin);
      break;
    }
  }
  return cut;
}

}  // namespace kt::scan
