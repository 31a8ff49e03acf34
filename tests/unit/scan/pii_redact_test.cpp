#include "scan/pii_redact.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kt::scan {
namespace {

std::string redact_whole(const PiiScanner& s, std::string_view text, const RedactionStyle& st) {
  std::vector<PiiSpan> spans;
  s.find(text, spans);
  std::string out;
  redact_into(text, spans, st, out);
  return out;
}

// What a PiiStreamRedactor releases for `text` written in two pieces split at `cut`.
std::string redact_split(const PiiScanner& s, std::string_view text, const RedactionStyle& st,
                         std::size_t cut) {
  PiiStreamRedactor r(s, st);
  std::string out;
  r.write(text.substr(0, cut), out);
  r.write(text.substr(cut), out);
  r.finish(out);
  return out;
}

TEST(PiiMarker, Formats) {
  RedactionStyle label;
  EXPECT_EQ(pii_marker("a@b.io", PiiEntity::email, label), "[EMAIL]");
  RedactionStyle label_len;
  label_len.preserve_length = true;
  EXPECT_EQ(pii_marker("john@example.com", PiiEntity::email, label_len), "[EMAIL]*********");
  EXPECT_EQ(pii_marker("1.1.1.1", PiiEntity::ip_address, label_len), "*******");
  RedactionStyle stars;
  stars.format = RedactionStyle::Format::asterisks;
  EXPECT_EQ(pii_marker("4111111111111111", PiiEntity::credit_card, stars), "****");
  stars.preserve_length = true;
  EXPECT_EQ(pii_marker("4111111111111111", PiiEntity::credit_card, stars),
            "****************");
  RedactionStyle partial;
  partial.format = RedactionStyle::Format::partial;
  EXPECT_EQ(pii_marker("4111111111111234", PiiEntity::credit_card, partial), "****1234");
  EXPECT_EQ(pii_marker("123", PiiEntity::cvv, partial), "****");  // too short to keep any
  partial.preserve_length = true;
  EXPECT_EQ(pii_marker("4111111111111234", PiiEntity::credit_card, partial),
            "************1234");
  RedactionStyle custom;
  custom.custom_markers[static_cast<std::size_t>(PiiEntity::email)] = "[email]";
  EXPECT_EQ(pii_marker("a@b.io", PiiEntity::email, custom), "[email]");
  EXPECT_EQ(pii_marker("10.0.0.1", PiiEntity::ip_address, custom), "[IP_ADDRESS]");
}

TEST(PiiRedact, WholeText) {
  PiiScanner s{PiiScanOptions{}};
  EXPECT_EQ(redact_whole(s, "mail a@b.io or call +1 202 555 0143.", RedactionStyle{}),
            "mail [EMAIL] or call [PHONE].");
  EXPECT_EQ(redact_whole(s, "nothing here", RedactionStyle{}), "nothing here");
}

// A text holding every entity type, at the start, in the middle and at the very end.
const char* kAllEntities =
    "john.doe@example.com wrote: call +44 20 7946 0958 or (202) 555-0143 x12; card "
    "4111 1111 1111 1111 cvv 123, ssn 123-45-6789, host 10.0.0.1 / 2001:db8::1, iban "
    "GB82 WEST 1234 5698 7654 32 and key sk-proj-abcdefghijklmnopqrstuvwxyz0123 plus\n"
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----\n"
    "MRN: 00123456, NPI 1234567893, member id XJH12345678, token "
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk, last a@b.io";

PiiScanner& healthcare_scanner() {
  static PiiScanner s([] {
    PiiScanOptions o;
    o.healthcare_mode = true;
    return o;
  }());
  return s;
}

TEST(PiiStream, EverySplitPointEqualsWholeTextRedaction) {
  const PiiScanner& s = healthcare_scanner();
  RedactionStyle style;
  std::string text = kAllEntities;
  std::string expected = redact_whole(s, text, style);
  for (const char* e : {"[EMAIL]", "[PHONE]", "[CREDIT_CARD]", "[CVV]", "[US_SSN]",
                        "[IP_ADDRESS]", "[IBAN]", "[SECRET]", "[MRN]", "[NPI]",
                        "[HEALTH_PLAN_ID]"}) {
    EXPECT_NE(expected.find(e), std::string::npos) << e << " missing in " << expected;
  }
  for (std::size_t k = 0; k <= text.size(); ++k) {
    ASSERT_EQ(redact_split(s, text, style, k), expected) << "split at " << k;
  }
}

TEST(PiiStream, ByteByByteAndThreeWaySplits) {
  const PiiScanner& s = healthcare_scanner();
  RedactionStyle style;
  std::string text = kAllEntities;
  std::string expected = redact_whole(s, text, style);
  PiiStreamRedactor bytes(s, style);
  std::string out;
  for (char c : text) bytes.write(std::string_view(&c, 1), out);
  bytes.finish(out);
  EXPECT_EQ(out, expected);
  for (std::size_t a = 0; a < text.size(); a += 7) {
    for (std::size_t b = a; b <= text.size(); b += 13) {
      PiiStreamRedactor r(s, style);
      std::string o;
      r.write(std::string_view(text).substr(0, a), o);
      r.write(std::string_view(text).substr(a, b - a), o);
      r.write(std::string_view(text).substr(b), o);
      r.finish(o);
      ASSERT_EQ(o, expected) << a << "," << b;
    }
  }
}

TEST(PiiStream, SplitValueIsCaught) {
  PiiScanner s{PiiScanOptions{}};
  RedactionStyle style;
  PiiStreamRedactor r(s, style);
  std::string out;
  r.write("write to john.d", out);
  EXPECT_EQ(out, "write to ");
  r.write("oe@example.com now", out);
  EXPECT_EQ(out, "write to [EMAIL] ");
  r.finish(out);
  EXPECT_EQ(out, "write to [EMAIL] now");
  EXPECT_EQ(r.counts()[static_cast<std::size_t>(PiiEntity::email)], 1);
  EXPECT_TRUE(r.found_any());
}

TEST(PiiStream, CleanTextIsReleasedBeforeFinish) {
  PiiScanner s{PiiScanOptions{}};
  RedactionStyle style;
  PiiStreamRedactor r(s, style);
  std::string out;
  r.write("The quick brown fox ", out);
  EXPECT_EQ(out, "The quick brown fox ");
  r.write("jumps over the lazy dog.\n", out);
  EXPECT_EQ(out, "The quick brown fox jumps over the lazy dog.\n");
  r.write("Partial wo", out);
  EXPECT_EQ(out, "The quick brown fox jumps over the lazy dog.\nPartial ");
  r.finish(out);
  EXPECT_EQ(out, "The quick brown fox jumps over the lazy dog.\nPartial wo");
  EXPECT_FALSE(r.found_any());
}

TEST(PiiStream, TextEndingInPunctuationIsReleasedAtOnce) {
  PiiScanner s{PiiScanOptions{}};
  RedactionStyle style;
  PiiStreamRedactor r(s, style);
  std::string out;
  r.write("Hello!", out);
  EXPECT_EQ(out, "Hello!");
  r.write(" mail john.doe@example.com;", out);
  EXPECT_EQ(out, "Hello! mail [EMAIL];");
  r.write(" ok", out);
  EXPECT_EQ(out, "Hello! mail [EMAIL]; ");
  r.finish(out);
  EXPECT_EQ(out, "Hello! mail [EMAIL]; ok");
}

TEST(PiiStream, HoldBackIsBounded) {
  PiiScanner s{PiiScanOptions{}};
  RedactionStyle style;
  PiiStreamRedactor r(s, style);
  std::string out;
  std::string blob(10000, 'z');
  r.write(blob, out);
  EXPECT_EQ(out.size(), blob.size() - PiiScanner::kMaxTail);
  r.finish(out);
  EXPECT_EQ(out, blob);
}

// Found by fuzzing (tests/fuzz/pii.cpp): a custom pattern that spans whitespace was missed when
// the stream split right after the whitespace. "project " was released as clean text before the
// "r" that completed "(?i)project\s+[a-z]+" arrived, so the value went out unredacted.
TEST(PiiStream, CustomPatternSpanningWhitespaceSplitAfterTheSpaceIsCaught) {
  PiiScanOptions o;
  o.custom_patterns = {R"((?i)project\s+[a-z]+)", R"(employee id:\s*[0-9]{5})"};
  PiiScanner s{o};
  RedactionStyle style;
  for (const std::string& text : {std::string("-----BErproject r1"),
                                 std::string("codename: project falcon, ok"),
                                 std::string("her employee id: 12345 is on file")}) {
    const std::string whole = redact_whole(s, text, style);
    ASSERT_NE(whole, text) << text;  // the whole text has a match
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      EXPECT_EQ(redact_split(s, text, style, cut), whole)
          << "split at " << cut << " of '" << text << "'";
    }
  }
}

