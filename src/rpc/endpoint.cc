#include "rpc/endpoint.h"

#include <charconv>

namespace memoryfs::rpc {

Result<Endpoint> ParseEndpoint(const std::string& text) {
  Endpoint e;
  std::string port_text = text;
  size_t colon = text.rfind(':');
  if (colon != std::string::npos) {
    e.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  int port = -1;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535 ||
      e.host.empty()) {
    return Status::Error(Code::kInvalidArgument,
                         "bad server address '" + text + "' (expected host:port, port 1..65535)");
  }
  e.port = port;
  return e;
}

}  // namespace memoryfs::rpc
