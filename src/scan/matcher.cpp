#include "scan/matcher.h"

#include "scan/db_cache.h"

#include <hs/hs.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace kt::scan {
namespace {

std::atomic<std::uint64_t> next_serial{1};

// One scratch per thread, large enough for every database this thread has scanned with.
struct ThreadScratch {
  hs_scratch_t* scratch = nullptr;
  std::array<std::uint64_t, 16> fitted{};  // serials of recently fitted databases, a ring
  std::size_t next = 0;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};
thread_local ThreadScratch this_thread_scratch;

int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned,
             void* ctx) {
  auto* out = static_cast<std::vector<Match>*>(ctx);
  out->push_back(Match{id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;
}

unsigned flags_of(const Pattern& p) {
  return (p.leftmost_start ? HS_FLAG_SOM_LEFTMOST : 0u) | (p.caseless ? HS_FLAG_CASELESS : 0u) |
         (p.dot_all ? HS_FLAG_DOTALL : 0u);
}

hs_database_t* compile(const std::vector<Pattern>& patterns, unsigned mode) {
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (const Pattern& p : patterns) {
    exprs.push_back(p.regex.c_str());
    flags.push_back(flags_of(p));
    ids.push_back(p.id);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (compile_multi_cached(exprs.data(), flags.data(), ids.data(),
                           static_cast<unsigned>(exprs.size()), mode, &db, &err) != HS_SUCCESS) {
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

std::size_t max_match_width(const Pattern& pattern) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(pattern.regex.c_str(), flags_of(pattern), &info, &err) != HS_SUCCESS) {
    std::string what =
        "pattern \"" + pattern.regex + "\": " + (err != nullptr ? err->message : "invalid pattern");
    hs_free_compile_error(err);
    throw std::invalid_argument(what);
  }
  std::size_t width = info->max_width == UINT_MAX ? SIZE_MAX : info->max_width;
  std::free(info);  // allocated with the misc allocator, malloc by default
  return width;
}

std::uint64_t new_database_serial() { return next_serial.fetch_add(1); }

hs_scratch_t* thread_scratch(const hs_database_t* db, std::uint64_t serial) {
  ThreadScratch& ts = this_thread_scratch;
  for (std::uint64_t k : ts.fitted) {
    if (k == serial) return ts.scratch;
  }
  if (hs_alloc_scratch(db, &ts.scratch) != HS_SUCCESS) throw std::bad_alloc();
  ts.fitted[ts.next] = serial;
  ts.next = (ts.next + 1) % ts.fitted.size();
  return ts.scratch;
}

Matcher::Matcher(const std::vector<Pattern>& patterns, Modes modes)
    : pattern_count_(patterns.size()),
      block_serial_(new_database_serial()),
      stream_serial_(new_database_serial()) {
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
  hs_scratch_t* scratch = thread_scratch(block_db_, block_serial_);
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
  hs_scratch_t* scratch = thread_scratch(matcher_->stream_db_, matcher_->stream_serial_);
  hs_scan_stream(stream_, chunk.data(), static_cast<unsigned>(chunk.size()), 0, scratch,
                 on_match, &out);
}

void Matcher::Stream::close(std::vector<Match>& out) {
  if (stream_ == nullptr) return;
  hs_scratch_t* scratch = thread_scratch(matcher_->stream_db_, matcher_->stream_serial_);
  hs_close_stream(stream_, scratch, on_match, &out);
  stream_ = nullptr;
}

}  // namespace kt::scan
