// audit_logger.cpp — see audit_logger.h.
#include "policies/audit_logger.h"

namespace kt::policies {
namespace {

class AuditLoggerPolicy : public Policy {
 public:
  std::string_view kind() const override { return "audit-logger"; }
  Decision on_request(Exchange&) override { return {}; }
};

}  // namespace

std::unique_ptr<Policy> make_audit_logger(const config::AuditLoggerSettings&) {
  return std::make_unique<AuditLoggerPolicy>();
}

}  // namespace kt::policies
