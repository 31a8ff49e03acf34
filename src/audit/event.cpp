#include "audit/event.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "audit/time_format.h"
#include "audit/ulid.h"

namespace kt::audit {

namespace json = boost::json;

namespace {

constexpr std::string_view kSecretMarker = "[SECRET]";

constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  t['_'] = t['-'] = true;
  return t;
}();

bool is_token_char(char c) { return kTokenChar[static_cast<unsigned char>(c)]; }

// Key prefixes of the common providers; a match needs enough token characters after it.
constexpr std::array<std::string_view, 21> kKeyPrefixes = {
    "sk-", "sk_live_", "sk_test_", "rk_live_", "rk_test_", "r8_", "ghp_", "gho_", "ghu_", "ghs_",
    "ghr_", "github_pat_", "xoxb-", "xoxp-", "xoxa-", "xoxr-", "AKIA", "ASIA", "AIza", "hf_",
    "glpat-"};

std::size_t token_end(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_token_char(s[pos])) ++pos;
  return pos;
}

// The first characters of every form credential_at() knows (key prefixes, JWT, PEM, Bearer):
// most boundaries are rejected by one table lookup.
constexpr std::array<bool, 256> kCredentialFirst = [] {
  std::array<bool, 256> t{};
  for (std::string_view p : kKeyPrefixes) t[static_cast<unsigned char>(p[0])] = true;
  for (char c : {'e', '-', 'B', 'b'}) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// Length of a credential starting at `i` (0 = none). `i` is at a token boundary.
std::size_t credential_at(std::string_view s, std::size_t i) {
  if (!kCredentialFirst[static_cast<unsigned char>(s[i])]) return 0;
  const std::string_view rest = s.substr(i);
  for (std::string_view p : kKeyPrefixes) {
    if (p[0] == rest[0] && rest.starts_with(p)) {
      const std::size_t end = token_end(s, i + p.size());
      if (end - (i + p.size()) >= 12) return end - i;
    }
  }
  if (rest.starts_with("eyJ")) {  // JWT: three base64url segments
    std::size_t end = token_end(s, i);
    int dots = 0;
    while (end < s.size() && s[end] == '.' && dots < 2) {
      ++dots;
      end = token_end(s, end + 1);
    }
    if (dots == 2 && end - i >= 20) return end - i;
  }
  if (rest.starts_with("-----BEGIN") && rest.find("PRIVATE KEY-----") != std::string_view::npos) {
    const std::size_t stop = rest.find("-----END");
    if (stop == std::string_view::npos) return rest.size();
    const std::size_t close = rest.find("-----", stop + 8);
    return close == std::string_view::npos ? rest.size() : close + 5;
  }
  if (rest.size() > 7 && (rest.starts_with("Bearer ") || rest.starts_with("bearer "))) {
    const std::size_t end = token_end(s, i + 7);
    if (end - (i + 7) >= 8) return end - i;
  }
  return 0;
}

void replace_known(std::string& text, const std::vector<std::string>& known) {
  for (const std::string& secret : known) {
    if (secret.size() < 8) continue;  // too short to search for without false positives
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kSecretMarker.size())) {
      text.replace(at, secret.size(), kSecretMarker);
    }
  }
}

std::mutex g_cli_secrets_mu;
std::vector<std::string>& cli_secrets() {
  static std::vector<std::string> values;
  return values;
}

std::uint64_t g_cli_secrets_generation = 0;  // under g_cli_secrets_mu; bumped on every change

std::vector<std::string> read_known_secrets(const config::ConfigPtr& cfg) {
  std::vector<std::string> values;
  {
    std::lock_guard lock(g_cli_secrets_mu);
    values = cli_secrets();
  }
  std::vector<std::string> names = {"KEEPTRUSTS_GATEWAY_TOKEN", "KEEPTRUSTS_UPSTREAM_API_KEY"};
  if (cfg) {
    for (const auto& t : cfg->providers.targets) {
      if (!t.secret_env.empty()) names.push_back(t.secret_env);
    }
  }
  for (const auto& n : names) {
    if (const char* v = std::getenv(n.c_str()); v && *v) values.emplace_back(v);
  }
  return values;
}

