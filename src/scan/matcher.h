// matcher.h — a compiled Hyperscan pattern set: all patterns are found in one pass over the text.
//
// Build one Matcher when a config loads (compiling costs milliseconds), then share it: scan() and
// open_stream() are const and thread-safe. Each thread keeps its own Hyperscan scratch space
// (thread_scratch(): thread_local, grown for every database it meets), so nothing is locked.
// Every match reports its pattern id, its end and its leftmost start (HS_FLAG_SOM_LEFTMOST): a
// pattern that matches at several end offsets (`\d{12,19}` on 16 digits) yields one Match per end.
// Tracking starts is what makes a pattern without a literal prefix slow (an e-mail pattern scans
// at ~300 MB/s with starts and at GB/s without), so a pattern may opt out (leftmost_start false).
// The constructor throws std::invalid_argument naming the pattern that Hyperscan rejects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct hs_database;
struct hs_scratch;
struct hs_stream;

namespace kt::scan {

struct Pattern {
  std::string regex;           // Hyperscan (PCRE subset) syntax: no back-references, no lookaround
  unsigned id = 0;             // reported in Match::id; several patterns may share an id
  bool caseless = false;       // HS_FLAG_CASELESS
  bool dot_all = false;        // HS_FLAG_DOTALL: '.' also matches '\n'
  bool leftmost_start = true;  // false: Match::start is not computed (reported as 0)
};

// The longest text `pattern` can match, in bytes; SIZE_MAX when unbounded. Throws
// std::invalid_argument when Hyperscan rejects the pattern.
std::size_t max_match_width(const Pattern& pattern);

// A number that identifies one compiled Hyperscan database for thread_scratch(); never reused.
std::uint64_t new_database_serial();

// This thread's Hyperscan scratch space, fitted to `db` (identified by `serial`). One scratch per
// thread serves every database; hs_alloc_scratch only runs for a database this thread has not
// met recently, so a scan allocates nothing. Throws std::bad_alloc when it cannot grow.
hs_scratch* thread_scratch(const hs_database* db, std::uint64_t serial);

struct Match {
  unsigned id = 0;
  std::size_t start = 0;  // leftmost start of a match ending at `end`
  std::size_t end = 0;    // one past the last byte
};

class Matcher {
 public:
  enum class Modes { block, block_and_stream };

  explicit Matcher(const std::vector<Pattern>& patterns, Modes modes = Modes::block);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Appends every match in `text` to `out`, in order of end offset.
  void scan(std::string_view text, std::vector<Match>& out) const;

  // A streaming scan: matches may span write() calls; offsets count from the stream's first
  // byte. Starts are exact within the SOM horizon (HS_MODE_SOM_HORIZON_LARGE). Not thread-safe
  // itself (one Stream per consumer); the Matcher must outlive it.
  class Stream {
   public:
    Stream(Stream&& other) noexcept;
    Stream& operator=(Stream&&) = delete;
    ~Stream();
    void write(std::string_view chunk, std::vector<Match>& out);
    // Reports matches that only complete at end of data (e.g. a `$` anchor) and ends the stream.
    void close(std::vector<Match>& out);

   private:
    friend class Matcher;
    Stream(const Matcher* matcher, hs_stream* stream) : matcher_(matcher), stream_(stream) {}
    const Matcher* matcher_;
    hs_stream* stream_;
    std::size_t offset_ = 0;
  };
  // Requires Modes::block_and_stream (throws std::logic_error otherwise).
  Stream open_stream() const;

  std::size_t size() const { return pattern_count_; }

 private:
  hs_database* block_db_ = nullptr;
  hs_database* stream_db_ = nullptr;
  std::size_t pattern_count_ = 0;
  std::uint64_t block_serial_ = 0;  // thread_scratch() keys
  std::uint64_t stream_serial_ = 0;
};

}  // namespace kt::scan
