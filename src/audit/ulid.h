// ulid.h — monotonic ULIDs (https://github.com/ulid/spec): 48-bit Unix milliseconds followed by
// 80 random bits from OpenSSL's CSPRNG, 26 characters of Crockford base32. Within one millisecond
// the random part is incremented, so ids from this process sort in creation order. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace kt::audit {

std::string new_ulid();
// For tests: the ULID for a given time and 80-bit randomness (hi = top 16 bits).
std::string encode_ulid(std::uint64_t ms, std::uint16_t rand_hi, std::uint64_t rand_lo);

}  // namespace kt::audit
