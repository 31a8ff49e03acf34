// pii_scanner.h — finds PII entities (product-spec §5 pii-detector) in plain text.
//
// One Hyperscan pass finds every candidate; validators (Luhn, mod-97, SSN rules, inet_pton, …)
// confirm them; context words (Presidio-style, in the ~48 bytes before a candidate) are required
// where a shape alone is too weak (plain 9-digit SSN, bare digit phones, MRN/NPI/plan IDs, AWS
// secret keys); overlaps resolve to the longest span, ties to the most specific entity.
// Built once per config; find() is const and thread-safe.
//
// Entities: EMAIL PHONE CREDIT_CARD US_SSN IP_ADDRESS IBAN SECRET, CVV (pci_mode, only within 128
// bytes after a card number), MRN NPI HEALTH_PLAN_ID (healthcare_mode) and CUSTOM (each
// detect_patterns regex, Hyperscan syntax, case-sensitive unless it says (?i)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scan/matcher.h"

namespace kt::scan {

enum class PiiEntity : std::uint8_t {
  secret, credit_card, iban, us_ssn, npi, email, ip_address, mrn, health_plan_id, cvv, phone,
  custom,
};
inline constexpr std::size_t kPiiEntityCount = 12;

std::string_view pii_entity_name(PiiEntity e);  // "EMAIL", "CREDIT_CARD", ...
// Throws std::invalid_argument for an unknown name.
PiiEntity pii_entity_from_name(std::string_view name);

struct PiiScanOptions {
  bool pci_mode = true;
  bool healthcare_mode = false;
  // Empty: all core entities plus those the modes add. Otherwise exactly these, plus CVV when
  // pci_mode is on and CREDIT_CARD is listed.
  std::vector<std::string> entities;
  std::vector<std::string> custom_patterns;  // each one CUSTOM entity
};

struct PiiSpan {
  std::size_t begin = 0, end = 0;
  PiiEntity entity = PiiEntity::custom;
};

class PiiScanner {
 public:
  // Throws std::invalid_argument (unknown entity name, or a custom pattern Hyperscan rejects,
  // naming the pattern by index).
  explicit PiiScanner(const PiiScanOptions& options);

  // Confirmed, non-overlapping entities of `text`, ordered by begin. `out` is replaced.
  void find(std::string_view text, std::vector<PiiSpan>& out) const;

  // The two halves of find(), for the stream filter: every confirmed candidate (overlapping),
  // then the overlap resolution of a set of them.
  void candidates(std::string_view text, std::vector<PiiSpan>& out) const;
  static void resolve(std::vector<PiiSpan>& spans);

  // Where the text's unsettled tail begins: no entity that more text could still complete or
  // extend starts before the returned offset. The tail is the last token plus the digit-group
  // chain before it (phones, spaced cards, IBANs), or an open PEM block. It is capped at
  // kMaxTail bytes (kMaxPemTail inside a PEM block): beyond that the text is released.
  std::size_t settled_prefix(std::string_view text) const;
  // A custom pattern may span whitespace ("employee id:\s*\d+"), so the tail also covers the
  // last (longest custom match − 1) bytes, at most kMaxCustomTail: a longer custom match split
  // across chunks may be missed.
  static constexpr std::size_t kMaxTail = 1024;
  static constexpr std::size_t kMaxPemTail = 8192;
  static constexpr std::size_t kMaxCustomTail = 256;
  // Bytes of already released text a stream must keep before its tail so context words, card
  // proximity (CVV) and boundaries are judged as in the whole text.
  static constexpr std::size_t kLookbehind = 256;

 private:
  void rescan_windows(std::string_view text, std::vector<Match>& matches) const;
  void order_matches(std::vector<Match>& matches) const;

  // Start tracking (SOM) is what makes a scan slow, so the pass over the whole text tracks starts
  // only for the unbounded token rules, which begin with a literal. The frequent rules (e-mail,
  // phones, cards, SSN, IPv4, NPI) find their starts by walking back from the match end; the
  // other rules match at most width_[rule] bytes and get their starts from window_matcher_, run
  // only over the windows before their match ends.
  std::unique_ptr<Matcher> matcher_;
  std::unique_ptr<Matcher> window_matcher_;
  std::vector<std::size_t> width_;  // by rule id; 0 for a rule whose start is not windowed
  std::size_t custom_count_ = 0;
  std::size_t custom_tail_ = 0;  // bytes settled_prefix holds for custom patterns
  bool mrn_on_ = false;
  bool plan_on_ = false;
};

}  // namespace kt::scan
