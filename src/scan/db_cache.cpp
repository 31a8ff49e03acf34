#include "scan/db_cache.h"

#include <fcntl.h>
#include <hs/hs.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace kt::scan {
namespace {

constexpr std::string_view kMagic = "kt-hsdb-1\n";
constexpr std::size_t kDigest = 32;
// Entries kept; the least recently used go first (a hit refreshes an entry's
// time). Configs with custom patterns each add entries, so the directory must
// not grow without bound.
constexpr std::size_t kMaxEntries = 256;

std::atomic<std::uint64_t> hits{0}, misses{0}, writes{0};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;
  void add(const void *data, std::size_t size) { EVP_DigestUpdate(ctx_, data, size); }
  template <class T>
  void add_value(const T &v) {
    add(&v, sizeof v);
  }
  std::string finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    return std::string(reinterpret_cast<char *>(out), len);
  }

 private:
  EVP_MD_CTX *ctx_;
};

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string digest_of(std::string_view payload) {
  Sha256 h;
  h.add(payload.data(), payload.size());
  return h.finish();
}

std::string key_of(const char *const *expressions, const unsigned *flags, const unsigned *ids,
                   unsigned count, unsigned mode) {
  Sha256 h;
  const char *version = hs_version();
  h.add(version, std::strlen(version) + 1);
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) {
    h.add_value(platform.tune);
    h.add_value(platform.cpu_features);
  }
  h.add_value(mode);
  h.add_value(count);
  for (unsigned i = 0; i < count; ++i) {
    h.add_value(flags[i]);
    h.add_value(ids[i]);
    h.add(expressions[i], std::strlen(expressions[i]) + 1);
  }
  return hex(h.finish());
}

// A directory only this user can write to, or nothing.
bool private_dir(const std::filesystem::path &dir) {
  std::error_code ec;
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  ::mkdir(dir.c_str(), 0700);  // EEXIST is fine: the checks below decide
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

hs_database_t *load(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return nullptr;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() <= kMagic.size() + kDigest || data.compare(0, kMagic.size(), kMagic) != 0) {
    return nullptr;
  }
  std::string_view payload(data.data() + kMagic.size() + kDigest,
                           data.size() - kMagic.size() - kDigest);
  if (digest_of(payload) != std::string_view(data.data() + kMagic.size(), kDigest)) {
    return nullptr;
  }
  hs_database_t *db = nullptr;
  if (hs_deserialize_database(payload.data(), payload.size(), &db) != HS_SUCCESS) return nullptr;
  return db;
}

void evict_least_recently_used(const std::filesystem::path &dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() != ".hsdb") continue;
    fs::file_time_type t = it->last_write_time(ec);
    if (!ec) entries.emplace_back(t, it->path());
  }
  if (entries.size() <= kMaxEntries) return;
  std::sort(entries.begin(), entries.end());
  for (std::size_t i = 0; i < entries.size() - kMaxEntries; ++i) fs::remove(entries[i].second, ec);
}

void store(const std::filesystem::path &dir, const std::filesystem::path &file,
           const hs_database_t *db) {
  char *bytes = nullptr;
  std::size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return;
  std::string payload(bytes, length);
  std::free(bytes);  // allocated by Hyperscan's misc allocator (malloc)
  std::string tmp_template = (dir / ".tmp-XXXXXX").string();
  int fd = ::mkstemp(tmp_template.data());
  if (fd < 0) return;
  std::string header = std::string(kMagic) + digest_of(payload);
  bool ok = true;
  for (std::string_view part : {std::string_view(header), std::string_view(payload)}) {
    while (ok && !part.empty()) {
      ssize_t n = ::write(fd, part.data(), part.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = false;
        break;
      }
      part.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(tmp_template.c_str(), file.c_str()) == 0) {
    writes.fetch_add(1, std::memory_order_relaxed);
    evict_least_recently_used(dir);
  } else {
    ::unlink(tmp_template.c_str());
  }
}

}  // namespace

std::optional<std::filesystem::path> database_cache_dir() {
  std::filesystem::path dir;
  if (const char *v = std::getenv("KT_HS_CACHE_DIR"); v != nullptr && *v != '\0') {
    if (std::string_view(v) == "off") return std::nullopt;
    dir = v;
  } else if (const char *x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x == '/') {
    dir = std::filesystem::path(x) / "kt" / "hyperscan";
  } else if (const char *home = std::getenv("HOME"); home != nullptr && *home == '/') {
    dir = std::filesystem::path(home) / ".cache" / "kt" / "hyperscan";
  } else {
    return std::nullopt;
  }
  if (!private_dir(dir)) return std::nullopt;
  return dir;
}

int compile_multi_cached(const char *const *expressions, const unsigned *flags, const unsigned *ids,
                         unsigned count, unsigned mode, hs_database_t **db,
                         hs_compile_error_t **error) {
  std::optional<std::filesystem::path> dir = database_cache_dir();
  std::filesystem::path file;
  if (dir) {
    file = *dir / (key_of(expressions, flags, ids, count, mode) + ".hsdb");
    if (hs_database_t *cached = load(file)) {
      hits.fetch_add(1, std::memory_order_relaxed);
      ::utimensat(AT_FDCWD, file.c_str(), nullptr, 0);  // recently used
      *db = cached;
      *error = nullptr;
      return HS_SUCCESS;
    }
  }
  misses.fetch_add(1, std::memory_order_relaxed);
  hs_error_t rc = hs_compile_multi(expressions, flags, ids, count, mode, nullptr, db, error);
  if (rc == HS_SUCCESS && dir) store(*dir, file, *db);
  return rc;
}

DatabaseCacheStats database_cache_stats() {
  return {hits.load(std::memory_order_relaxed), misses.load(std::memory_order_relaxed),
          writes.load(std::memory_order_relaxed)};
}

}  // namespace kt::scan
