// audit_logger.h — the `audit-logger` policy (product-spec §5). It decides nothing: it records
// `allow` in both phases so the decision event shows it ran. Its settings (immutable,
// retention_days, log_all_access, hipaa_audit_controls) are read by the audit writer, not here.
#pragma once

#include <memory>

#include "config/config.h"
#include "policies/policy.h"

namespace kt::policies {

std::unique_ptr<Policy> make_audit_logger(const config::AuditLoggerSettings& settings);

}  // namespace kt::policies
