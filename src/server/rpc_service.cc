#include "server/rpc_service.h"

#include <xmlrpc-c/base.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <map>
#include <random>
#include <vector>
#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/xml.hpp>

#include "rpc/block_xml.h"
#include "rpc/http_message.h"

namespace memoryfs::server {

namespace {

using Params = xmlrpc_c::paramList;
using Outcome = xmlrpc_c::rpcOutcome;

constexpr xmlrpc_c::fault::code_t kFaultCode = static_cast<xmlrpc_c::fault::code_t>(1);

Outcome Fault(const std::string& text) { return Outcome(xmlrpc_c::fault(text, kFaultCode)); }

// Python's name for an XML-RPC value type, for TypeError texts.
const char* PythonTypeName(xmlrpc_c::value::type_t type) {
  using V = xmlrpc_c::value;
  static const std::map<V::type_t, const char*> kNames = {
      {V::TYPE_INT, "int"},          {V::TYPE_I8, "int"},       {V::TYPE_BOOLEAN, "bool"},
      {V::TYPE_STRING, "str"},       {V::TYPE_DOUBLE, "float"}, {V::TYPE_DATETIME, "datetime"},
      {V::TYPE_BYTESTRING, "bytes"}, {V::TYPE_ARRAY, "list"},   {V::TYPE_STRUCT, "dict"},
      {V::TYPE_NIL, "NoneType"},
  };
  const auto it = kNames.find(type);
  return it != kNames.end() ? it->second : "object";
}

// Python's TypeError for a call with the wrong number of arguments, or "" when it is right.
// names: the parameters of the Python server's function.
std::string ArityError(const char* method, const Params& params,
                       const std::vector<const char*>& names) {
  const size_t want = names.size();
  const size_t got = params.size();
  const std::string prefix = std::string("<class 'TypeError'>:") + method + "() ";
  if (got > want) {
    return prefix + "takes " + std::to_string(want) + " positional argument" +
           (want == 1 ? "" : "s") + " but " + std::to_string(got) + (got == 1 ? " was" : " were") +
           " given";
  }
  if (got < want) {
    const size_t missing = want - got;
    std::string list;
    for (size_t i = got; i < want; ++i) {
      if (i > got) list += i + 1 == want ? (missing == 2 ? " and " : ", and ") : ", ";
      list += std::string("'") + names[i] + "'";
    }
    return prefix + "missing " + std::to_string(missing) + " required positional argument" +
           (missing == 1 ? "" : "s") + ": " + list;
  }
  return "";
}

// The block number parameter: an int (i4, i8 or boolean, as Python accepts them).
std::optional<int> BlockNumber(const xmlrpc_c::value& v) {
  switch (v.type()) {
    case xmlrpc_c::value::TYPE_INT:
      return static_cast<int>(xmlrpc_c::value_int(v));
    case xmlrpc_c::value::TYPE_BOOLEAN:
      return static_cast<bool>(xmlrpc_c::value_boolean(v));
    case xmlrpc_c::value::TYPE_I8: {
      long long n = xmlrpc_c::value_i8(v);
      // Beyond int range can never be a valid block: clamp to an out-of-range number.
      return n < INT_MIN ? INT_MIN : n > INT_MAX ? INT_MAX : static_cast<int>(n);
    }
    default:
      return std::nullopt;
  }
}

std::string NotAnIndex(const xmlrpc_c::value& v) {
  return std::string("<class 'TypeError'>:list indices must be integers or slices, not ") +
         PythonTypeName(v.type());
}

// The TypeError of a parameter of the wrong type, e.g. "PutMeta value must be base64 (bytes),
// not str".
Outcome WrongType(const char* method, const char* param, const char* expected,
                  const xmlrpc_c::value& v) {
  return Fault(std::string("<class 'TypeError'>:") + method + " " + param + " must be " + expected +
               ", not " + PythonTypeName(v.type()));
}

bool IsBytes(const xmlrpc_c::value& v) { return v.type() == xmlrpc_c::value::TYPE_BYTESTRING; }
bool IsString(const xmlrpc_c::value& v) { return v.type() == xmlrpc_c::value::TYPE_STRING; }

Bytes BytesOf(const xmlrpc_c::value& v) {
  std::vector<unsigned char> data = xmlrpc_c::value_bytestring(v).vectorUcharValue();
  return Bytes(data.begin(), data.end());
}

// An int parameter (i4 or i8) other than a block number.
std::optional<int64_t> Integer(const xmlrpc_c::value& v) {
  if (v.type() == xmlrpc_c::value::TYPE_INT) return static_cast<int>(xmlrpc_c::value_int(v));
  if (v.type() == xmlrpc_c::value::TYPE_I8) return static_cast<long long>(xmlrpc_c::value_i8(v));
  return std::nullopt;
}

xmlrpc_c::value BytesValue(const Bytes& data) {
  return xmlrpc_c::value_bytestring(std::vector<unsigned char>(data.begin(), data.end()));
}

Outcome BlockValue(const Bytes& data) { return Outcome(BytesValue(data)); }

Outcome IntValue(int n) { return Outcome(xmlrpc_c::value_int(n)); }

int Clamp(int64_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

// The members of a Lock or Claim reply that say what was recorded (docs/protocol.md).
std::map<std::string, xmlrpc_c::value> LockMembers(const LockOutcome& lock) {
  std::map<std::string, xmlrpc_c::value> m;
  m["holder"] = BytesValue(lock.holder);
  m["age_ms"] = xmlrpc_c::value_int(Clamp(lock.age_ms));
  m["lease_ms"] = xmlrpc_c::value_int(Clamp(lock.lease_ms));
  m["broken"] = xmlrpc_c::value_boolean(lock.broken);
  m["epoch"] = xmlrpc_c::value_i8(lock.epoch);
  return m;
}

// Lock's reply: RSM's block too. Claim's: the record it was asked to read.
Outcome LockValue(const LockOutcome& lock) {
  std::map<std::string, xmlrpc_c::value> m = LockMembers(lock);
  m["old"] = BytesValue(lock.old);
  return Outcome(xmlrpc_c::value_struct(m));
}

Outcome ClaimValue(const LockOutcome& lock) {
  std::map<std::string, xmlrpc_c::value> m = LockMembers(lock);
  m["read"] = BytesValue(lock.read);
  return Outcome(xmlrpc_c::value_struct(m));
}

}  // namespace

// The handlers, and the wire table that names them.
class RpcService::Methods {
 public:
  Methods(BlockStore* store, RpcServiceOptions options) : store_(store), options_(options) {}

