// Endpoint: where one server listens, "host:port".
#pragma once

#include <string>

#include "core/status.h"

namespace memoryfs::rpc {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
  bool operator==(const Endpoint&) const = default;
};

// Parses "host:port" or "port" (host 127.0.0.1); kInvalidArgument naming the text otherwise.
Result<Endpoint> ParseEndpoint(const std::string& text);

}  // namespace memoryfs::rpc
