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
  // including malformed XML). Thread-safe.
  std::string Handle(const std::string& request_xml);

 private:
  class Methods;  // the handlers; keeps xmlrpc-c out of this header
  std::unique_ptr<Methods> methods_;
  Stall stall_;
};

}  // namespace memoryfs::server