  // Finds the method's row, checks the arity against its parameter names (Python's TypeError
  // texts), then runs its handler.
  // *counted: whether it was a Get, Put or RSM (what -delayat counts).
  Outcome Dispatch(const std::string& method, const Params& p, bool* counted) const;
  // Parses the call and dispatches it; a malformed document is Python's ExpatError fault.
  Outcome Execute(const std::string& request_xml, bool* counted) const;
  // The fast path: a Get, Put or RSM call in a shape rpc/block_xml parses, executed and
  // answered (its success replies formatted by block_xml, its faults by xmlrpc-c), with the
  // same result as Execute. false: not such a call, nothing done (use Execute).
  bool HandleBlockCall(const std::string& request_xml, std::string* response) const;

 private:
  // Which methods a server offers: kBlocks (the course's three, counted by -delayat) and
  // kCore always, kBatch unless disable_batches, kMetadata unless disable_metadata, kTest
  // with enable_corrupt_method.
  enum class Group { kBlocks, kCore, kBatch, kMetadata, kTest };
  struct Row {
    const char* name;
    std::vector<const char*> params;  // the Python server's parameter names
    Outcome (Methods::*handler)(const Params&) const;
    Group group;
  };
  static const Row kTable[];
  bool Offered(Group group) const {
    switch (group) {
      case Group::kMetadata:
        return !options_.disable_metadata;
      case Group::kBatch:
        return !options_.disable_batches;
      case Group::kTest:
        return options_.enable_corrupt_method;
      case Group::kBlocks:
      case Group::kCore:
        break;
    }
    return true;
  }

