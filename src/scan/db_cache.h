// db_cache.h — Hyperscan compilation with an on-disk cache of the compiled
// databases.
//
// Compiling kt's signature and PII sets takes seconds (hs_compile_multi is
// allocation-heavy), and the same sets are compiled at every start and reload.
// compile_multi_cached() has the contract of hs_compile_multi() (platform: the
// host), but first looks for the serialized database under a key that is the
// SHA-256 of the Hyperscan version, the host platform, the mode and every
// expression with its flags and id; a miss compiles and stores it (temp file +
// rename, so concurrent writers never expose a partial file). A file whose
// checksum or Hyperscan header does not fit is ignored and rewritten. Any cache
// problem falls back to compiling: the cache never changes a result. At most
// 256 entries are kept, the least recently used evicted first.
//
// Where: $KT_HS_CACHE_DIR, else $XDG_CACHE_HOME/kt/hyperscan, else
// $HOME/.cache/kt/hyperscan; KT_HS_CACHE_DIR=off disables it. The directory is
// created 0700 and used only while it is owned by the current user and not
// writable by group or others (deserializing a planted file would otherwise be
// a way in).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

struct hs_database;
struct hs_compile_error;

namespace kt::scan {

int compile_multi_cached(const char *const *expressions, const unsigned *flags, const unsigned *ids,
                         unsigned count, unsigned mode, hs_database **db, hs_compile_error **error);

// The directory in use, or nullopt when the cache is off or unusable.
std::optional<std::filesystem::path> database_cache_dir();

// Process-wide counters (for tests and the startup log).
struct DatabaseCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;  // compiled (cache off, absent, or unreadable entry)
  std::uint64_t writes = 0;
};
DatabaseCacheStats database_cache_stats();

}  // namespace kt::scan
