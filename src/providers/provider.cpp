#include "providers/provider.h"

#include "providers/openai.h"
#include "providers/replicate.h"

namespace kt::providers {

const char* to_string(Failure f) {
  switch (f) {
    case Failure::none: return "none";
    case Failure::rate_limit: return "rate_limit";
    case Failure::server_error: return "server_error";
    case Failure::timeout: return "timeout";
    case Failure::connection_error: return "connection_error";
    case Failure::bad_request: return "bad_request";
    case Failure::auth: return "auth";
    case Failure::not_found: return "not_found";
    case Failure::canceled: return "canceled";
  }
  return "none";
}

Provider& provider_for(config::WireFormat format) {
  switch (format) {
    case config::WireFormat::openai: return openai_provider();
    case config::WireFormat::replicate: return replicate_provider();
  }
  return openai_provider();
}

}  // namespace kt::providers
