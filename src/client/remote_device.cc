#include "client/remote_device.h"

#include <xmlrpc-c/base.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/girerr.hpp>
#include <xmlrpc-c/xml.hpp>

#include "rpc/http_message.h"
#include "rpc/socket.h"

namespace memoryfs {

struct RemoteDevice::Connection {
  rpc::Socket socket;
};

namespace {

// xmlrpc-c's XML size limit is process-wide; raise it (never lower it) for big blocks.
void RaiseXmlLimit(size_t bytes) {
  static std::mutex mu;
  static size_t current = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (bytes > current) {
    current = std::max<size_t>(bytes, 512 * 1024);
    xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, current);
  }
}

bool Mentions(const std::string& text, const char* word) {
  return text.find(word) != std::string::npos;
}

// Classifies a fault from any peer.
Status FaultStatus(int code, const std::string& text) {
  if (Mentions(text, "CHECKSUM_ERROR") || Mentions(text, "CORRUPT")) {
    return Status::Error(Code::kChecksumError, text);
  }
  if (Mentions(text, "IndexError")) return Status::Error(Code::kOutOfRange, text);
  return Status::Error(Code::kFault, "fault " + std::to_string(code) + ": " + text);
}

Bytes BytesOf(const xmlrpc_c::value& v) {
  std::vector<unsigned char> data = xmlrpc_c::value_bytestring(v).vectorUcharValue();
  return Bytes(data.begin(), data.end());
}

// A reply that should carry a block, in any peer's convention.
Result<Bytes> BlockFromReply(const xmlrpc_c::value& v, int block) {
  const std::string corrupt = "CHECKSUM_ERROR " + std::to_string(block);
  switch (v.type()) {
    case xmlrpc_c::value::TYPE_BYTESTRING:
      return BytesOf(v);
    case xmlrpc_c::value::TYPE_INT:
    case xmlrpc_c::value::TYPE_STRING:
    case xmlrpc_c::value::TYPE_BOOLEAN:
      return Status::Error(Code::kChecksumError, corrupt + " (legacy reply)");
    case xmlrpc_c::value::TYPE_ARRAY: {
      // (data, flag): the flag is an error marker when true or non-zero, or an error string.
      std::vector<xmlrpc_c::value> items = xmlrpc_c::value_array(v).vectorValueValue();
      std::optional<Bytes> data;
      bool error = false;
      for (const auto& item : items) {
        if (item.type() == xmlrpc_c::value::TYPE_BYTESTRING) data = BytesOf(item);
        if (item.type() == xmlrpc_c::value::TYPE_BOOLEAN) error |= xmlrpc_c::value_boolean(item);
        if (item.type() == xmlrpc_c::value::TYPE_INT) error |= xmlrpc_c::value_int(item) != 0;
        if (item.type() == xmlrpc_c::value::TYPE_STRING) error = true;
      }
      if (error || !data) return Status::Error(Code::kChecksumError, corrupt + " (flagged)");
      return *data;
    }
    default:
      return Status::Error(Code::kProtocolError, "unexpected reply type for a block");
  }
}

}  // namespace

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

RemoteDevice::RemoteDevice(Endpoint endpoint, int num_blocks, int block_size, int timeout_ms)
    : endpoint_(std::move(endpoint)),
      num_blocks_(num_blocks),
      block_size_(block_size),
      timeout_ms_(timeout_ms),
      conn_(std::make_unique<Connection>()) {
  RaiseXmlLimit(static_cast<size_t>(block_size) * 2 + 64 * 1024);
}

RemoteDevice::~RemoteDevice() = default;

void RemoteDevice::Disconnect() { conn_->socket.Close(); }

