// audit_test_util.h — shared helpers for the audit tests: temp directories and sample events.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "audit/event.h"
#include "audit/time_format.h"
#include "audit/ulid.h"

namespace kt::audit::testing {

// A fresh directory under /tmp, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kt-audit-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline Event sample_event(int i, const std::string& verdict = "allow",
                          std::int64_t ts = now_ms()) {
  Event ev;
  ev.id = "evt_" + new_ulid();
  ev.ts_ms = ts;
  ev.timestamp = format_rfc3339_ms(ts);
  ev.request_id = "req-" + std::to_string(i);
  ev.gateway_id = "gw-test";
  ev.pack_name = "pack";
  ev.pack_version = "1.0.0";
  ev.config_hash = "cfg";
  ev.route = "/v1/chat/completions";
  ev.model = i % 2 ? "gpt-4o" : "llama";
  ev.verdict = verdict;
  ev.reason_code = verdict == "block" ? "prompt_injection.detected" : "";
  ev.status = verdict == "block" ? 409 : 200;
  ev.target = i % 2 ? "openai-fallback" : "replicate-llama";
  ev.latency_ms = 12.5;
  ev.client_ip = "127.0.0.1";
  return ev;
}

}  // namespace kt::audit::testing
