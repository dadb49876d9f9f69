#include "client/wire.h"

#include <xmlrpc-c/base.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <vector>
#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/xml.hpp>

#include "rpc/block_xml.h"

namespace memoryfs::client::wire {
namespace {

enum class Param {
  kBlock,
  kData,
  kKey,
  kExpected,
  kValue,
  kHolder,
  kLease,
  kCount,
  kBlocks,
  kTakeOver
};
enum class Shape { kBlock, kAck, kStats, kBytes, kLock, kClaim, kBlocks };

struct MethodRow {
  Method method;
  const char* name;
  std::vector<Param> params;
  Shape reply;
};

// The wire table.
const MethodRow kMethods[] = {
    {Method::kGet, "Get", {Param::kBlock}, Shape::kBlock},
    {Method::kPut, "Put", {Param::kBlock, Param::kData}, Shape::kAck},
    {Method::kRsm, "RSM", {Param::kBlock}, Shape::kBlock},
    {Method::kStats, "Stats", {}, Shape::kStats},
    {Method::kGetMeta, "GetMeta", {Param::kKey}, Shape::kBytes},
    {Method::kPutMeta, "PutMeta", {Param::kKey, Param::kExpected, Param::kValue}, Shape::kBytes},
    {Method::kLock, "Lock", {Param::kBlock, Param::kHolder, Param::kLease}, Shape::kLock},
    {Method::kUnlock, "Unlock", {Param::kBlock, Param::kHolder, Param::kValue}, Shape::kAck},
    {Method::kClaim,
     "Claim",
     {Param::kHolder, Param::kLease, Param::kKey, Param::kTakeOver},
     Shape::kClaim},
    {Method::kRelease, "Release", {Param::kHolder, Param::kValue}, Shape::kAck},
    {Method::kGetBlocks, "GetBlocks", {Param::kBlock, Param::kCount}, Shape::kBlocks},
    {Method::kPutBlocks, "PutBlocks", {Param::kBlock, Param::kBlocks}, Shape::kAck},
};

struct FaultRule {
  const char* marker;  // a substring of the fault string
  Code code;
};

// How peers' faults are classified, first match wins.
const FaultRule kFaultRules[] = {
    {"CHECKSUM_ERROR", Code::kChecksumError},    // ours, the reference's -cblk
    {"CORRUPT", Code::kChecksumError},           // other peers' conventions
    {"IndexError", Code::kOutOfRange},           // Python's list index errors
    {"LOCK_NOT_HELD", Code::kAborted},           // Unlock by a holder not recorded
    {"FENCED", Code::kFenced},                   // a request under a lock grant taken over
    {"is not supported", Code::kUnimplemented},  // an unknown method (Python's text)
    {"ValueError", Code::kInvalidArgument},      // a refused key, value, holder or lease
};

const MethodRow& Row(Method method) {
  for (const MethodRow& row : kMethods) {
    if (row.method == method) return row;
  }
  return kMethods[0];  // unreachable: every Method has a row
}

Status FaultStatus(int code, const std::string& text) {
  for (const FaultRule& rule : kFaultRules) {
    if (text.find(rule.marker) != std::string::npos) return Status::Error(rule.code, text);
  }
  return Status::Error(Code::kFault, "fault " + std::to_string(code) + ": " + text);
}

Bytes BytesOf(const xmlrpc_c::value& v) {
  std::vector<unsigned char> data = xmlrpc_c::value_bytestring(v).vectorUcharValue();
  return Bytes(data.begin(), data.end());
}

// (data, flag): the flag is an error marker when true or non-zero, or an error string.
Result<Bytes> BlockFromPair(const xmlrpc_c::value& v, const std::string& corrupt) {
  std::optional<Bytes> data;
  bool error = false;
  for (const auto& item : xmlrpc_c::value_array(v).vectorValueValue()) {
    if (item.type() == xmlrpc_c::value::TYPE_BYTESTRING) data = BytesOf(item);
    if (item.type() == xmlrpc_c::value::TYPE_BOOLEAN) error |= xmlrpc_c::value_boolean(item);
    if (item.type() == xmlrpc_c::value::TYPE_INT) error |= xmlrpc_c::value_int(item) != 0;
    if (item.type() == xmlrpc_c::value::TYPE_STRING) error = true;
  }
  if (error || !data) return Status::Error(Code::kChecksumError, corrupt + " (flagged)");
  return *data;
}

Result<Bytes> BlockFromValue(const xmlrpc_c::value& v, int block) {
  const std::string corrupt = "CHECKSUM_ERROR " + std::to_string(block);
  switch (v.type()) {
    case xmlrpc_c::value::TYPE_BYTESTRING:
      return BytesOf(v);
    case xmlrpc_c::value::TYPE_INT:
    case xmlrpc_c::value::TYPE_STRING:
    case xmlrpc_c::value::TYPE_BOOLEAN:
      return Status::Error(Code::kChecksumError, corrupt + " (legacy reply)");
    case xmlrpc_c::value::TYPE_ARRAY:
      return BlockFromPair(v, corrupt);
    default:
      return Status::Error(Code::kProtocolError, "unexpected reply type for a block");
  }
}

// A block of at most block_size bytes, zero-padded to block_size.
Result<Bytes> FitBlock(Bytes data, int block_size) {
  if (static_cast<int>(data.size()) > block_size) {
    return Status::Error(Code::kProtocolError, "block of " + std::to_string(data.size()) +
                                                   " bytes, expected " +
                                                   std::to_string(block_size));
  }
  data.resize(block_size, 0);
  return data;
}

// The struct of a Lock or Claim reply (see wire.h); for Lock (with_old), anything else is read
// by the block conventions.
Result<LockReply> LockFromValue(const xmlrpc_c::value& v, bool with_old, int block,
                                int block_size) {
  using V = xmlrpc_c::value;
  if (v.type() != V::TYPE_STRUCT) {
    if (with_old) {
      Result<Bytes> legacy = BlockFromValue(v, block);  // a checksum error, legacy convention
      if (!legacy.ok()) return legacy.status();
    }
    return Status::Error(Code::kProtocolError, "the lock's reply is not a struct");
  }
  const std::map<std::string, xmlrpc_c::value> m = xmlrpc_c::value_struct(v);
  const auto member = [&](const char* name, V::type_t type) -> const xmlrpc_c::value* {
    auto it = m.find(name);
    return it != m.end() && it->second.type() == type ? &it->second : nullptr;
  };
  LockReply reply;
  if (with_old) {
    const xmlrpc_c::value* old = member("old", V::TYPE_BYTESTRING);
    if (old == nullptr) return Status::Error(Code::kProtocolError, "Lock reply without old");
    ASSIGN_OR_RETURN(reply.old, FitBlock(BytesOf(*old), block_size));
  }
  if (const auto* holder = member("holder", V::TYPE_BYTESTRING)) reply.holder = BytesOf(*holder);
  if (const auto* age = member("age_ms", V::TYPE_INT)) reply.age_ms = xmlrpc_c::value_int(*age);
  if (const auto* lease = member("lease_ms", V::TYPE_INT)) {
    reply.lease_ms = xmlrpc_c::value_int(*lease);
  }
  if (const auto* broken = member("broken", V::TYPE_BOOLEAN)) {
    reply.broken = xmlrpc_c::value_boolean(*broken);
  }
  if (const auto* epoch = member("epoch", V::TYPE_I8)) {
    reply.epoch = static_cast<long long>(xmlrpc_c::value_i8(*epoch));
  } else if (const auto* small = member("epoch", V::TYPE_INT)) {
    reply.epoch = xmlrpc_c::value_int(*small);
  }
  if (const auto* read = member("read", V::TYPE_BYTESTRING)) reply.read = BytesOf(*read);
  return reply;
}

Result<ServerInfo> InfoFromValue(const xmlrpc_c::value& v) {
  if (v.type() != xmlrpc_c::value::TYPE_STRUCT) {
    return Status::Error(Code::kProtocolError, "Stats did not answer a struct");
  }
  const std::map<std::string, xmlrpc_c::value> m = xmlrpc_c::value_struct(v);
  const auto get = [&](const char* key) -> int {
    auto it = m.find(key);
    return it != m.end() && it->second.type() == xmlrpc_c::value::TYPE_INT
               ? static_cast<int>(xmlrpc_c::value_int(it->second))
               : 0;
  };
  ServerInfo info;
  info.counts = {get("Get"), get("Put"), get("RSM"), get("checksum_errors"), get("meta")};
  info.num_blocks = get("nb");
  info.block_size = get("bs");
  info.batch_blocks = get("batch");
  return info;
}

Result<Reply> FromValue(Shape shape, const xmlrpc_c::value& v, int block, int block_size) {
  Reply reply;
  switch (shape) {
    case Shape::kAck:
      return reply;
    case Shape::kStats: {
      ASSIGN_OR_RETURN(reply.info, InfoFromValue(v));
      return reply;
    }
    case Shape::kBytes:
      if (v.type() != xmlrpc_c::value::TYPE_BYTESTRING) {
        return Status::Error(Code::kProtocolError, "metadata reply is not base64");
      }
      reply.value = BytesOf(v);
      return reply;
    case Shape::kLock:
    case Shape::kClaim: {
      ASSIGN_OR_RETURN(reply.lock, LockFromValue(v, shape == Shape::kLock, block, block_size));
      return reply;
    }
    case Shape::kBlocks: {
      if (v.type() != xmlrpc_c::value::TYPE_ARRAY) {
        return Status::Error(Code::kProtocolError, "GetBlocks did not answer an array");
      }
      const std::vector<xmlrpc_c::value> items = xmlrpc_c::value_array(v).vectorValueValue();
      for (size_t i = 0; i < items.size(); ++i) {
        const int n = block + static_cast<int>(i);
        Result<Bytes> data = BlockFromValue(items[i], n);
        if (data.ok()) {
          data = FitBlock(std::move(*data), block_size);
        } else if (data.status().code() != Code::kChecksumError) {
          return data.status();
        }
        reply.blocks.push_back(std::move(data));
      }
      return reply;
    }
    case Shape::kBlock:
      break;
  }
  ASSIGN_OR_RETURN(Bytes data, BlockFromValue(v, block));
  ASSIGN_OR_RETURN(reply.block, FitBlock(std::move(data), block_size));
  return reply;
}

xmlrpc_c::value BytesValue(const Bytes& data) {
  return xmlrpc_c::value_bytestring(std::vector<unsigned char>(data.begin(), data.end()));
}

// Adds the call parameter `param` from args; kInvalidArgument when args lacks it.
Status AddParam(Param param, const Args& args, xmlrpc_c::paramList* params) {
  const Bytes* bytes = nullptr;
  switch (param) {
    case Param::kBlock:
      params->add(xmlrpc_c::value_int(args.block));
      return Status::Ok();
    case Param::kLease:
      params->add(xmlrpc_c::value_int(args.lease_ms));
      return Status::Ok();
    case Param::kCount:
      params->add(xmlrpc_c::value_int(args.count));
      return Status::Ok();
    case Param::kTakeOver:
      params->add(xmlrpc_c::value_boolean(args.take_over));
      return Status::Ok();
    case Param::kBlocks: {
      if (args.blocks == nullptr) break;
      std::vector<xmlrpc_c::value> items;
      for (const Bytes& block : *args.blocks) items.push_back(BytesValue(block));
      params->add(xmlrpc_c::value_array(items));
      return Status::Ok();
    }
    case Param::kKey:
      if (args.key == nullptr) break;
      params->add(xmlrpc_c::value_string(*args.key));
      return Status::Ok();
    case Param::kData:
      bytes = args.data;
      break;
    case Param::kExpected:
      bytes = args.expected;
      break;
    case Param::kValue:
      bytes = args.value;
      break;
    case Param::kHolder:
      bytes = args.holder;
      break;
  }
  if (bytes == nullptr) return Status::Error(Code::kInvalidArgument, "missing call parameter");
  params->add(BytesValue(*bytes));
  return Status::Ok();
}

// Whether xmlrpc-c would take a document of this size (its limit is process-wide); larger ones
// must go to xmlrpc-c, for its error.
bool WithinLimit(const std::string& xml) {
  return xml.size() <= xmlrpc_limit_get(XMLRPC_XML_SIZE_LIMIT_ID);
}

// The fast path (rpc/block_xml.h) for the replies of Get, RSM and Put in the shapes our server
// and Python's write: a base64 block, an int ack. nullopt: decode with xmlrpc-c.
std::optional<Result<Reply>> FastDecode(Method method, const std::string& xml, int block_size) {
  if (!WithinLimit(xml)) return std::nullopt;
  if (method == Method::kPut) {
    if (!rpc::blockxml::ParseIntResponse(xml)) return std::nullopt;
    return Result<Reply>(Reply());
  }
  if (method != Method::kGet && method != Method::kRsm) return std::nullopt;
  std::optional<Bytes> data = rpc::blockxml::ParseBytesResponse(xml);
  if (!data) return std::nullopt;
  Result<Bytes> fitted = FitBlock(std::move(*data), block_size);
  if (!fitted.ok()) return Result<Reply>(fitted.status());
  Reply reply;
  reply.block = std::move(*fitted);
  return Result<Reply>(std::move(reply));
}

}  // namespace

const char* MethodName(Method method) { return Row(method).name; }

Result<std::string> EncodeCall(Method method, const Args& args) {
  const MethodRow& row = Row(method);
  if (method == Method::kGet || method == Method::kRsm) {
    return rpc::blockxml::FormatCall(row.name, args.block);
  }
  if (method == Method::kPut && args.data != nullptr) {
    return rpc::blockxml::FormatCall(row.name, args.block, args.data);
  }
  xmlrpc_c::paramList params;
  for (Param param : row.params) RETURN_IF_ERROR(AddParam(param, args, &params));
  std::string xml;
  try {
    xmlrpc_c::xml::generateCall(row.name, params, &xml);
  } catch (const std::exception& e) {
    return Status::Error(Code::kProtocolError, std::string("cannot encode call: ") + e.what());
  }
  return xml;
}

Result<Reply> DecodeReply(Method method, const std::string& xml, int block, int block_size) {
  if (std::optional<Result<Reply>> fast = FastDecode(method, xml, block_size)) {
    return std::move(*fast);
  }
  // The single place where xmlrpc-c exceptions are caught on the client side.
  try {
    xmlrpc_c::rpcOutcome outcome;
    xmlrpc_c::xml::parseResponse(xml, &outcome);
    if (!outcome.succeeded()) {
      const xmlrpc_c::fault fault = outcome.getFault();
      return FaultStatus(static_cast<int>(fault.getCode()), fault.getDescription());
    }
    return FromValue(Row(method).reply, outcome.getResult(), block, block_size);
  } catch (const std::exception& e) {
    return Status::Error(Code::kProtocolError, std::string("malformed XML-RPC reply: ") + e.what());
  }
}

void AllowDocumentsOf(size_t bytes) {
  static std::mutex mu;
  static size_t current = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (bytes > current) {
    current = std::max<size_t>(bytes, 512 * 1024);
    xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, current);
  }
}

}  // namespace memoryfs::client::wire
