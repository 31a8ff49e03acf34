// gateway_impl.h — Gateway's private state, shared by gateway.cpp and pipeline.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "audit/store.h"
#include "audit/writer.h"
#include "gateway/gateway.h"
#include "gateway/runtime.h"
#include "routing/limiter.h"
#include "routing/router.h"

namespace kt::gateway {

struct Gateway::Impl {
  explicit Impl(GatewayOptions o)
      : opts(std::move(o)),
        limiter(opts.max_concurrency, opts.max_queue, opts.queue_timeout) {}

  GatewayOptions opts;
  routing::TargetStates target_states;
  routing::ConcurrencyLimiter limiter;

  // The published runtime. Readers keep a per-thread copy and refresh it only when the
  // generation changes, so the request path takes no lock.
  mutable std::mutex rt_mu;
  std::shared_ptr<const Runtime> rt;
  std::atomic<std::uint64_t> generation{0};
  std::mutex reload_mu;  // one reload at a time

  std::shared_ptr<audit::EventStore> store;
  std::unique_ptr<audit::AuditWriter> writer;
  config::AuditLoggerSettings audit_settings;
  bool audit_enabled = false;   // audit-logger in the chain
  bool content_none = false;
  std::atomic<std::uint64_t> requests_processed{0};
  std::atomic<std::uint64_t> audit_rejected{0};
};

}  // namespace kt::gateway