// The secret values for events made under `cfg`: read once per thread and config (reading
// them meant a getenv and a string copy per credential variable for every event).
const std::vector<std::string>& known_secrets(const config::ConfigPtr& cfg) {
  thread_local config::ConfigPtr cached_cfg;
  thread_local std::uint64_t cached_generation = ~std::uint64_t{0};
  thread_local std::vector<std::string> cached;
  std::uint64_t generation;
  {
    std::lock_guard lock(g_cli_secrets_mu);
    generation = g_cli_secrets_generation;
  }
  if (cached_generation != generation || cached_cfg != cfg) {
    cached = read_known_secrets(cfg);
    cached_cfg = cfg;
    cached_generation = generation;
  }
  return cached;
}

bool credential_header(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view bad : {"authorization", "cookie", "key", "token", "secret", "password",
                               "credential", "signature", "session"}) {
    if (name.find(bad) != std::string::npos) return true;
  }
  return false;
}

// The text parts of a message's content; other parts (images, audio) are named, not copied.
json::value message_content(const json::value& content, const std::vector<std::string>& known) {
  if (content.is_string()) return json::string(scrub_secrets(content.get_string(), known));
  if (!content.is_array()) return nullptr;
  json::array parts;
  for (const auto& part : content.get_array()) {
    if (!part.is_object()) continue;
    const auto& obj = part.get_object();
    const auto* type = obj.if_contains("type");
    const auto* text = obj.if_contains("text");
    if (text && text->is_string()) {
      parts.push_back(json::object{{"type", "text"},
                                   {"text", scrub_secrets(text->get_string(), known)}});
    } else if (type && type->is_string()) {
      parts.push_back(json::object{{"type", type->get_string()}});
    }
  }
  return parts;
}

json::value prompt_text(const json::value& v, const std::vector<std::string>& known) {
  if (v.is_string()) return json::string(scrub_secrets(v.get_string(), known));
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.get_array()) {
      if (item.is_string()) out.push_back(json::string(scrub_secrets(item.get_string(), known)));
    }
    return out;
  }
  return nullptr;
}

json::object build_content(const gateway::Exchange& ex, const std::vector<std::string>& known) {
  json::object content;
  if (const auto* body = ex.body.if_object()) {
    if (const auto* msgs = body->if_contains("messages"); msgs && msgs->is_array()) {
      json::array out;
      for (const auto& m : msgs->get_array()) {
        if (!m.is_object()) continue;
        const auto& mo = m.get_object();
        json::object rec;
        if (const auto* role = mo.if_contains("role"); role && role->is_string()) {
          rec["role"] = role->get_string();
        }
        if (const auto* c = mo.if_contains("content")) rec["content"] = message_content(*c, known);
        out.push_back(std::move(rec));
      }
      content["messages"] = std::move(out);
    } else if (const auto* p = body->if_contains("prompt")) {
      content["prompt"] = prompt_text(*p, known);
    } else if (const auto* in = body->if_contains("input")) {
      content["prompt"] = prompt_text(*in, known);
    }
  }
  content["answer"] = scrub_secrets(ex.answer_text, known);
  return content;
}

json::value tokens(std::int64_t n) { return n < 0 ? json::value(nullptr) : json::value(n); }
json::value millis(double ms) { return ms < 0 ? json::value(nullptr) : json::value(ms); }

}  // namespace

std::string scrub_secrets(std::string_view text, const std::vector<std::string>& known) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text[copied, i) is still to be appended
  for (std::size_t i = 0; i < text.size();) {
    if (kCredentialFirst[static_cast<unsigned char>(text[i])] &&
        (i == 0 || !is_token_char(text[i - 1]))) {
      if (const std::size_t n = credential_at(text, i)) {
        out.append(text.substr(copied, i - copied));
        if (text.substr(i).starts_with("Bearer ") || text.substr(i).starts_with("bearer ")) {
          out.append(text.substr(i, 7));
        }
        out += kSecretMarker;
        i += n;
        copied = i;
        continue;
      }
    }
    ++i;
  }
  out.append(text.substr(copied));
  replace_known(out, known);
  return out;
}