// Found by fuzzing (tests/fuzz/pii.cpp): a "-----END " overlapping the dashes of the BEGIN line
// made the stream think the PEM block was closed and release it, while the whole-text scan
// (which looks for END after the BEGIN line) redacted the block up to its later end.
TEST(PiiStream, PemBlockWithEndOverlappingTheBeginLineIsHeldUntilItsEnd) {
  PiiScanOptions o;
  o.entities = {"SECRET"};
  PiiScanner s{o};
  RedactionStyle style;
  style.format = RedactionStyle::Format::asterisks;
  const std::string text =
      "-----BEGIN RSA PRIVATE KEY--------END PRIVATE KEY-------\nMIIEpB1\n"
      "-----END RSA PRIVATE KEY-----\nafter";
  const std::string whole = redact_whole(s, text, style);
  ASSERT_EQ(whole, "****\nafter");
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(redact_split(s, text, style, cut), whole) << "split at " << cut;
  }
}

// Found by fuzzing: a second "-----BEGIN " inside an open PEM block made the stream look at that
// one only (rfind), so the real block was released before its END arrived.
TEST(PiiStream, PemBlockWithASecondBeginInsideIsHeldUntilItsEnd) {
  PiiScanOptions o;
  o.entities = {"SECRET"};
  PiiScanner s{o};
  RedactionStyle style;
  style.format = RedactionStyle::Format::asterisks;
  const std::string text =
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEp-----BEGIN x\nAIB8AKCAQEA7w3dB1fR0\n"
      "-----END RSA PRIVATE KEY-----\nafter";
  const std::string whole = redact_whole(s, text, style);
  ASSERT_EQ(whole, "****\nafter");
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(redact_split(s, text, style, cut), whole) << "split at " << cut;
  }
}

