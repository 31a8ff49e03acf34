#include "scan/validators.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace kt::scan {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_same(std::string_view d) {
  return d.find_first_not_of(d.front()) == std::string_view::npos;
}

struct IbanLength {
  char cc[3];
  int length;
};

// ISO 13616 registry lengths (SWIFT IBAN registry, 2024) plus widely used partner countries.
constexpr IbanLength kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
    {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
    {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
    {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
    {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
    {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
    {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
    {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
    {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool parse_2(std::string_view s, int& v) {
  if (s.size() < 1 || s.size() > 2) return false;
  v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string digits_of(std::string_view s) {
  std::string d;
  d.reserve(s.size());
  for (char c : s) {
    if (is_digit(c)) d.push_back(c);
  }
  return d;
}

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) return false;
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool credit_card_valid(std::string_view number) {
  for (char c : number) {
    if (!is_digit(c) && c != ' ' && c != '-') return false;
  }
  std::string d = digits_of(number);
  if (d.size() < 12 || d.size() > 19) return false;
  if (d[0] < '1' || d[0] > '6') return false;
  if (all_same(d)) return false;
  return luhn_valid(d);
}

bool iban_valid(std::string_view iban) {
  std::string s;
  for (char c : iban) {
    if (c == ' ') continue;
    s.push_back(upper(c));
  }
  if (s.size() < 15 || s.size() > 34) return false;
  int expected = 0;
  for (const IbanLength& l : kIbanLengths) {
    if (s[0] == l.cc[0] && s[1] == l.cc[1]) expected = l.length;
  }
  if (expected == 0 || static_cast<int>(s.size()) != expected) return false;
  if (!is_digit(s[2]) || !is_digit(s[3])) return false;
  // mod-97 over BBAN + country + check digits, letters as 10..35, computed incrementally.
  int rem = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[(i + 4) % s.size()];
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool us_ssn_valid(std::string_view ssn) {
  for (char c : ssn) {
    if (!is_digit(c) && c != ' ' && c != '-') return false;
  }
  std::string d = digits_of(ssn);
  if (d.size() != 9 || all_same(d)) return false;
  std::string_view v(d);
  std::string_view area = v.substr(0, 3), group = v.substr(3, 2), serial = v.substr(5, 4);
  if (area == "000" || area == "666" || area[0] == '9') return false;
  if (group == "00" || serial == "0000") return false;
  return true;
}

bool ipv4_valid(std::string_view s) {
  if (s.size() < 7 || s.size() > 15) return false;
  char buf[16];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[4];
  return inet_pton(AF_INET, buf, addr) == 1;
}

bool ipv6_valid(std::string_view s) {
  if (s.size() < 2 || s.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET6, buf, addr) == 1;
}

bool npi_valid(std::string_view npi) {
  if (npi.size() != 10) return false;
  for (char c : npi) {
    if (!is_digit(c)) return false;
  }
  if (npi[0] != '1' && npi[0] != '2') return false;
  std::string prefixed = "80840";
  prefixed.append(npi);
  return luhn_valid(prefixed);
}

bool looks_like_date(std::string_view s) {
  std::array<std::string_view, 3> parts;
  std::size_t n = 0, begin = 0;
  char sep = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '-' || s[i] == '.' || s[i] == '/' || s[i] == ' ') {
      if (i < s.size()) {
        if (sep != 0 && s[i] != sep) return false;
        sep = s[i];
      }
      if (n == parts.size()) return false;
      parts[n++] = s.substr(begin, i - begin);
      begin = i + 1;
    }
  }
  if (n != 3) return false;
  int a = 0, b = 0, c = 0;
  if (parts[0].size() == 4 && parse_2(parts[1], b) && parse_2(parts[2], c)) {
    return b >= 1 && b <= 12 && c >= 1 && c <= 31;  // YYYY-MM-DD
  }
  if ((parts[2].size() == 4 || parts[2].size() == 2) && parse_2(parts[0], a) &&
      parse_2(parts[1], b)) {
    for (char ch : parts[2]) {
      if (!is_digit(ch)) return false;
    }
    // DD.MM.YYYY or MM/DD/YYYY
    return a >= 1 && b >= 1 && ((a <= 31 && b <= 12) || (a <= 12 && b <= 31));
  }
  return false;
}

}  // namespace kt::scan
