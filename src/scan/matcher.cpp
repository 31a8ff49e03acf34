#include "scan/matcher.h"

#include <hs/hs.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <stdexcept>

namespace kt::scan {
namespace {

std::atomic<std::uint64_t> next_serial{1};

// One scratch per thread, large enough for every database this thread has scanned with.
// hs_alloc_scratch() is only called for a database not seen recently on this thread.
struct ThreadScratch {
  hs_scratch_t* scratch = nullptr;
  std::array<std::uint64_t, 16> fitted{};  // serial*2 + (stream ? 1 : 0), ring buffer
  std::size_t next = 0;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
  hs_scratch_t* for_db(const hs_database_t* db, std::uint64_t key) {
    for (std::uint64_t k : fitted) {
      if (k == key) return scratch;
    }
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) throw std::bad_alloc();
    fitted[next] = key;
    next = (next + 1) % fitted.size();
    return scratch;
  }
};
thread_local ThreadScratch thread_scratch;

int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned,
             void* ctx) {
  auto* out = static_cast<std::vector<Match>*>(ctx);
  out->push_back(Match{id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;
}

hs_database_t* compile(const std::vector<Pattern>& patterns, unsigned mode) {
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (const Pattern& p : patterns) {
    exprs.push_back(p.regex.c_str());
    flags.push_back(HS_FLAG_SOM_LEFTMOST | (p.caseless ? HS_FLAG_CASELESS : 0u) |
                    (p.dot_all ? HS_FLAG_DOTALL : 0u));
    ids.push_back(p.id);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(exprs.size()), mode, nullptr, &db,
                       &err) != HS_SUCCESS) {
    std::string what = "invalid pattern";
    if (err != nullptr) {
      if (err->expression >= 0 && static_cast<std::size_t>(err->expression) < patterns.size()) {
        what = "pattern " + std::to_string(err->expression) + " \"" +
               patterns[err->expression].regex + "\": " + err->message;
      } else {
        what = std::string("pattern set: ") + err->message;
      }
      hs_free_compile_error(err);
    }
    throw std::invalid_argument(what);
  }
  return db;
}

}  // namespace

Matcher::Matcher(const std::vector<Pattern>& patterns, Modes modes)
    : pattern_count_(patterns.size()), serial_(next_serial.fetch_add(1)) {
  if (patterns.empty()) return;  // nothing to find: scan() reports nothing
  block_db_ = compile(patterns, HS_MODE_BLOCK);
  if (modes == Modes::block_and_stream) {
    try {
      stream_db_ = compile(patterns, HS_MODE_STREAM | HS_MODE_SOM_HORIZON_LARGE);
    } catch (...) {
      hs_free_database(block_db_);
      throw;
    }
  }
}

Matcher::~Matcher() {
  if (block_db_ != nullptr) hs_free_database(block_db_);
  if (stream_db_ != nullptr) hs_free_database(stream_db_);
}

void Matcher::scan(std::string_view text, std::vector<Match>& out) const {
  if (block_db_ == nullptr) return;
  hs_scratch_t* scratch = thread_scratch.for_db(block_db_, serial_ * 2);
  hs_scan(block_db_, text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match, &out);
}

Matcher::Stream Matcher::open_stream() const {
  if (pattern_count_ > 0 && stream_db_ == nullptr) {
    throw std::logic_error("Matcher::open_stream: matcher was built without streaming mode");
  }
  hs_stream_t* stream = nullptr;
  if (stream_db_ != nullptr && hs_open_stream(stream_db_, 0, &stream) != HS_SUCCESS) {
    throw std::bad_alloc();
  }
  return Stream(this, stream);
}

Matcher::Stream::Stream(Stream&& other) noexcept
    : matcher_(other.matcher_), stream_(other.stream_), offset_(other.offset_) {
  other.stream_ = nullptr;
}

Matcher::Stream::~Stream() {
  if (stream_ != nullptr) hs_close_stream(stream_, nullptr, nullptr, nullptr);
}

void Matcher::Stream::write(std::string_view chunk, std::vector<Match>& out) {
  offset_ += chunk.size();
  if (stream_ == nullptr) return;
  hs_scratch_t* scratch = thread_scratch.for_db(matcher_->stream_db_, matcher_->serial_ * 2 + 1);
  hs_scan_stream(stream_, chunk.data(), static_cast<unsigned>(chunk.size()), 0, scratch,
                 on_match, &out);
}

void Matcher::Stream::close(std::vector<Match>& out) {
  if (stream_ == nullptr) return;
  hs_scratch_t* scratch = thread_scratch.for_db(matcher_->stream_db_, matcher_->serial_ * 2 + 1);
  hs_close_stream(stream_, scratch, on_match, &out);
  stream_ = nullptr;
}

}  // namespace kt::scan
