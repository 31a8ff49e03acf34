#include "text.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstdint>
#include <ctime>
#include <random>

namespace kt::mock {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Text between the last `open` and the following `close` (or the end); nullopt if no `open`.
bool after_last(std::string_view s, std::string_view open, std::string_view close,
                std::string_view* out) {
  auto at = s.rfind(open);
  if (at == std::string_view::npos) return false;
  std::string_view rest = s.substr(at + open.size());
  *out = rest.substr(0, rest.find(close));
  return true;
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::string echo_answer(std::string_view user_text) {
  std::string out = "Hello! You said: ";
  out += user_text;
  return out;
}

std::vector<std::string> split_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && is_space(text[i])) ++i;
    while (i < text.size() && !is_space(text[i])) ++i;
    out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

int count_words(std::string_view text) {
  int n = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++n;
    }
  }
  return n;
}

std::string last_user_text(std::string_view prompt) {
  std::string_view found;
  if (after_last(prompt, "<|start_header_id|>user<|end_header_id|>", "<|eot_id|>", &found) ||
      after_last(prompt, "[INST]", "[/INST]", &found)) {
    return std::string(trim(found));
  }
  return std::string(trim(prompt));
}

std::string random_id(std::size_t len) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string out(len, 'a');
  for (auto& c : out) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1000000));
  return buf;
}

long long unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::vector<float> embed(std::string_view text, int dimensions) {
  std::vector<float> v(static_cast<std::size_t>(dimensions));
  std::uint64_t state = fnv1a(text);
  double norm = 0;
  for (auto& x : v) {
    state ^= state >> 12;  // xorshift64*: cheap and deterministic
    state ^= state << 25;
    state ^= state >> 27;
    std::uint64_t r = state * 2685821657736338717ULL;
    x = static_cast<float>(static_cast<double>(r >> 11) / static_cast<double>(1ULL << 53) * 2.0 -
                           1.0);
    norm += static_cast<double>(x) * x;
  }
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (auto& x : v) x = static_cast<float>(x / norm);
  }
  return v;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  out->assign(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return false;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out->resize(static_cast<std::size_t>(n) - pad);
  return true;
}

}  // namespace kt::mock
