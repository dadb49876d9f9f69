// RpcService: the XML-RPC face of a BlockStore, with the exact wire behaviour of the course's
// Python server (see docs/protocol.md): Get/Put/RSM with fault code 1 and Python's fault
// strings, plus our additions GetBlocks/PutBlocks (batches of blocks), GetMeta/PutMeta/Lock/Unlock
// (metadata records and the recorded lock: "LOCK_NOT_HELD <block>" when Unlock's holder is not the
// recorded one, ValueError faults for bad keys, sizes and leases), Stats (and Corrupt, only when
// enabled for tests). The server's only adapter to xmlrpc-c: its method table (rpc_service.cc)
// names every method, its Python parameter names and its handler. Constructing one raises
// xmlrpc-c's process-wide document size limit to what rpc::MaxMessageBody allows for the store's
// block size.
#pragma once

#include <memory>
#include <string>

#include "rpc/http_message.h"
#include "server/block_store.h"
#include "server/stall.h"

namespace memoryfs::server {

enum class ChecksumReply {
  kFault,     // fault code 1, "CHECKSUM_ERROR <block>" (default)
  kMinusOne,  // legacy: the reply value is <int>-1</int>
};

struct RpcServiceOptions {
  ChecksumReply checksum_reply = ChecksumReply::kFault;
  bool enable_corrupt_method = false;  // registers Corrupt(block) for tests
  // Without GetMeta/PutMeta/Lock/Unlock, answering them as the Python server does (unknown
  // method): for benchmarks of the array without its records, and tests of that fallback.
  bool disable_metadata = false;
  // Without GetBlocks/PutBlocks (and Stats says batch 0): the Python server's way, for
  // benchmarks of repair and scrub block by block, and tests of that fallback.
  bool disable_batches = false;
  // -delayat K (server/stall.h): every K-th Get/Put/RSM is answered after delay_ms, during
  // which no other request is answered. 0: never.
  int delay_every = 0;
  int delay_ms = 10000;
};

class RpcService {
 public:
  RpcService(BlockStore* store, RpcServiceOptions options);
  ~RpcService();

  // Executes one XML-RPC call and returns the response document (a fault for any error,
  // including malformed XML). Thread-safe. epoch: the lock grant the call was sent under (the
  // X-Memoryfs-Epoch header, 0 when none): unless the call is one of the four lock methods,
  // it runs only while that grant is current (BlockStore::EnterFence), else it is answered
  // the fault "FENCED <epoch>: ..." and nothing is done.
  std::string Handle(const std::string& request_xml, int64_t epoch = 0);
  // The rpc::HttpServer handler: Handle with the request's rpc::kEpochHeader (a value that is
  // not a positive decimal number is answered as a FENCED fault).
  std::string HandleRequest(const rpc::HttpMessage& request);
  // The header lines for every reply (rpc::HttpServerOptions::reply_headers): this service's
  // incarnation (rpc::kIncarnationHeader), chosen at random at construction; none with
  // disable_metadata (the Python server's way).
  std::string ReplyHeaders() const;

 private:
  // Whether the document calls Lock, Unlock, Claim or Release (they ignore the epoch).
  static bool IsLockCall(const std::string& request_xml);
  class Methods;  // the handlers; keeps xmlrpc-c out of this header
  BlockStore* store_;
  std::unique_ptr<Methods> methods_;
  Stall stall_;
  uint64_t incarnation_;
  bool announce_incarnation_;
};

}  // namespace memoryfs::server
