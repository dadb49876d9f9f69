// RemoteDevice: one block server reached over XML-RPC, as a BlockDevice. The transport is
// rpc::HttpClient (keep-alive, precise deadlines, at-most-once); the dialect is client/wire
// (the only client code that knows xmlrpc-c). Errors are classified there and here, once:
//
//   kUnavailable    refused, reset, closed, or no reply within timeout_ms ("timed out after
//                   N ms"): the server is gone
//   kChecksumError  the server reported a corrupt block, in any peer's convention
//   kOutOfRange     the server refused the block number
//   kProtocolError  a malformed reply, an HTTP error, a block of the wrong size
//   kFault          any other fault
//
// Threads: not thread-safe; one thread at a time per RemoteDevice (see raid/fanout.h for how
// the array keeps to that).
#pragma once

#include <memory>
#include <string>

#include "client/block_device.h"
#include "client/wire.h"
#include "core/request_counts.h"
#include "core/status.h"
#include "rpc/endpoint.h"
#include "rpc/http_client.h"

namespace memoryfs::client {

using wire::ServerInfo;

class RemoteDevice : public BlockDevice {
 public:
  RemoteDevice(rpc::Endpoint endpoint, int num_blocks, int block_size, int timeout_ms);

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  int num_blocks() const override { return num_blocks_; }
  int block_size() const override { return block_size_; }

  // The server's own counters and geometry (our server's Stats method). A server without it
  // (the Python reference) answers kFault.
  Result<ServerInfo> Stats();

  // Requests this client sent (successful or not), and checksum errors it was answered.
  const RequestCounts& sent() const { return sent_; }
  const rpc::Endpoint& endpoint() const { return http_.endpoint(); }
  // Drops the connection; the next call connects afresh.
  void Disconnect() { http_.Disconnect(); }

 private:
  // One call: encode, exchange, decode, classify.
  Result<wire::Reply> Call(wire::Method method, const wire::Args& args);

  int num_blocks_;
  int block_size_;
  int timeout_ms_;
  RequestCounts sent_;
  rpc::HttpClient http_;
};

}  // namespace memoryfs::client