  // A store error on the wire: Python's texts for range errors, the configured checksum
  // reply, LOCK_NOT_HELD as is, a ValueError otherwise.
  Outcome Error(const Status& status, bool is_assignment) const {
    switch (status.code()) {
      case Code::kOutOfRange:
        return Fault(is_assignment ? "<class 'IndexError'>:list assignment index out of range"
                                   : "<class 'IndexError'>:list index out of range");
      case Code::kChecksumError:
        if (options_.checksum_reply == ChecksumReply::kMinusOne) return IntValue(-1);
        return Fault(status.message());
      case Code::kAborted:
      case Code::kFenced:
        return Fault(status.message());
      default:
        return Fault("<class 'ValueError'>:" + status.message());
    }
  }

  Outcome BlockCall(const Params& p, Result<Bytes> (BlockStore::*op)(int)) const {
    std::optional<int> block = BlockNumber(p[0]);
    if (!block) return Fault(NotAnIndex(p[0]));
    Result<Bytes> r = (store_->*op)(*block);
    return r.ok() ? BlockValue(*r) : Error(r.status(), false);
  }

  Outcome Get(const Params& p) const { return BlockCall(p, &BlockStore::Get); }
  Outcome Rsm(const Params& p) const { return BlockCall(p, &BlockStore::RSM); }

  Outcome Put(const Params& p) const {
    std::optional<int> block = BlockNumber(p[0]);
    if (!block) return Fault(NotAnIndex(p[0]));
    if (p[1].type() != xmlrpc_c::value::TYPE_BYTESTRING) {
      return Fault(std::string("<class 'TypeError'>:Put data must be base64 (bytes), not ") +
                   PythonTypeName(p[1].type()));
    }
    Status s = store_->Put(*block, BytesOf(p[1]));
    return s.ok() ? IntValue(0) : Error(s, true);
  }

  // The blocks [first, first + count) of a batch call, or a fault: bad types, a count outside
  // 1..MaxBatchBlocks, a range outside the store (checked before anything is read or written).
  std::optional<Outcome> BatchRangeError(const char* method, const xmlrpc_c::value& first_value,
                                         int64_t count, int* first) const {
    std::optional<int> block = BlockNumber(first_value);
    if (!block) return Fault(NotAnIndex(first_value));
    const int limit = rpc::MaxBatchBlocks(store_->options().block_size);
    if (count < 1 || count > limit) {
      return Fault(std::string("<class 'ValueError'>:") + method + " takes 1 to " +
                   std::to_string(limit) + " blocks, not " + std::to_string(count));
    }
    if (*block < 0 || *block + count > store_->options().num_blocks) {
      return Fault("<class 'IndexError'>:list index out of range");
    }
    *first = *block;
    return std::nullopt;
  }

  // GetBlocks(first, count): an array of the blocks, each base64, or the string
  // "CHECKSUM_ERROR <n>" in place of a block that fails its checksum.
  Outcome GetBlocks(const Params& p) const {
    std::optional<int64_t> count = Integer(p[1]);
    if (!count) return WrongType("GetBlocks", "count", "int", p[1]);
    int first = 0;
    if (auto error = BatchRangeError("GetBlocks", p[0], *count, &first)) return *error;
    std::vector<xmlrpc_c::value> items;
    for (int b = first; b < first + *count; ++b) {
      Result<Bytes> r = store_->Get(b);
      if (r.ok()) {
        items.push_back(BytesValue(*r));
      } else if (r.status().code() == Code::kChecksumError) {
        items.push_back(xmlrpc_c::value_string(r.status().message()));
      } else {
        return Error(r.status(), false);
      }
    }
    return Outcome(xmlrpc_c::value_array(items));
  }

