#include "audit/ulid.h"

#include <openssl/rand.h>

#include <mutex>
#include <stdexcept>

#include "audit/time_format.h"

namespace kt::audit {

namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct UlidState {
  std::mutex mu;
  std::uint64_t last_ms = 0;
  std::uint16_t hi = 0;  // random bits 79..64
  std::uint64_t lo = 0;  // random bits 63..0
  // The random part of each new millisecond comes from splitmix64 seeded once by RAND_bytes:
  // unpredictable to an outsider and unique across gateways, without a trip through OpenSSL's
  // DRBG (and its getpid() fork check, a system call) for every event.
  std::uint64_t seed = 0;
  bool seeded = false;
  std::uint64_t next() {
    std::uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

UlidState& state() {
  static UlidState s;
  return s;
}

}  // namespace

std::string encode_ulid(std::uint64_t ms, std::uint16_t rand_hi, std::uint64_t rand_lo) {
  // 128 bits: [48 time][16 rand_hi][64 rand_lo], written as 26 base32 digits (first digit has 3
  // significant bits).
  unsigned __int128 v = (static_cast<unsigned __int128>(ms & 0xFFFFFFFFFFFFull) << 80) |
                        (static_cast<unsigned __int128>(rand_hi) << 64) | rand_lo;
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[i] = kCrockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  return out;
}

std::string new_ulid() {
  UlidState& s = state();
  std::lock_guard lock(s.mu);
  std::uint64_t ms = static_cast<std::uint64_t>(now_ms());
  if (ms <= s.last_ms) {
    // Same (or an earlier, if the clock stepped back) millisecond: keep monotonic order.
    ms = s.last_ms;
    if (++s.lo == 0 && ++s.hi == 0) ++ms;  // 80-bit overflow: borrow the next millisecond
  } else {
    if (!s.seeded) {
      unsigned char r[8];
      if (RAND_bytes(r, sizeof r) != 1) throw std::runtime_error("audit: RAND_bytes failed");
      for (unsigned char b : r) s.seed = (s.seed << 8) | b;
      s.seeded = true;
    }
    s.hi = static_cast<std::uint16_t>(s.next());
    s.lo = s.next();
  }
  s.last_ms = ms;
  return encode_ulid(ms, s.hi, s.lo);
}

}  // namespace kt::audit