// The custom hold-back is bounded: clean text is still released, kMaxCustomTail bytes behind.
TEST(PiiStream, CustomPatternHoldBackIsBounded) {
  PiiScanOptions o;
  o.custom_patterns = {R"((?i)project\s+[a-z]+)"};
  PiiScanner s{o};
  RedactionStyle style;
  PiiStreamRedactor r(s, style);
  std::string out;
  const std::string text = std::string(2000, 'a') + " " + std::string(10, 'b') + " ";
  r.write(text, out);
  EXPECT_EQ(out.size(), text.size() - PiiScanner::kMaxCustomTail);
  r.finish(out);
  EXPECT_EQ(out, text);
}


// Found by fuzzing: a window ending in "0130 01," released "3704 0044 0532 0130 01" as a card,
// but the ",32" that followed makes it part of a longer number, which whole-text redaction keeps.
TEST(PiiStream, DigitsBeforeACommaWaitForTheByteAfterIt) {
  PiiScanner s{PiiScanOptions{}};
  RedactionStyle style;
  style.format = RedactionStyle::Format::asterisks;
  style.preserve_length = true;
  const std::string text = "IBAN #DE89 3704 0044 0532 0130 01,32 &0, and 4111 1111 1111 1111, ok";
  const std::string whole = redact_whole(s, text, style);
  ASSERT_EQ(whole, "IBAN #DE89 3704 0044 0532 0130 01,32 &0, and *******************, ok");
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(redact_split(s, text, style, cut), whole) << "split at " << cut;
  }
  // A comma is released as soon as the byte after it shows it ends no number.
  PiiStreamRedactor r(s, style);
  std::string out;
  r.write("Hello,", out);
  EXPECT_EQ(out, "");
  r.write("w", out);
  EXPECT_EQ(out, "Hello,");
}

}  // namespace
}  // namespace kt::scan