  // PutBlocks(first, blocks): Put of each block of the array at first, first + 1, ...; every
  // argument is checked before the first block is written.
  Outcome PutBlocks(const Params& p) const {
    if (p[1].type() != xmlrpc_c::value::TYPE_ARRAY) {
      return WrongType("PutBlocks", "blocks", "an array", p[1]);
    }
    const std::vector<xmlrpc_c::value> items = xmlrpc_c::value_array(p[1]).vectorValueValue();
    int first = 0;
    if (auto error = BatchRangeError("PutBlocks", p[0], items.size(), &first)) return *error;
    for (const xmlrpc_c::value& item : items) {
      if (!IsBytes(item)) return WrongType("PutBlocks", "each block", "base64 (bytes)", item);
      if (static_cast<int>(xmlrpc_c::value_bytestring(item).length()) >
          store_->options().block_size) {
        return Fault("<class 'ValueError'>:PutBlocks: a block is longer than the block size");
      }
    }
    for (size_t i = 0; i < items.size(); ++i) {
      Status s = store_->Put(first + static_cast<int>(i), BytesOf(items[i]));
      if (!s.ok()) return Error(s, true);
    }
    return IntValue(0);
  }

  Outcome Corrupt(const Params& p) const {
    std::optional<int> block = BlockNumber(p[0]);
    if (!block) return Fault(NotAnIndex(p[0]));
    Status s = store_->CorruptForTest(*block);
    return s.ok() ? IntValue(0) : Error(s, false);
  }

  Outcome GetMeta(const Params& p) const {
    if (!IsString(p[0])) return WrongType("GetMeta", "key", "str", p[0]);
    Result<Bytes> r = store_->GetMeta(xmlrpc_c::value_string(p[0]));
    return r.ok() ? BlockValue(*r) : Error(r.status(), false);
  }

  Outcome PutMeta(const Params& p) const {
    if (!IsString(p[0])) return WrongType("PutMeta", "key", "str", p[0]);
    if (!IsBytes(p[1])) return WrongType("PutMeta", "expected", "base64 (bytes)", p[1]);
    if (!IsBytes(p[2])) return WrongType("PutMeta", "value", "base64 (bytes)", p[2]);
    Result<Bytes> r = store_->PutMeta(xmlrpc_c::value_string(p[0]), BytesOf(p[1]), BytesOf(p[2]));
    return r.ok() ? BlockValue(*r) : Error(r.status(), false);
  }

  Outcome Lock(const Params& p) const {
    std::optional<int> block = BlockNumber(p[0]);
    if (!block) return Fault(NotAnIndex(p[0]));
    if (!IsBytes(p[1])) return WrongType("Lock", "holder", "base64 (bytes)", p[1]);
    std::optional<int64_t> lease = Integer(p[2]);
    if (!lease) return WrongType("Lock", "lease_ms", "int", p[2]);
    Result<LockOutcome> r = store_->Lock(*block, BytesOf(p[1]), *lease);
    return r.ok() ? LockValue(*r) : Error(r.status(), false);
  }

  Outcome Unlock(const Params& p) const {
    std::optional<int> block = BlockNumber(p[0]);
    if (!block) return Fault(NotAnIndex(p[0]));
    if (!IsBytes(p[1])) return WrongType("Unlock", "holder", "base64 (bytes)", p[1]);
    if (!IsBytes(p[2])) return WrongType("Unlock", "note", "base64 (bytes)", p[2]);
    Status s = store_->Unlock(*block, BytesOf(p[1]), BytesOf(p[2]));
    return s.ok() ? IntValue(0) : Error(s, true);
  }

  Outcome Claim(const Params& p) const {
    if (!IsBytes(p[0])) return WrongType("Claim", "holder", "base64 (bytes)", p[0]);
    std::optional<int64_t> lease = Integer(p[1]);
    if (!lease) return WrongType("Claim", "lease_ms", "int", p[1]);
    if (!IsString(p[2])) return WrongType("Claim", "read_key", "str", p[2]);
    if (p[3].type() != xmlrpc_c::value::TYPE_BOOLEAN) {
      return WrongType("Claim", "take_over", "bool", p[3]);
    }
    Result<LockOutcome> r = store_->Claim(BytesOf(p[0]), *lease, xmlrpc_c::value_string(p[2]),
                                          xmlrpc_c::value_boolean(p[3]));
    return r.ok() ? ClaimValue(*r) : Error(r.status(), false);
  }

  Outcome Release(const Params& p) const {
    if (!IsBytes(p[0])) return WrongType("Release", "holder", "base64 (bytes)", p[0]);
    if (!IsBytes(p[1])) return WrongType("Release", "note", "base64 (bytes)", p[1]);
    Status s = store_->Release(BytesOf(p[0]), BytesOf(p[1]));
    return s.ok() ? IntValue(0) : Error(s, false);
  }