void add_known_secret(std::string value) {
  if (value.size() < 8) return;
  std::lock_guard lock(g_cli_secrets_mu);
  auto& values = cli_secrets();
  if (std::find(values.begin(), values.end(), value) == values.end()) {
    values.push_back(std::move(value));
    ++g_cli_secrets_generation;
  }
}

Event make_event(const gateway::Exchange& ex, const EventOptions& options) {
  const std::vector<std::string>& known = known_secrets(ex.config);
  Event ev;
  ev.id = "evt_" + new_ulid();
  ev.ts_ms = now_ms();
  ev.timestamp = format_rfc3339_ms(ev.ts_ms);
  ev.request_id = ex.request_id;
  ev.gateway_id = options.gateway_id;
  if (ex.config) {
    ev.pack_name = ex.config->pack.name;
    ev.pack_version = ex.config->pack.version;
    ev.pack_enabled = ex.config->pack.enabled;
    ev.config_hash = ex.config->hash;
  }
  ev.route = gateway::to_string(ex.route);
  ev.model = ex.model;
  ev.stream = ex.stream;
  ev.verdict = gateway::to_string(ex.verdict);
  ev.reason_code = ex.reason_code;
  ev.status = ex.status;
  ev.target = ex.served_by;
  ev.error = scrub_secrets(ex.error_message, known);
  ev.policies = ex.policies;
  for (const auto& p : ev.policies) ev.degraded = ev.degraded || p.degraded;
  ev.attempts = ex.attempts;
  for (auto& a : ev.attempts) a.error = scrub_secrets(a.error, known);
  ev.usage = ex.usage;
  ev.latency_ms =
      std::chrono::duration<double, std::milli>(gateway::Exchange::clock::now() - ex.started)
          .count();
  ev.client_ip = ex.client_ip;
  if (!ex.user_id.empty()) ev.user_id = ex.user_id;
  if (options.hipaa_audit_controls) {
    ev.hipaa = true;
    for (const auto& [name, value] : ex.identity) {
      if (!credential_header(name)) ev.identity.emplace_back(name, scrub_secrets(value, known));
    }
    ev.data_categories = ex.data_categories;
  }
  if (options.content == ContentMode::redacted) ev.content = build_content(ex, known);
  return ev;
}

json::object to_json(const Event& ev, bool with_hash) {
  json::object o;
  o["id"] = ev.id;
  o["timestamp"] = ev.timestamp;
  o["request_id"] = ev.request_id;
  o["gateway_id"] = ev.gateway_id;
  o["pack"] = json::object{{"name", ev.pack_name},
                           {"version", ev.pack_version},
                           {"enabled", ev.pack_enabled},
                           {"config_hash", ev.config_hash}};
  o["route"] = ev.route;
  o["model"] = ev.model;
  o["stream"] = ev.stream;
  o["verdict"] = ev.verdict;
  o["reason_code"] = ev.reason_code;
  o["status"] = ev.status;
  o["target"] = ev.target;
  o["degraded"] = ev.degraded;
  o["error"] = ev.error;
  json::array policies;
  for (const auto& p : ev.policies) {
    json::object po;
    po["kind"] = p.kind;
    po["phase"] = gateway::to_string(p.phase);
    po["verdict"] = p.verdict;
    po["reason_code"] = p.reason_code;
    po["latency_us"] = p.latency_us;
    po["findings"] = p.findings;
    po["degraded"] = p.degraded;
    policies.push_back(std::move(po));
  }
  o["policies"] = std::move(policies);
  json::array attempts;
  for (const auto& a : ev.attempts) {
    attempts.push_back(json::object{{"target", a.target},
                                    {"provider", a.provider},
                                    {"status", a.status},
                                    {"error", a.error},
                                    {"latency_ms", a.latency_ms},
                                    {"ttfb_ms", millis(a.ttfb_ms)},
                                    {"queue_ms", millis(a.queue_ms)}});
  }
  o["attempts"] = std::move(attempts);
  const auto& u = ev.usage;
  o["usage"] = json::object{
      {"prompt_tokens", tokens(u.prompt_tokens)},
      {"completion_tokens", tokens(u.completion_tokens)},
      {"total_tokens", u.prompt_tokens < 0 || u.completion_tokens < 0
                           ? json::value(nullptr)
                           : json::value(u.prompt_tokens + u.completion_tokens)}};
  o["latency_ms"] = ev.latency_ms;
  json::object client{{"ip", ev.client_ip}};
  if (ev.user_id) client["user_id"] = *ev.user_id;
  o["client"] = std::move(client);
  if (ev.hipaa) {
    json::object identity;
    for (const auto& [name, value] : ev.identity) identity[name] = value;
    o["identity"] = std::move(identity);
    json::array cats;
    for (const auto& c : ev.data_categories) cats.push_back(json::string(c));
    o["data_categories"] = std::move(cats);
  }
  o["content"] = ev.content ? json::value(*ev.content) : json::value(nullptr);
  o["seq"] = ev.seq;
  o["prev_hash"] = ev.prev_hash;
  if (with_hash) o["hash"] = ev.hash;
  return o;
}

