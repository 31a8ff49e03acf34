#include "scan/validators.h"

#include <gtest/gtest.h>

namespace kt::scan {
namespace {

TEST(Validators, Luhn) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("41x1"));
}

TEST(Validators, CreditCard) {
  EXPECT_TRUE(credit_card_valid("4111111111111111"));
  EXPECT_TRUE(credit_card_valid("4111 1111 1111 1111"));
  EXPECT_TRUE(credit_card_valid("3782-822463-10005"));   // Amex 15
  EXPECT_TRUE(credit_card_valid("6011000990139424"));    // Discover
  EXPECT_TRUE(credit_card_valid("5555555555554444"));    // Mastercard
  EXPECT_FALSE(credit_card_valid("4111111111111112"));   // Luhn fails
  EXPECT_FALSE(credit_card_valid("41111111111"));        // 11 digits
  EXPECT_FALSE(credit_card_valid("41111111111111111111"));  // 20 digits
  EXPECT_FALSE(credit_card_valid("0000000000000000"));   // no issuer, one digit repeated
  EXPECT_FALSE(credit_card_valid("4111.1111.1111.1111"));
}

TEST(Validators, Iban) {
  EXPECT_TRUE(iban_valid("GB82WEST12345698765432"));
  EXPECT_TRUE(iban_valid("GB82 WEST 1234 5698 7654 32"));
  EXPECT_TRUE(iban_valid("gb82west12345698765432"));
  EXPECT_TRUE(iban_valid("DE89370400440532013000"));
  EXPECT_FALSE(iban_valid("GB83WEST12345698765432"));   // wrong check digits
  EXPECT_FALSE(iban_valid("GB82WEST1234569876543"));    // wrong length for GB
  EXPECT_FALSE(iban_valid("ZZ82WEST12345698765432"));   // unknown country
}

TEST(Validators, UsSsn) {
  EXPECT_TRUE(us_ssn_valid("123-45-6789"));
  EXPECT_TRUE(us_ssn_valid("856-45-6789"));
  EXPECT_FALSE(us_ssn_valid("000-12-3456"));
  EXPECT_FALSE(us_ssn_valid("666-12-3456"));
  EXPECT_FALSE(us_ssn_valid("912-12-3456"));
  EXPECT_FALSE(us_ssn_valid("123-00-4567"));
  EXPECT_FALSE(us_ssn_valid("123-45-0000"));
  EXPECT_FALSE(us_ssn_valid("111-11-1111"));
  EXPECT_FALSE(us_ssn_valid("123-45-678"));
}

TEST(Validators, Ip) {
  EXPECT_TRUE(ipv4_valid("192.168.1.1"));
  EXPECT_TRUE(ipv4_valid("255.255.255.255"));
  EXPECT_FALSE(ipv4_valid("999.1.1.1"));
  EXPECT_FALSE(ipv4_valid("1.2.3"));
  EXPECT_FALSE(ipv4_valid("01.2.3.4"));
  EXPECT_TRUE(ipv6_valid("2001:db8::1"));
  EXPECT_TRUE(ipv6_valid("6e40:4041:c617:e898:c11:40d2:c669:2eb4"));
  EXPECT_TRUE(ipv6_valid("::ffff:192.168.1.1"));
  EXPECT_FALSE(ipv6_valid("2001:db8:::1"));
  EXPECT_FALSE(ipv6_valid("12:34:56"));
}

TEST(Validators, Npi) {
  EXPECT_TRUE(npi_valid("1234567893"));
  EXPECT_FALSE(npi_valid("1234567890"));
  EXPECT_FALSE(npi_valid("123456789"));
  EXPECT_FALSE(npi_valid("3234567893"));  // NPIs start with 1 or 2
}

TEST(Validators, Dates) {
  EXPECT_TRUE(looks_like_date("2021-03-04"));
  EXPECT_TRUE(looks_like_date("04.03.2021"));
  EXPECT_TRUE(looks_like_date("12/31/99"));
  EXPECT_FALSE(looks_like_date("555-123-4567"));
  EXPECT_FALSE(looks_like_date("2021-13-04"));
  EXPECT_FALSE(looks_like_date("60-56-85-91"));
}

TEST(Validators, DigitsOf) { EXPECT_EQ(digits_of("+1 (555) 010-99"), "155501099"); }

}  // namespace
}  // namespace kt::scan
