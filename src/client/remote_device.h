// RemoteDevice: one block server reached over XML-RPC, as a BlockDevice. The transport is
// rpc::HttpClient (keep-alive, precise deadlines, at-most-once); the dialect is client/wire
// (the only client code that knows xmlrpc-c). Errors are classified there and here, once:
//
//   kUnavailable    refused, reset, closed, or no reply within timeout_ms ("timed out after
//                   N ms"): the server is gone (unless the TimeoutPolicy retries timeouts)
//   kChecksumError  the server reported a corrupt block, in any peer's convention
//   kOutOfRange     the server refused the block number
//   kProtocolError  a malformed reply, an HTTP error, a block of the wrong size
//   kUnimplemented  the server has no such method (the Python server has no metadata, Lock,
//                   Unlock or Stats: callers fall back to Get/Put/RSM)
//   kAborted        Unlock by a holder that is not the recorded one (LOCK_NOT_HELD)
//   kInvalidArgument the server refused a metadata key, value, holder or lease (ValueError)
//   kFault          any other fault
//
// The metadata calls are sent as they are, validated by the server only (the limits are in
// docs/protocol.md); a Python server answers kUnimplemented whatever their arguments.
//
// Threads: not thread-safe; one thread at a time per RemoteDevice (see raid/fanout.h for how
// the array keeps to that).
#pragma once

#include <functional>
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

// What a call does when the server sends no whole reply within the timeout.
struct TimeoutPolicy {
  // false: the call fails, kUnavailable (at-most-once: the 2022 edition, every RAID-5 member).
  // true: at-least-once, as fsmain.py's single-server client (2023): on_timeout() is called
  // (it prints SERVER_TIMED_OUT), the device waits retry_wait_ms and sends the same request
  // again on a new connection, until it is answered or fails otherwise. The server may then
  // execute a request twice; Get and Put do not mind, an RSM whose first execution took the
  // lock answers "held" to its retry (docs/edition2023.md).
  bool retry = false;
  int retry_wait_ms = 10000;
  std::function<void()> on_timeout;  // may be empty
  // Checked before each repetition (may be empty): when it says the user asked to stop
  // (Ctrl-C), the call fails with kCancelled instead of being sent again.
  std::function<bool()> stop_requested;
};

class RemoteDevice : public BlockDevice {
 public:
  RemoteDevice(rpc::Endpoint endpoint, int num_blocks, int block_size, int timeout_ms,
               TimeoutPolicy policy = {});

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  int num_blocks() const override { return num_blocks_; }
  int block_size() const override { return block_size_; }

  Result<Bytes> GetMeta(const std::string& key) override;
  Result<Bytes> PutMeta(const std::string& key, const Bytes& expected, const Bytes& value) override;
  Result<LockReply> Lock(int block, const Bytes& holder, int lease_ms) override;
  Status Unlock(int block, const Bytes& holder, const Bytes& note = {}) override;
  Result<LockReply> Claim(const Bytes& holder, int lease_ms, const std::string& read_key,
                          bool take_over = false) override;
  Status Release(const Bytes& holder, const Bytes& note) override;
  // Sent as the rpc::kEpochHeader of every later call (our server fences it; the Python
  // server ignores it).
  void set_epoch(int64_t epoch) override;
  // Our server names its incarnation in every reply (rpc::kIncarnationHeader): once one was
  // seen, the incarnations seen so far (a restart shows in the first reply after it, through
  // any proxy that forwards headers). Otherwise the TCP connections opened so far: with
  // keep-alive a change means the connection was lost and the server may have restarted; with
  // the HTTP/1.0 Python server it grows by one on every call.
  uint64_t sessions() const override {
    return incarnations_ > 0 ? incarnations_ : http_.connections();
  }
  // GetBlocks/PutBlocks in batches once Stats() has found them offered (our server; the
  // Python server has neither); one Get/Put per block until then. Each batch counts as one
  // Get or Put in sent().
  Result<std::vector<Result<Bytes>>> GetBlocks(int first, int count) override;
  Status PutBlocks(int first, const std::vector<Bytes>& blocks) override;
  int batch_limit() const override { return batch_blocks_; }

  // The server's own counters and geometry (our server's Stats method). A server without it
  // (the Python reference) answers kUnimplemented. Also learns whether it offers batches.
  Result<ServerInfo> Stats();

  // Requests this client sent (successful or not; the four metadata calls count in meta only),
  // and checksum errors it was answered.
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
  TimeoutPolicy policy_;
  RequestCounts sent_;
  int batch_blocks_ = 1;  // from Stats
  rpc::HttpClient http_;
  std::string epoch_header_;  // "X-Memoryfs-Epoch: N\r\n", or empty
  std::string incarnation_;   // the last one a reply named
  uint64_t incarnations_ = 0;
};

}  // namespace memoryfs::client