namespace {

// The canonical JSON is written straight into one string, in to_json's key order and with
// Boost.JSON's escaping and number formats, so its bytes equal json::serialize(to_json(ev,
// false)) (a unit test compares them) without building and freeing a json::object per event
// (that was a third of the audit writer's instructions per event).
class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string& out) : out_(out) {}

  void key(std::string_view k) {
    comma();
    put_string(k);
    out_.push_back(':');
    pending_value_ = true;  // the value follows without a comma
  }
  void open(char c) {
    comma();
    out_.push_back(c);
    first_ = true;
  }
  void close(char c) {
    out_.push_back(c);
    first_ = false;
  }
  void str(std::string_view s) {
    comma();
    put_string(s);
    first_ = false;
  }
  void boolean(bool b) { raw(b ? "true" : "false"); }
  void null() { raw("null"); }
  template <class Int>
  void integer(Int v) {
    comma();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
    first_ = false;
  }
  // Doubles as Boost.JSON prints them ("2.5E0"): few per event, so its own serializer.
  void number(double d) { raw(json::serialize(json::value(d))); }
  void object(const json::object& o) { raw(json::serialize(o)); }
  void raw(std::string_view text) {
    comma();
    out_.append(text);
    first_ = false;
  }

 private:
  void put_string(std::string_view s) {
    out_.push_back('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_.append("\\\""); break;
        case '\\': out_.append("\\\\"); break;
        case '\b': out_.append("\\b"); break;
        case '\f': out_.append("\\f"); break;
        case '\n': out_.append("\\n"); break;
        case '\r': out_.append("\\r"); break;
        case '\t': out_.append("\\t"); break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out_.append(esc, 6);
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }
  void comma() {
    if (pending_value_) {
      pending_value_ = false;
      return;
    }
    if (!first_) out_.push_back(',');
  }
  std::string& out_;
  bool first_ = true;
  bool pending_value_ = false;
};

}  // namespace