  Outcome Stats(const Params&) const {
    RequestCounts s = store_->stats();
    std::map<std::string, xmlrpc_c::value> m;
    m["Get"] = xmlrpc_c::value_int(Clamp(s.gets));
    m["Put"] = xmlrpc_c::value_int(Clamp(s.puts));
    m["RSM"] = xmlrpc_c::value_int(Clamp(s.rsms));
    m["checksum_errors"] = xmlrpc_c::value_int(Clamp(s.checksum_errors));
    m["meta"] = xmlrpc_c::value_int(Clamp(s.meta));
    m["nb"] = xmlrpc_c::value_int(store_->options().num_blocks);
    m["bs"] = xmlrpc_c::value_int(store_->options().block_size);
    // GetBlocks/PutBlocks are offered, with at most this many blocks per call.
    m["batch"] = xmlrpc_c::value_int(
        Offered(Group::kBatch) ? rpc::MaxBatchBlocks(store_->options().block_size) : 0);
    return Outcome(xmlrpc_c::value_struct(m));
  }

  BlockStore* store_;
  const RpcServiceOptions options_;
};

// The wire table: adding a method is one row here plus its handler and store operation.
const RpcService::Methods::Row RpcService::Methods::kTable[] = {
    {"Get", {"block_number"}, &Methods::Get, Group::kBlocks},
    {"Put", {"block_number", "data"}, &Methods::Put, Group::kBlocks},
    {"RSM", {"block_number"}, &Methods::Rsm, Group::kBlocks},
    {"GetMeta", {"key"}, &Methods::GetMeta, Group::kMetadata},
    {"PutMeta", {"key", "expected", "value"}, &Methods::PutMeta, Group::kMetadata},
    {"Lock", {"block_number", "holder", "lease_ms"}, &Methods::Lock, Group::kMetadata},
    {"Unlock", {"block_number", "holder", "note"}, &Methods::Unlock, Group::kMetadata},
    {"Claim", {"holder", "lease_ms", "read_key", "take_over"}, &Methods::Claim, Group::kMetadata},
    {"Release", {"holder", "note"}, &Methods::Release, Group::kMetadata},
    {"Stats", {}, &Methods::Stats, Group::kCore},
    {"GetBlocks", {"first", "count"}, &Methods::GetBlocks, Group::kBatch},
    {"PutBlocks", {"first", "blocks"}, &Methods::PutBlocks, Group::kBatch},
    {"Corrupt", {"block_number"}, &Methods::Corrupt, Group::kTest},
};

Outcome RpcService::Methods::Dispatch(const std::string& method, const Params& p,
                                      bool* counted) const {
  for (const Row& row : kTable) {
    if (method != row.name || !Offered(row.group)) continue;
    *counted = row.group == Group::kBlocks;
    if (std::string e = ArityError(row.name, p, row.params); !e.empty()) return Fault(e);
    return (this->*row.handler)(p);
  }
  return Fault("<class 'Exception'>:method \"" + method + "\" is not supported");
}

RpcService::RpcService(BlockStore* store, RpcServiceOptions options)
    : store_(store),
      methods_(std::make_unique<Methods>(store, options)),
      stall_(options.delay_every, options.delay_ms),
      incarnation_((uint64_t{std::random_device()()} << 32) | std::random_device()()),
      announce_incarnation_(!options.disable_metadata) {
  // xmlrpc-c's document limit is process-wide: every document the HTTP server lets through
  // must also parse (rpc::MaxMessageBody), with room for the envelope.
  const size_t limit = rpc::MaxMessageBody(store->options().block_size) + 4096;
  if (xmlrpc_limit_get(XMLRPC_XML_SIZE_LIMIT_ID) < limit) {
    xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, limit);
  }
}

RpcService::~RpcService() = default;

namespace {

std::string Generate(const Outcome& outcome) {
  std::string response;
  xmlrpc_c::xml::generateResponse(outcome, &response);
  return response;
}

}  // namespace

bool RpcService::Methods::HandleBlockCall(const std::string& request_xml,
                                          std::string* response) const {
  // A document over xmlrpc-c's size limit must get xmlrpc-c's error.
  if (request_xml.size() > xmlrpc_limit_get(XMLRPC_XML_SIZE_LIMIT_ID)) return false;
  std::optional<rpc::blockxml::BlockCall> call = rpc::blockxml::ParseCall(request_xml);
  if (!call) return false;
  if (call->method == rpc::blockxml::BlockMethod::kPut) {
    Status s = store_->Put(call->block, call->data);
    *response = s.ok() ? rpc::blockxml::FormatIntResponse(0) : Generate(Error(s, true));
    return true;
  }
  Result<Bytes> r = call->method == rpc::blockxml::BlockMethod::kGet ? store_->Get(call->block)
                                                                     : store_->RSM(call->block);
  *response = r.ok() ? rpc::blockxml::FormatBytesResponse(*r) : Generate(Error(r.status(), false));
  return true;
}

Outcome RpcService::Methods::Execute(const std::string& request_xml, bool* counted) const {
  try {
    std::string method;
    Params params;
    xmlrpc_c::xml::parseCall(request_xml, &method, &params);
    return Dispatch(method, params, counted);
  } catch (const std::exception& e) {
    return Fault(std::string("<class 'xml.parsers.expat.ExpatError'>:") + e.what());
  }
}

std::string RpcService::ReplyHeaders() const {
  if (!announce_incarnation_) return "";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(incarnation_));
  return std::string("X-Memoryfs-Incarnation: ") + hex + "\r\n";
}

