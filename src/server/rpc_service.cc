#include "server/rpc_service.h"

#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/registry.hpp>
#include <xmlrpc-c/xml.hpp>

#include <climits>
#include <map>
#include <vector>

namespace memoryfs::server {

namespace {

constexpr xmlrpc_c::fault::code_t kFaultCode = static_cast<xmlrpc_c::fault::code_t>(1);

[[noreturn]] void Throw(const std::string& text) { throw xmlrpc_c::fault(text, kFaultCode); }

// Python's name for an XML-RPC value type, for TypeError texts.
const char* PythonTypeName(xmlrpc_c::value::type_t type) {
  switch (type) {
    case xmlrpc_c::value::TYPE_STRING: return "str";
    case xmlrpc_c::value::TYPE_DOUBLE: return "float";
    case xmlrpc_c::value::TYPE_DATETIME: return "datetime";
    case xmlrpc_c::value::TYPE_BYTESTRING: return "bytes";
    case xmlrpc_c::value::TYPE_ARRAY: return "list";
    case xmlrpc_c::value::TYPE_STRUCT: return "dict";
    case xmlrpc_c::value::TYPE_NIL: return "NoneType";
    default: return "object";
  }
}

void CheckArity(const char* name, const xmlrpc_c::paramList& params, size_t want) {
  if (params.size() != want) {
    Throw("<class 'TypeError'>:" + std::string(name) + "() takes " + std::to_string(want) +
          " positional argument" + (want == 1 ? "" : "s") + " but " +
          std::to_string(params.size()) + " were given");
  }
}

// The block number parameter: an int (i4, i8 or boolean, as Python accepts them).
int BlockNumber(const xmlrpc_c::paramList& params) {
  const xmlrpc_c::value& v = params[0];
  switch (v.type()) {
    case xmlrpc_c::value::TYPE_INT: return xmlrpc_c::value_int(v);
    case xmlrpc_c::value::TYPE_BOOLEAN: return xmlrpc_c::value_boolean(v) ? 1 : 0;
    case xmlrpc_c::value::TYPE_I8: {
      long long n = xmlrpc_c::value_i8(v);
      // Out of int range can never be a valid block: map it to an out-of-range number.
      return n < INT_MIN ? INT_MIN : n > INT_MAX ? INT_MAX : static_cast<int>(n);
    }
    default:
      Throw(std::string("<class 'TypeError'>:list indices must be integers or slices, not ") +
            PythonTypeName(v.type()));
  }
}

class StoreMethod : public xmlrpc_c::method {
 public:
  StoreMethod(BlockStore* store, const RpcServiceOptions* options)
      : store_(store), options_(options) {}

 protected:
  // Converts a store error to the wire: Python's texts for range errors, the configured
  // checksum reply, a ValueError otherwise.
  void Fail(const Status& status, bool is_assignment, xmlrpc_c::value* result) const {
    switch (status.code()) {
      case Code::kOutOfRange:
        Throw(is_assignment ? "<class 'IndexError'>:list assignment index out of range"
                            : "<class 'IndexError'>:list index out of range");
      case Code::kChecksumError:
        if (options_->checksum_reply == ChecksumReply::kMinusOne) {
          *result = xmlrpc_c::value_int(-1);
          return;
        }
        Throw(status.message());
      default:
        Throw("<class 'ValueError'>:" + status.message());
    }
  }

  void ReturnBlock(const Result<Bytes>& r, xmlrpc_c::value* result) const {
    if (!r.ok()) return Fail(r.status(), false, result);
    *result = xmlrpc_c::value_bytestring(std::vector<unsigned char>(r->begin(), r->end()));
  }