std::string canonical_json(const Event& ev) {
  std::string out;
  std::size_t estimate = 1024;
  for (const auto& a : ev.attempts) estimate += 160 + a.error.size();
  estimate += ev.error.size() + 200 * ev.policies.size();
  out.reserve(estimate);
  CanonicalWriter w(out);
  w.open('{');
  w.key("id"), w.str(ev.id);
  w.key("timestamp"), w.str(ev.timestamp);
  w.key("request_id"), w.str(ev.request_id);
  w.key("gateway_id"), w.str(ev.gateway_id);
  w.key("pack"), w.open('{');
  w.key("name"), w.str(ev.pack_name);
  w.key("version"), w.str(ev.pack_version);
  w.key("enabled"), w.boolean(ev.pack_enabled);
  w.key("config_hash"), w.str(ev.config_hash);
  w.close('}');
  w.key("route"), w.str(ev.route);
  w.key("model"), w.str(ev.model);
  w.key("stream"), w.boolean(ev.stream);
  w.key("verdict"), w.str(ev.verdict);
  w.key("reason_code"), w.str(ev.reason_code);
  w.key("status"), w.integer(static_cast<std::int64_t>(ev.status));
  w.key("target"), w.str(ev.target);
  w.key("degraded"), w.boolean(ev.degraded);
  w.key("error"), w.str(ev.error);
  w.key("policies"), w.open('[');
  for (const auto& p : ev.policies) {
    w.open('{');
    w.key("kind"), w.str(p.kind);
    w.key("phase"), w.str(gateway::to_string(p.phase));
    w.key("verdict"), w.str(p.verdict);
    w.key("reason_code"), w.str(p.reason_code);
    w.key("latency_us"), w.integer(p.latency_us);
    w.key("findings"), w.object(p.findings);
    w.key("degraded"), w.boolean(p.degraded);
    w.close('}');
  }
  w.close(']');
  w.key("attempts"), w.open('[');
  for (const auto& a : ev.attempts) {
    w.open('{');
    w.key("target"), w.str(a.target);
    w.key("provider"), w.str(a.provider);
    w.key("status"), w.integer(static_cast<std::int64_t>(a.status));
    w.key("error"), w.str(a.error);
    w.key("latency_ms"), w.number(a.latency_ms);
    w.key("ttfb_ms");
    a.ttfb_ms < 0 ? w.null() : w.number(a.ttfb_ms);
    w.key("queue_ms");
    a.queue_ms < 0 ? w.null() : w.number(a.queue_ms);
    w.close('}');
  }
  w.close(']');
  const auto& u = ev.usage;
  w.key("usage"), w.open('{');
  w.key("prompt_tokens");
  u.prompt_tokens < 0 ? w.null() : w.integer(u.prompt_tokens);
  w.key("completion_tokens");
  u.completion_tokens < 0 ? w.null() : w.integer(u.completion_tokens);
  w.key("total_tokens");
  u.prompt_tokens < 0 || u.completion_tokens < 0
      ? w.null()
      : w.integer(u.prompt_tokens + u.completion_tokens);
  w.close('}');
  w.key("latency_ms"), w.number(ev.latency_ms);
  w.key("client"), w.open('{');
  w.key("ip"), w.str(ev.client_ip);
  if (ev.user_id) w.key("user_id"), w.str(*ev.user_id);
  w.close('}');
  if (ev.hipaa) {
    // As a json::object would hold them: a repeated name keeps its last value, in the place
    // of its first.
    w.key("identity"), w.open('{');
    for (std::size_t i = 0; i < ev.identity.size(); ++i) {
      const std::string& name = ev.identity[i].first;
      bool seen = false;
      for (std::size_t j = 0; j < i && !seen; ++j) seen = ev.identity[j].first == name;
      if (seen) continue;
      const std::string* value = &ev.identity[i].second;
      for (std::size_t j = i + 1; j < ev.identity.size(); ++j) {
        if (ev.identity[j].first == name) value = &ev.identity[j].second;
      }
      w.key(name), w.str(*value);
    }
    w.close('}');
    w.key("data_categories"), w.open('[');
    for (const auto& c : ev.data_categories) w.str(c);
    w.close(']');
  }
  w.key("content");
  ev.content ? w.object(*ev.content) : w.null();
  w.key("seq"), w.integer(ev.seq);
  w.key("prev_hash"), w.str(ev.prev_hash);
  w.close('}');
  return out;
}

std::string chain_hash(std::string_view prev_hash, std::string_view canonical) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, prev_hash.data(), prev_hash.size()) == 1 &&
                  EVP_DigestUpdate(ctx, canonical.data(), canonical.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("audit: SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  return hex;
}

const std::string& link_event(Event& ev, std::int64_t prev_seq, const std::string& prev_hash) {
  ev.seq = prev_seq + 1;
  ev.prev_hash = prev_hash;
  ev.canonical = canonical_json(ev);
  ev.hash = chain_hash(ev.prev_hash, ev.canonical);
  return ev.canonical;
}

bool should_record(const Event& ev, const config::AuditLoggerSettings& settings) {
  if (settings.log_all_access) return true;
  return ev.verdict != "allow" || ev.status >= 400 || ev.degraded || !ev.error.empty();
}

}  // namespace kt::audit
