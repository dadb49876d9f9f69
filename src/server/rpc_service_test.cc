#include "server/rpc_service.h"

#include <doctest/doctest.h>

#include <string>

namespace memoryfs::server {

namespace {

std::string Call(const RpcService& service, const std::string& method, const std::string& params) {
  return service.Handle("<?xml version='1.0'?>\n<methodCall>\n<methodName>" + method +
                        "</methodName>\n<params>\n" + params + "</params>\n</methodCall>\n");
}

std::string IntParam(int n) {
  return "<param>\n<value><int>" + std::to_string(n) + "</int></value>\n</param>\n";
}

// Looks for needle in the XML text, where '<' and '>' are escaped.
bool Contains(const std::string& haystack, const std::string& needle) {
  std::string escaped;
  for (char c : needle) {
    escaped += c == '<' ? std::string("&lt;") : c == '>' ? std::string("&gt;") : std::string(1, c);
  }
  return haystack.find(needle) != std::string::npos || haystack.find(escaped) != std::string::npos;
}

}  // namespace

TEST_CASE("RpcService: Python's fault texts and code 1") {
  BlockStore store({4, 8, std::nullopt});
  RpcService service(&store, {});
  std::string r = Call(service, "Get", IntParam(4));
  CHECK(Contains(r, "<class 'IndexError'>:list index out of range"));
  CHECK(Contains(r, "<name>faultCode</name>"));
  CHECK((Contains(r, "<i4>1</i4>") || Contains(r, "<int>1</int>")));
  r = Call(service, "Put", IntParam(-1) + "<param><value><base64>AA==</base64></value></param>");
  CHECK(Contains(r, "<class 'IndexError'>:list assignment index out of range"));
  r = Call(service, "Nope", "");
  CHECK(Contains(r, "<class 'Exception'>:method \"Nope\" is not supported"));
  r = Call(service, "system.listMethods", "");
  CHECK(Contains(r, "<class 'Exception'>:method \"system.listMethods\" is not supported"));
  r = Call(service, "system.multicall",
           "<param><value><array><data></data></array></value></param>");
  CHECK(Contains(r, "method \"system.multicall\" is not supported"));
  r = Call(service, "Corrupt", IntParam(0));
  CHECK(Contains(r, "method \"Corrupt\" is not supported"));
  r = Call(service, "Get", "<param><value><string>x</string></value></param>");
  CHECK(Contains(r, "<class 'TypeError'>"));
}

TEST_CASE("RpcService: Get, Put, RSM and Stats") {
  BlockStore store({4, 4, std::nullopt});
  RpcService service(&store, {});
  std::string r =
      Call(service, "Put", IntParam(1) + "<param><value><base64>YWJj</base64></value></param>");
  CHECK((Contains(r, "<i4>0</i4>") || Contains(r, "<int>0</int>")));
  r = Call(service, "Get", IntParam(1));
  CHECK(Contains(r, "YWJjAA=="));  // "abc\0"
  r = Call(service, "RSM", IntParam(2));
  CHECK(Contains(r, "AAAAAA=="));
  r = Call(service, "Get", IntParam(2));
  CHECK(Contains(r, "AQEBAQ=="));
  r = Call(service, "Stats", "");
  CHECK(Contains(r, "<name>Get</name>"));
  CHECK(Contains(r, "<name>checksum_errors</name>"));
}

TEST_CASE("RpcService: checksum error as a fault or as the legacy -1") {
  BlockStore store({4, 4, 2});
  RpcService fault(&store, {});
  CHECK(Contains(Call(fault, "Get", IntParam(2)), "CHECKSUM_ERROR 2"));
  RpcService legacy(&store, {ChecksumReply::kMinusOne, true});
  std::string r = Call(legacy, "Get", IntParam(2));
  CHECK_FALSE(Contains(r, "fault"));
  CHECK((Contains(r, "<i4>-1</i4>") || Contains(r, "<int>-1</int>")));
  CHECK(Contains(Call(legacy, "Corrupt", IntParam(1)), "<methodResponse>"));
  CHECK(Contains(Call(legacy, "Get", IntParam(1)), "-1"));
}

TEST_CASE("RpcService: malformed XML answers a fault") {
  BlockStore store({4, 4, std::nullopt});
  RpcService service(&store, {});
  CHECK(Contains(service.Handle("<methodCall><broken"), "fault"));
  CHECK(Contains(service.Handle(""), "fault"));
}

}  // namespace memoryfs::server
