// event.h — the decision event (product-spec §6): one per request, built from the Exchange when
// the request is done, then handed to the AuditWriter, which assigns its chain position (`seq`),
// `prev_hash` and `hash` in commit order.
//
// Content is either the prompt as it left the gateway (after redaction, i.e. Exchange::body) plus
// the answer as sent, or nothing. It is built only from the body's messages/prompt and the answer
// text (never from headers), and anything that looks like a credential is replaced by [SECRET]
// as a last line of defence, as are the values of the credential variables the config names.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "gateway/exchange.h"

namespace kt::audit {

// 64 zeros: the prev_hash of a chain's first event.
inline constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

enum class ContentMode { redacted, none };

struct EventOptions {
  std::string gateway_id;
  ContentMode content = ContentMode::redacted;
  bool hipaa_audit_controls = false;  // adds identity headers and data categories
};

struct Event {
  std::string id;          // evt_<ULID>
  std::int64_t ts_ms = 0;  // the same instant as `timestamp`
  std::string timestamp;   // RFC 3339 UTC with milliseconds
  std::string request_id;
  std::string gateway_id;
  std::string pack_name, pack_version;
  bool pack_enabled = true;
  std::string config_hash;
  std::string route;
  std::string model;
  bool stream = false;
  std::string verdict;  // allow | redact | block | escalate
  std::string reason_code;
  int status = 0;        // HTTP status sent to the client
  std::string target;    // the target that served the answer ("" = none)
  bool degraded = false;  // some policy failed and --fail-mode decided
  std::string error;      // the error the client saw, if any
  std::vector<gateway::PolicyResult> policies;
  std::vector<gateway::Attempt> attempts;
  gateway::Usage usage;
  double latency_ms = 0;
  std::string client_ip;
  std::optional<std::string> user_id;
  bool hipaa = false;  // identity and data_categories are part of the event
  std::vector<std::pair<std::string, std::string>> identity;
  std::vector<std::string> data_categories;
  std::optional<boost::json::object> content;  // {"messages"|"prompt": …, "answer": "…"}
  // Chain fields, set by the AuditWriter.
  std::int64_t seq = 0;  // position in the gateway's chain, from 1
  std::string prev_hash;
  std::string hash;
  std::string canonical;  // the bytes `hash` covers (canonical_json), kept by link_event
};

Event make_event(const gateway::Exchange& ex, const EventOptions& options);

// The event as JSON in the fixed key order; `hash` is included only when with_hash.
boost::json::object to_json(const Event& ev, bool with_hash = true);
// to_json without `hash`, serialised without whitespace: the bytes the hash covers.
std::string canonical_json(const Event& ev);
// SHA-256(prev_hash || canonical) as 64 lowercase hex digits.
std::string chain_hash(std::string_view prev_hash, std::string_view canonical);
// Sets ev.seq/prev_hash/hash/canonical to extend a chain whose last event is (seq, hash);
// returns the canonical JSON that was hashed (ev.canonical).
const std::string& link_event(Event& ev, std::int64_t prev_seq, const std::string& prev_hash);

// log_all_access: false keeps only non-allow verdicts, errors (status >= 400) and degraded ones.
bool should_record(const Event& ev, const config::AuditLoggerSettings& settings);

// Registers a credential given on the command line (--api-token, --upstream-api-key) so that
// make_event replaces it like the credential variables; call before serving. Values shorter
// than 8 bytes are ignored (too short to search for without false positives).
void add_known_secret(std::string value);

// Replaces credential-looking substrings (Bearer tokens, sk-/r8_/ghp_/AKIA… keys, JWTs, PEM
// private keys) and every occurrence of a `known` secret value with "[SECRET]".
std::string scrub_secrets(std::string_view text, const std::vector<std::string>& known = {});

}  // namespace kt::audit