// Sends one call and returns the reply value or a Status. The single place where xmlrpc-c
// exceptions are caught on the client side.
static Result<xmlrpc_c::value> Invoke(rpc::Socket& socket, const Endpoint& endpoint, int timeout_ms,
                                      size_t max_reply, const std::string& method,
                                      const xmlrpc_c::paramList& params) {
  const rpc::Deadline deadline = rpc::DeadlineIn(timeout_ms);
  std::string call_xml;
  try {
    xmlrpc_c::xml::generateCall(method, params, &call_xml);
  } catch (const std::exception& e) {
    return Status::Error(Code::kProtocolError, std::string("cannot encode call: ") + e.what());
  }
  if (socket.valid() && rpc::PeerClosed(socket)) socket.Close();  // idle keep-alive ended
  if (!socket.valid()) {
    Result<rpc::Socket> s = rpc::Connect(endpoint.host, endpoint.port, deadline);
    if (!s.ok()) {
      return Status::Error(s.status().code(), endpoint.ToString() + ": " + s.status().message());
    }
    socket = std::move(*s);
  }
  auto fail = [&](const Status& st) -> Status {
    socket.Close();
    return Status::Error(st.code(), endpoint.ToString() + ": " + st.message());
  };
  Status sent =
      rpc::SendAll(socket, rpc::FormatPost(endpoint.ToString(), "/RPC2", call_xml), deadline);
  if (!sent.ok()) return fail(sent);
  std::string buf;
  rpc::HttpMessage reply;
  for (;;) {
    Result<size_t> got = rpc::ReceiveSome(socket, &buf, deadline);
    if (!got.ok()) {
      return fail(got.status().message() == "timed out"
                      ? Status::Error(Code::kUnavailable,
                                      "timed out after " + std::to_string(timeout_ms) + " ms")
                      : got.status());
    }
    rpc::ParseOutcome o = rpc::ParseResponse(buf, max_reply, *got == 0, &reply);
    if (o.state == rpc::ParseState::kComplete) break;
    if (o.state == rpc::ParseState::kError) {
      // A connection closed before any reply byte is a failed server (reset / crash).
      const Code code = buf.empty() ? Code::kUnavailable : Code::kProtocolError;
      return fail(Status::Error(code, buf.empty() ? "connection closed" : o.error));
    }
  }
  if (!reply.keep_alive) socket.Close();
  if (reply.status != 200) {
    return Status::Error(
        Code::kProtocolError,
        endpoint.ToString() + ": HTTP " + std::to_string(reply.status) + " " + reply.reason);
  }
  try {
    xmlrpc_c::rpcOutcome outcome;
    xmlrpc_c::xml::parseResponse(reply.body, &outcome);
    if (!outcome.succeeded()) {
      xmlrpc_c::fault f = outcome.getFault();
      return FaultStatus(static_cast<int>(f.getCode()), f.getDescription());
    }
    return outcome.getResult();
  } catch (const std::exception& e) {
    return Status::Error(Code::kProtocolError,
                         endpoint.ToString() + ": malformed XML-RPC reply: " + e.what());
  }
}

Result<Bytes> RemoteDevice::BlockCall(const char* method, int block) {
  xmlrpc_c::paramList params;
  params.add(xmlrpc_c::value_int(block));
  Result<xmlrpc_c::value> v =
      Invoke(conn_->socket, endpoint_, timeout_ms_,
             static_cast<size_t>(block_size_) * 2 + 64 * 1024, method, params);
  if (!v.ok()) {
    if (v.status().code() == Code::kChecksumError) ++sent_.checksum_errors;
    return v.status();
  }
  Result<Bytes> data = BlockFromReply(*v, block);
  if (!data.ok()) {
    if (data.status().code() == Code::kChecksumError) ++sent_.checksum_errors;
    return data;
  }
  if (static_cast<int>(data->size()) > block_size_) {
    return Status::Error(Code::kProtocolError,
                         endpoint_.ToString() + ": block of " + std::to_string(data->size()) +
                             " bytes, expected " + std::to_string(block_size_));
  }
  return PadTo(std::move(*data), block_size_);
}

Result<Bytes> RemoteDevice::Get(int block) {
  ++sent_.gets;
  return BlockCall("Get", block);
}

Result<Bytes> RemoteDevice::RSM(int block) {
  ++sent_.rsms;
  return BlockCall("RSM", block);
}

Status RemoteDevice::Put(int block, const Bytes& data) {
  ++sent_.puts;
  if (static_cast<int>(data.size()) > block_size_) {
    return Status::Error(Code::kInvalidArgument, "data longer than the block size");
  }
  const Bytes padded = PadTo(data, block_size_);
  xmlrpc_c::paramList params;
  params.add(xmlrpc_c::value_int(block));
  params.add(xmlrpc_c::value_bytestring(std::vector<unsigned char>(padded.begin(), padded.end())));
  Result<xmlrpc_c::value> v =
      Invoke(conn_->socket, endpoint_, timeout_ms_, 64 * 1024, "Put", params);
  return v.status();
}

Result<ServerInfo> RemoteDevice::Stats() {
  Result<xmlrpc_c::value> v =
      Invoke(conn_->socket, endpoint_, timeout_ms_, 64 * 1024, "Stats", xmlrpc_c::paramList());
  if (!v.ok()) return v.status();
  if (v->type() != xmlrpc_c::value::TYPE_STRUCT) {
    return Status::Error(Code::kProtocolError, "Stats did not answer a struct");
  }
  std::map<std::string, xmlrpc_c::value> m = xmlrpc_c::value_struct(*v);
  auto get = [&](const char* key) -> int64_t {
    auto it = m.find(key);
    return it != m.end() && it->second.type() == xmlrpc_c::value::TYPE_INT
               ? static_cast<int>(xmlrpc_c::value_int(it->second))
               : 0;
  };
  ServerInfo info;
  info.counts = {get("Get"), get("Put"), get("RSM"), get("checksum_errors")};
  info.num_blocks = static_cast<int>(get("nb"));
  info.block_size = static_cast<int>(get("bs"));
  return info;
}

}  // namespace memoryfs
