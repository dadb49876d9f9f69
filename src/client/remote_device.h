// RemoteDevice: one block server reached over XML-RPC, as a BlockDevice. This is the only
// place on the client side that knows xmlrpc-c: every exception and socket error becomes a
// Status here.
//
// Transport: HTTP/1.1 keep-alive over one TCP connection, falling back to a new connection per
// call with HTTP/1.0 servers (the course's Python server); never asks for gzip. Every call has
// a precise deadline of timeout_ms milliseconds. At-most-once: a refused connection, a reset or
// a timeout returns kUnavailable and nothing is retried; a kept-alive connection that the
// server closed while idle is noticed before anything is sent on it.
//
// Checksum errors are recognised in every convention peers use: a fault whose text holds
// CHECKSUM_ERROR or CORRUPT, an <int> or a string where base64 was expected, or an array
// carrying an error flag. All become kChecksumError.
//
// Not thread-safe: one thread at a time per RemoteDevice (the RAID array gives each server
// its own worker).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "client/block_device.h"
#include "core/request_counts.h"
#include "core/status.h"

namespace memoryfs {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
  bool operator==(const Endpoint&) const = default;
};

// Parses "host:port" or "port".
Result<Endpoint> ParseEndpoint(const std::string& text);

struct ServerInfo {
  RequestCounts counts;
  int num_blocks = 0;
  int block_size = 0;
};

class RemoteDevice : public BlockDevice {
 public:
  RemoteDevice(Endpoint endpoint, int num_blocks, int block_size, int timeout_ms);
  ~RemoteDevice() override;

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  int num_blocks() const override { return num_blocks_; }
  int block_size() const override { return block_size_; }

  // The server's own counters and geometry (our server's Stats method). A server without it
  // (the Python reference) answers kFault.
  Result<ServerInfo> Stats();

  // Requests this client sent (successful or not).
  const RequestCounts& sent() const { return sent_; }
  const Endpoint& endpoint() const { return endpoint_; }
  // Drops the connection; the next call connects afresh.
  void Disconnect();

 private:
  Result<Bytes> BlockCall(const char* method, int block);

  Endpoint endpoint_;
  int num_blocks_;
  int block_size_;
  int timeout_ms_;
  RequestCounts sent_;
  struct Connection;
  std::unique_ptr<Connection> conn_;
};

}  // namespace memoryfs
