// validators.h — checksums and structural rules that turn a pattern candidate into a finding.
//
// Pure functions on ASCII text; separators (space, '-', '.') are the caller's business unless a
// function says it skips them. None allocates except where it returns a string.
#pragma once

#include <string>
#include <string_view>

namespace kt::scan {

// The digits of `s` in order, ignoring every other byte.
std::string digits_of(std::string_view s);

// Luhn (mod 10) over the digits of `digits` (which must be digits only); false when empty.
bool luhn_valid(std::string_view digits);

// Payment card number: 12..19 digits, issuer major industry identifier 1..6, Luhn, and not one
// repeated digit. `number` may contain ' ' or '-' separators.
bool credit_card_valid(std::string_view number);

// IBAN (ISO 13616): known country code, that country's length, mod-97 == 1. Spaces are ignored;
// letters may be lower case.
bool iban_valid(std::string_view iban);

// US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000; no all-same
// digits. `ssn` holds exactly 9 digits once separators (' ', '-') are removed.
bool us_ssn_valid(std::string_view ssn);

// inet_pton() acceptance: dotted-quad IPv4 without leading zeros; any IPv6 text form.
bool ipv4_valid(std::string_view s);
bool ipv6_valid(std::string_view s);

// US National Provider Identifier: 10 digits, Luhn over "80840" + the digits.
bool npi_valid(std::string_view npi);

// Date shapes that look like digit groups: YYYY-MM-DD, DD.MM.YYYY, MM/DD/YY and the like, with
// plausible month/day ranges. Used to keep dates out of phone numbers.
bool looks_like_date(std::string_view s);

}  // namespace kt::scan
