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
    unsigned char r[10];
    if (RAND_bytes(r, sizeof r) != 1) throw std::runtime_error("audit: RAND_bytes failed");
    s.hi = static_cast<std::uint16_t>((r[0] << 8) | r[1]);
    s.lo = 0;
    for (int i = 2; i < 10; ++i) s.lo = (s.lo << 8) | r[i];
  }
  s.last_ms = ms;
  return encode_ulid(ms, s.hi, s.lo);
}

}  // namespace kt::audit
