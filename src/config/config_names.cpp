// The wire names of config.h's enums (also the names used in YAML, JSON and events).
#include "config/config.h"

namespace kt::config {

const char* to_string(Endpoint e) {
  switch (e) {
    case Endpoint::chat:
      return "chat";
    case Endpoint::completion:
      return "completion";
    case Endpoint::embedding:
      return "embedding";
    case Endpoint::image:
      return "image";
  }
  return "chat";
}

const char* to_string(WireFormat f) { return f == WireFormat::replicate ? "replicate" : "openai"; }

const char* to_string(Trigger t) {
  switch (t) {
    case Trigger::rate_limit:
      return "rate_limit";
    case Trigger::server_error:
      return "server_error";
    case Trigger::timeout:
      return "timeout";
    case Trigger::connection_error:
      return "connection_error";
  }
  return "server_error";
}

const char* to_string(Strategy s) {
  switch (s) {
    case Strategy::ordered:
      return "ordered";
    case Strategy::round_robin:
      return "round_robin";
    case Strategy::lowest_latency:
      return "lowest_latency";
  }
  return "ordered";
}

}  // namespace kt::config