std::string RpcService::HandleRequest(const rpc::HttpMessage& request) {
  const auto header = request.headers.find(rpc::kEpochHeader);
  if (header == request.headers.end()) return Handle(request.body);
  const std::string& text = header->second;
  int64_t epoch = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), epoch);
  if (error != std::errc() || end != text.data() + text.size() || epoch <= 0) {
    return Generate(Fault("FENCED " + text + ": not an epoch"));
  }
  return Handle(request.body, epoch);
}

bool RpcService::IsLockCall(const std::string& request_xml) {
  static constexpr const char* kLockCalls[] = {"Lock", "Unlock", "Claim", "Release"};
  const size_t open = request_xml.find("<methodName>");
  if (open == std::string::npos) return false;
  const size_t from = open + std::string_view("<methodName>").size();
  const size_t close = request_xml.find('<', from);
  if (close == std::string::npos) return false;
  const std::string_view name(request_xml.data() + from, close - from);
  return std::any_of(std::begin(kLockCalls), std::end(kLockCalls),
                     [&](const char* lock) { return name == lock; });
}

std::string RpcService::Handle(const std::string& request_xml, int64_t epoch) {
  // We parse and dispatch ourselves rather than through xmlrpc-c's registry, whose built-in
  // system.* methods the Python server does not have. This is the only place where xmlrpc-c
  // exceptions can arise on the server side; they end here as faults.
  std::string response;
  bool counted = false;
  std::optional<BlockStore::FenceGuard> fence;
  if (epoch != 0 && !IsLockCall(request_xml)) {
    Result<BlockStore::FenceGuard> entered = store_->EnterFence(epoch);
    if (!entered.ok()) return Generate(Fault(entered.status().message()));
    fence = std::move(entered).value();
  }
  stall_.Enter();
  try {
    if (methods_->HandleBlockCall(request_xml, &response)) {
      counted = true;
    } else {
      // Built in place (no copy): a success outcome's fault part is uninitialised in
      // xmlrpc-c, and copying it would read that.
      const Outcome outcome = methods_->Execute(request_xml, &counted);
      xmlrpc_c::xml::generateResponse(outcome, &response);
    }
  } catch (const std::exception& e) {
    response =
        "<?xml version=\"1.0\"?>\r\n<methodResponse><fault><value><struct>"
        "<member><name>faultCode</name><value><int>1</int></value></member>"
        "<member><name>faultString</name><value><string>internal error</string></value>"
        "</member></struct></value></fault></methodResponse>\r\n";
  }
  if (counted) stall_.AfterCounted();
  return response;
}

}  // namespace memoryfs::server
