#include "scan/pii_scanner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace kt::scan {
namespace {

struct Found {
  std::string entity, value;
  bool operator==(const Found&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Found& f) {
  return os << f.entity << ":'" << f.value << "'";
}

std::vector<Found> find_all(const PiiScanner& s, std::string_view text) {
  std::vector<PiiSpan> spans;
  s.find(text, spans);
  std::vector<Found> out;
  for (const PiiSpan& sp : spans) {
    out.push_back({std::string(pii_entity_name(sp.entity)),
                   std::string(text.substr(sp.begin, sp.end - sp.begin))});
  }
  return out;
}

const PiiScanner& default_scanner() {
  static const PiiScanner s{PiiScanOptions{}};
  return s;
}
std::vector<Found> find_all(std::string_view text) { return find_all(default_scanner(), text); }
using V = std::vector<Found>;

// Starts of the frequent rules are found by walking back from the match end (no Hyperscan start
// tracking); these are the longest candidates at each leftmost start.
TEST(PiiScanner, CandidatesStartWhereTheLongestMatchStarts) {
  auto candidates = [](std::string_view text) {
    std::vector<PiiSpan> spans;
    default_scanner().candidates(text, spans);
    std::vector<Found> out;
    for (const PiiSpan& sp : spans) {
      out.push_back({std::string(pii_entity_name(sp.entity)),
                     std::string(text.substr(sp.begin, sp.end - sp.begin))});
    }
    return out;
  };
  auto has = [](const std::vector<Found>& v, const Found& f) {
    return std::find(v.begin(), v.end(), f) != v.end();
  };
  auto c = candidates("tel (555) 123-4567 ext. 89, or a.b+c.d@mail.example.org");
  EXPECT_TRUE(has(c, {"PHONE", "(555) 123-4567 ext. 89"})) << ::testing::PrintToString(c);
  EXPECT_TRUE(has(c, {"EMAIL", "a.b+c.d@mail.example.org"})) << ::testing::PrintToString(c);
  c = candidates("card 4111-1111-1111-1111 now, host 10.20.30.40; call +44 20 7946 0958");
  EXPECT_TRUE(has(c, {"CREDIT_CARD", "4111-1111-1111-1111"})) << ::testing::PrintToString(c);
  EXPECT_TRUE(has(c, {"IP_ADDRESS", "10.20.30.40"})) << ::testing::PrintToString(c);
  EXPECT_TRUE(has(c, {"PHONE", "+44 20 7946 0958"})) << ::testing::PrintToString(c);
}

TEST(PiiScanner, Email) {
  EXPECT_EQ(find_all("mail john.doe+x@example.co.uk, thanks"),
            (V{{"EMAIL", "john.doe+x@example.co.uk"}}));
  EXPECT_EQ(find_all("a@b.io"), (V{{"EMAIL", "a@b.io"}}));  // whole text
  EXPECT_EQ(find_all("(bob@corp.example.com)."), (V{{"EMAIL", "bob@corp.example.com"}}));
  EXPECT_EQ(find_all("not an email: foo@bar, @handle, x@y"), V{});
}

TEST(PiiScanner, Phone) {
  for (const char* p : {"+1-202-555-0143", "+44 20 7946 0958", "(202) 555-0143",
                        "202.555.0143", "+33 1 42 68 53 00", "+49 (0)30 1234567",
                        "555-0143 x1234", "+1 202 555 0143 ext. 42", "020 7946 0958"}) {
    std::string text = std::string("call ") + p + " today";
    EXPECT_EQ(find_all(text), (V{{"PHONE", p}})) << text;
  }
  EXPECT_EQ(find_all("Phone: 2025550143"), (V{{"PHONE", "2025550143"}}));
  // Bare digits without a phone word, dates, times, versions and street numbers are not phones.
  EXPECT_EQ(find_all("order 2025550143 shipped"), V{});
  EXPECT_EQ(find_all("on 2021-03-04 11:30 we met"), V{});
  EXPECT_EQ(find_all("we live at 370 3911 Fourth Avenue"), V{});
  EXPECT_EQ(find_all("pi is 3.14159 2.71828"), V{});
}

TEST(PiiScanner, CreditCard) {
  EXPECT_EQ(find_all("card 4111111111111111."), (V{{"CREDIT_CARD", "4111111111111111"}}));
  EXPECT_EQ(find_all("4111 1111 1111 1111"), (V{{"CREDIT_CARD", "4111 1111 1111 1111"}}));
  EXPECT_EQ(find_all("amex 3782-822463-10005"), (V{{"CREDIT_CARD", "3782-822463-10005"}}));
  EXPECT_EQ(find_all("id 4111111111111112 bad luhn"), V{});
  for (const Found& f : find_all("mixed 4111 1111-1111 1111")) EXPECT_NE(f.entity, "CREDIT_CARD");
  EXPECT_EQ(find_all("x41111111111111110 too long by a digit"), V{});
}

TEST(PiiScanner, UsSsn) {
  EXPECT_EQ(find_all("SSN 123-45-6789"), (V{{"US_SSN", "123-45-6789"}}));
  EXPECT_EQ(find_all("123 45 6789"), (V{{"US_SSN", "123 45 6789"}}));
  EXPECT_EQ(find_all("my ssn is 123456789"), (V{{"US_SSN", "123456789"}}));
  EXPECT_EQ(find_all("ref 123456789 done"), V{});  // plain 9 digits need a context word
  EXPECT_EQ(find_all("SSN 000-12-3456"), V{});
  EXPECT_EQ(find_all("SSN 666-12-3456"), V{});
  EXPECT_EQ(find_all("SSN 123-00-6789"), V{});
}

TEST(PiiScanner, IpAddress) {
  EXPECT_EQ(find_all("from 10.0.0.1:"), (V{{"IP_ADDRESS", "10.0.0.1"}}));
  EXPECT_EQ(find_all("host 2001:db8::8a2e:370:7334 up"),
            (V{{"IP_ADDRESS", "2001:db8::8a2e:370:7334"}}));
  EXPECT_EQ(find_all("fe80::1"), (V{{"IP_ADDRESS", "fe80::1"}}));
  EXPECT_EQ(find_all("bad 999.1.1.1 and 1.2.3.4.5 and 12:34:56"), V{});
  EXPECT_EQ(find_all("c++ std::map and abc::def"), V{});
}

TEST(PiiScanner, Iban) {
  EXPECT_EQ(find_all("IBAN GB82WEST12345698765432."), (V{{"IBAN", "GB82WEST12345698765432"}}));
  EXPECT_EQ(find_all("GB82 WEST 1234 5698 7654 32 EUR"),
            (V{{"IBAN", "GB82 WEST 1234 5698 7654 32"}}));
  EXPECT_EQ(find_all("de89370400440532013000"), (V{{"IBAN", "de89370400440532013000"}}));
  EXPECT_EQ(find_all("GB83WEST12345698765432"), V{});  // wrong check digits
}

TEST(PiiScanner, Secrets) {
  for (const char* s : {
           "AKIAIOSFODNN7EXAMPLE",
           "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
           "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
           "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
           "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
           "xoxb-123456789012-abcdefghijkl",
           "sk_live_abcdefghijklmnop1234",
           "rk_live_abcdefghijklmnop1234",
           "AIzaSyA1234567890abcdefghijklmnopqrstuv",
           "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
       }) {
    std::string text = std::string("key=") + s + " end";
    EXPECT_EQ(find_all(text), (V{{"SECRET", s}})) << text;
  }
  std::string aws = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  EXPECT_EQ(find_all(aws), (V{{"SECRET", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}));
  std::string pem =
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----";
  EXPECT_EQ(find_all("key:\n" + pem + "\nbye"), (V{{"SECRET", pem}}));
  EXPECT_EQ(find_all("-----BEGIN PRIVATE KEY-----\nMIIE never ends"), V{});
  EXPECT_EQ(find_all("task-abcdefghijklmnopqrstuvwxyz012345 is a ticket"), V{});
}

TEST(PiiScanner, CvvOnlyNearCard) {
  EXPECT_EQ(find_all("card 4111111111111111 exp 12/27 cvv: 123"),
            (V{{"CREDIT_CARD", "4111111111111111"}, {"CVV", "123"}}));
  EXPECT_EQ(find_all("the CVV is 123"), V{});
  PiiScanOptions no_pci;
  no_pci.pci_mode = false;
  EXPECT_EQ(find_all(PiiScanner(no_pci), "card 4111111111111111 cvv 123"),
            (V{{"CREDIT_CARD", "4111111111111111"}}));
}

TEST(PiiScanner, HealthcareMode) {
  PiiScanOptions hc;
  hc.healthcare_mode = true;
  PiiScanner s(hc);
  EXPECT_EQ(find_all(s, "MRN: 00123456"), (V{{"MRN", "00123456"}}));
  EXPECT_EQ(find_all(s, "NPI 1234567893"), (V{{"NPI", "1234567893"}}));
  EXPECT_EQ(find_all(s, "NPI 1234567890"), V{});  // Luhn with 80840 fails
  EXPECT_EQ(find_all(s, "Member ID: XJH12345678"), (V{{"HEALTH_PLAN_ID", "XJH12345678"}}));
  EXPECT_EQ(find_all(s, "item 00123456 shipped"), V{});
  EXPECT_EQ(find_all("MRN: 00123456"), V{});  // off without healthcare_mode
}

TEST(PiiScanner, EntityFilterAndCustom) {
  PiiScanOptions o;
  o.entities = {"EMAIL"};
  o.custom_patterns = {"EMP-[0-9]{6}"};
  PiiScanner s(o);
  EXPECT_EQ(find_all(s, "a@b.io 4111111111111111 EMP-123456"),
            (V{{"EMAIL", "a@b.io"}, {"CUSTOM", "EMP-123456"}}));
  PiiScanOptions bad;
  bad.custom_patterns = {"ok", "([a-z"};
  try {
    PiiScanner x(bad);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("detect_patterns[1]"), std::string::npos) << e.what();
  }
  PiiScanOptions unknown;
  unknown.entities = {"PASSPORT"};
  EXPECT_THROW(PiiScanner{unknown}, std::invalid_argument);
}

TEST(PiiScanner, OverlapsResolveToLongestThenMostSpecific) {
  // An SSN-shaped phone is an SSN; a card's digit groups are not a phone.
  EXPECT_EQ(find_all("tel 123-45-6789"), (V{{"US_SSN", "123-45-6789"}}));
  EXPECT_EQ(find_all("phone 4111 1111 1111 1111"), (V{{"CREDIT_CARD", "4111 1111 1111 1111"}}));
  EXPECT_EQ(find_all("ip 192.168.1.1 phone"), (V{{"IP_ADDRESS", "192.168.1.1"}}));
}

TEST(PiiScanner, SettledPrefixHoldsTheTail) {
  const PiiScanner& s = default_scanner();
  EXPECT_EQ(s.settled_prefix("hello wor"), 6u);
  EXPECT_EQ(s.settled_prefix("hello world "), 12u);
  EXPECT_EQ(s.settled_prefix("call +1 202 555"), 5u);
  EXPECT_EQ(s.settled_prefix("iban GB82 WEST 12"), 5u);
  EXPECT_EQ(s.settled_prefix("k\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"), 2u);
  std::string long_token(5000, 'a');
  EXPECT_EQ(s.settled_prefix(long_token), 5000u - PiiScanner::kMaxTail);
  // A byte no entity contains settles everything up to it, even inside the last token.
  EXPECT_EQ(s.settled_prefix("Hello!"), 6u);
  EXPECT_EQ(s.settled_prefix("mail john@example.com,or"), 22u);
  EXPECT_EQ(s.settled_prefix("call +1 202 555;1"), 16u);
  EXPECT_EQ(s.settled_prefix("ok? john.d"), 4u);
  EXPECT_EQ(s.settled_prefix("k -----BEGIN RSA PRIVATE KEY-----\nMII!E"), 2u);
}

TEST(PiiScanner, SettledPrefixWithCustomPatternsWaitsForWhitespace) {
  PiiScanOptions o;
  o.custom_patterns = {R"(ID![0-9]{4})"};
  PiiScanner s(o);
  // '!' settles nothing here, and a custom match (at most 7 bytes) may still be forming in the
  // last 6: only "s" is settled.
  EXPECT_EQ(s.settled_prefix("see ID!"), 1u);
  EXPECT_EQ(s.settled_prefix("see ID!1234 and more text"), 19u);
}

}  // namespace
}  // namespace kt::scan
