// The client side of the block servers' XML-RPC dialect, and the only code on the client side
// that knows xmlrpc-c. One table row per method (name, parameters, shape of the reply) and one
// list of fault rules; RemoteDevice asks this module to encode a call and to decode its reply
// and never looks at XML or fault texts itself.
//
// Get, Put and RSM in their usual shapes go through rpc/block_xml (formatted and parsed by hand,
// the same bytes and results as xmlrpc-c's); every other document, and every fault, through
// xmlrpc-c.
//
// Adding a method is one row in kMethods (wire.cc), one Method value, and a Reply field when
// its reply has a new shape.
//
// Reply conventions accepted for a block (Get/RSM), from every kind of peer:
//   base64                      the block
//   <int>, <string>, <boolean>  a checksum error (legacy servers answer -1 or a text)
//   array (data, flag)          the block, or a checksum error when the flag is true, non-zero
//                               or a string
// A GetBlocks reply is an array of `count` items, each read by the block conventions above (our
// server answers base64, or the string "CHECKSUM_ERROR <n>" for a corrupt block).
// A Lock reply is a struct {old, holder, age_ms, lease_ms, broken, epoch}; `old` is a block
// (padded, at most block_size), missing members read as "no record" (empty, -1, 0, false, 0),
// and a value that is not a struct is read by the block conventions above (a legacy checksum
// error). A Claim reply is the same struct without `old`, with `read` (base64).
// Faults are classified by the first rule whose marker the fault string contains:
//   CHECKSUM_ERROR, CORRUPT -> kChecksumError; IndexError -> kOutOfRange;
//   LOCK_NOT_HELD -> kAborted; FENCED -> kFenced; "is not supported" (the unknown-method fault of
//   every peer, e.g. Python's `<class 'Exception'>:method "Lock" is not supported`) ->
//   kUnimplemented; ValueError -> kInvalidArgument; else kFault.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/block_device.h"
#include "core/bytes.h"
#include "core/request_counts.h"
#include "core/status.h"

namespace memoryfs::client::wire {

enum class Method {
  kGet,
  kPut,
  kRsm,
  kStats,
  kGetMeta,
  kPutMeta,
  kLock,
  kUnlock,
  kClaim,
  kRelease,
  kGetBlocks,
  kPutBlocks
};

// The method's name on the wire ("Get", "Put", "RSM", "Stats", "GetMeta", ...).
const char* MethodName(Method method);

// What our server's Stats method reports.
struct ServerInfo {
  RequestCounts counts;
  int num_blocks = 0;
  int block_size = 0;
  int batch_blocks = 0;  // GetBlocks/PutBlocks carry up to this many blocks; 0: not offered
};

// The arguments of a call; each method uses the fields its row names.
struct Args {
  int block = 0;
  const Bytes* data = nullptr;                 // Put: the whole block
  const std::string* key = nullptr;            // GetMeta, PutMeta; Claim: the key to read
  const Bytes* expected = nullptr;             // PutMeta
  const Bytes* value = nullptr;                // PutMeta: the value; Unlock, Release: the note
  const Bytes* holder = nullptr;               // Lock, Unlock, Claim, Release
  int lease_ms = 0;                            // Lock, Claim
  int count = 0;                               // GetBlocks
  const std::vector<Bytes>* blocks = nullptr;  // PutBlocks (each a whole block)
  bool take_over = false;                      // Claim
};

// The decoded reply; the field of the method's reply shape is set.
struct Reply {
  Bytes block;                        // Get, RSM
  ServerInfo info;                    // Stats
  Bytes value;                        // GetMeta (the record), PutMeta (the previous record)
  LockReply lock;                     // Lock, Claim
  std::vector<Result<Bytes>> blocks;  // GetBlocks: each block, or its checksum error
};

// The request document of a call. kProtocolError if xmlrpc-c cannot encode it.
Result<std::string> EncodeCall(Method method, const Args& args);

// The reply document decoded by the method's reply shape. A fault becomes the Status of its
// rule; a block reply is checked to be at most block_size bytes and padded to block_size.
Result<Reply> DecodeReply(Method method, const std::string& xml, int block, int block_size);

// Lets xmlrpc-c parse documents of `bytes` (its size limit is process-wide; it is only ever
// raised). Thread-safe.
void AllowDocumentsOf(size_t bytes);

}  // namespace memoryfs::client::wire