  BlockStore* store_;
  const RpcServiceOptions* options_;
};

class GetMethod : public StoreMethod {
 public:
  using StoreMethod::StoreMethod;
  void execute(const xmlrpc_c::paramList& params, xmlrpc_c::value* result) override {
    CheckArity("Get", params, 1);
    ReturnBlock(store_->Get(BlockNumber(params)), result);
  }
};

class RsmMethod : public StoreMethod {
 public:
  using StoreMethod::StoreMethod;
  void execute(const xmlrpc_c::paramList& params, xmlrpc_c::value* result) override {
    CheckArity("RSM", params, 1);
    ReturnBlock(store_->RSM(BlockNumber(params)), result);
  }
};

class PutMethod : public StoreMethod {
 public:
  using StoreMethod::StoreMethod;
  void execute(const xmlrpc_c::paramList& params, xmlrpc_c::value* result) override {
    CheckArity("Put", params, 2);
    int block = BlockNumber(params);
    if (params[1].type() != xmlrpc_c::value::TYPE_BYTESTRING) {
      Throw(std::string("<class 'TypeError'>:Put data must be base64 (bytes), not ") +
            PythonTypeName(params[1].type()));
    }
    std::vector<unsigned char> data = xmlrpc_c::value_bytestring(params[1]).vectorUcharValue();
    Status s = store_->Put(block, Bytes(data.begin(), data.end()));
    if (!s.ok()) return Fail(s, true, result);
    *result = xmlrpc_c::value_int(0);
  }
};

class CorruptMethod : public StoreMethod {
 public:
  using StoreMethod::StoreMethod;
  void execute(const xmlrpc_c::paramList& params, xmlrpc_c::value* result) override {
    CheckArity("Corrupt", params, 1);
    Status s = store_->CorruptForTest(BlockNumber(params));
    if (!s.ok()) return Fail(s, false, result);
    *result = xmlrpc_c::value_int(0);
  }
};

int Clamp(int64_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

class StatsMethod : public StoreMethod {
 public:
  using StoreMethod::StoreMethod;
  void execute(const xmlrpc_c::paramList& params, xmlrpc_c::value* result) override {
    CheckArity("Stats", params, 0);
    StoreStats s = store_->stats();
    std::map<std::string, xmlrpc_c::value> m;
    m["Get"] = xmlrpc_c::value_int(Clamp(s.gets));
    m["Put"] = xmlrpc_c::value_int(Clamp(s.puts));
    m["RSM"] = xmlrpc_c::value_int(Clamp(s.rsms));
    m["checksum_errors"] = xmlrpc_c::value_int(Clamp(s.checksum_errors));
    m["nb"] = xmlrpc_c::value_int(store_->options().num_blocks);
    m["bs"] = xmlrpc_c::value_int(store_->options().block_size);
    *result = xmlrpc_c::value_struct(m);
  }
};

// Any other method name: the Python server's text.
class UnknownMethod : public xmlrpc_c::defaultMethod {
 public:
  void execute(const std::string& name, const xmlrpc_c::paramList&, xmlrpc_c::value*) override {
    Throw("<class 'Exception'>:method \"" + name + "\" is not supported");
  }
};

}  // namespace

RpcService::RpcService(BlockStore* store, RpcServiceOptions options)
    : options_(std::make_unique<RpcServiceOptions>(options)),
      registry_(std::make_unique<xmlrpc_c::registry>()) {
  // The methods point at options_, which outlives registry_ (declared before it).
  const RpcServiceOptions* opts = options_.get();
  registry_->disableIntrospection();
  registry_->addMethod("Get", xmlrpc_c::methodPtr(new GetMethod(store, opts)));
  registry_->addMethod("Put", xmlrpc_c::methodPtr(new PutMethod(store, opts)));
  registry_->addMethod("RSM", xmlrpc_c::methodPtr(new RsmMethod(store, opts)));
  registry_->addMethod("Stats", xmlrpc_c::methodPtr(new StatsMethod(store, opts)));
  if (options.enable_corrupt_method) {
    registry_->addMethod("Corrupt", xmlrpc_c::methodPtr(new CorruptMethod(store, opts)));
  }
  registry_->setDefaultMethod(xmlrpc_c::defaultMethodPtr(new UnknownMethod));
}

RpcService::~RpcService() = default;

// xmlrpc-c answers system.* itself (introspection, multicall); the Python server has none of
// them. The method name of such a call, or "" for any other call.
static std::string SystemMethodName(const std::string& xml) {
  const std::string open = "<methodName>system.";
  size_t start = xml.find(open);
  if (start == std::string::npos) return "";
  start += open.size() - 7;
  size_t end = xml.find("</methodName>", start);
  return end == std::string::npos ? "" : xml.substr(start, end - start);
}

std::string RpcService::Handle(const std::string& request_xml) const {
  std::string response;
  try {
    const std::string system_method = SystemMethodName(request_xml);
    if (!system_method.empty()) {
      xmlrpc_c::fault f("<class 'Exception'>:method \"" + system_method + "\" is not supported",
                        kFaultCode);
      xmlrpc_c::xml::generateResponse(xmlrpc_c::rpcOutcome(f), &response);
      return response;
    }
    registry_->processCall(request_xml, &response);
  } catch (const std::exception& e) {
    // processCall reports malformed calls as faults itself; this is a last resort.
    response =
        "<?xml version=\"1.0\"?>\r\n<methodResponse><fault><value><struct>"
        "<member><name>faultCode</name><value><int>1</int></value></member>"
        "<member><name>faultString</name><value><string>internal error</string></value>"
        "</member></struct></value></fault></methodResponse>\r\n";
  }
  return response;
}

}  // namespace memoryfs::server
