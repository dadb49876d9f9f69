#include "server/rpc_service.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include "rpc/block_xml.h"

namespace memoryfs::server {

namespace {

std::string Call(RpcService& service, const std::string& method, const std::string& params) {
  return service.Handle("<?xml version='1.0'?>\n<methodCall>\n<methodName>" + method +
                        "</methodName>\n<params>\n" + params + "</params>\n</methodCall>\n");
}

std::string IntParam(int n) {
  return "<param>\n<value><int>" + std::to_string(n) + "</int></value>\n</param>\n";
}

std::string StringParam(const std::string& s) {
  return "<param><value><string>" + s + "</string></value></param>\n";
}

// b64: the base64 text (empty for no bytes).
std::string B64Param(const std::string& b64) {
  return "<param><value><base64>" + b64 + "</base64></value></param>\n";
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

TEST_CASE("RpcService: GetMeta and PutMeta") {
  BlockStore store({4, 4, std::nullopt});
  RpcService service(&store, {});
  // None yet: an empty base64.
  std::string r = Call(service, "GetMeta", StringParam("epoch"));
  CHECK(Contains(r, "<base64>"));
  CHECK_FALSE(Contains(r, "fault"));
  // Created ("v1"), answering the empty previous value.
  r = Call(service, "PutMeta", StringParam("epoch") + B64Param("") + B64Param("djE="));
  CHECK(Contains(r, "<base64>"));
  CHECK_FALSE(Contains(r, "djE="));
  CHECK(Contains(Call(service, "GetMeta", StringParam("epoch")), "djE="));
  // A stale expectation answers the current value and writes nothing.
  r = Call(service, "PutMeta", StringParam("epoch") + B64Param("") + B64Param("djI="));
  CHECK(Contains(r, "djE="));
  CHECK(Contains(Call(service, "GetMeta", StringParam("epoch")), "djE="));
  r = Call(service, "PutMeta", StringParam("epoch") + B64Param("djE=") + B64Param("djI="));
  CHECK(Contains(r, "djE="));
  CHECK(Contains(Call(service, "GetMeta", StringParam("epoch")), "djI="));
  // The key may also arrive as an untyped <value>text</value> (XML-RPC's default string).
  r = Call(service, "GetMeta", "<param><value>epoch</value></param>");
  CHECK(Contains(r, "djI="));
  CHECK(Contains(Call(service, "Get", IntParam(0)), "AAAAAA=="));  // the blocks are untouched
  CHECK(Contains(Call(service, "Stats", ""), "<name>meta</name>"));
  CHECK(store.stats().meta == 8);
}

TEST_CASE("RpcService: metadata faults name what is wrong") {
  BlockStore store({4, 4, std::nullopt});
  RpcService service(&store, {});
  CHECK(Contains(Call(service, "GetMeta", IntParam(1)),
                 "<class 'TypeError'>:GetMeta key must be str, not int"));
  CHECK(Contains(Call(service, "PutMeta", StringParam("k") + StringParam("") + B64Param("")),
                 "<class 'TypeError'>:PutMeta expected must be base64 (bytes), not str"));
  CHECK(Contains(Call(service, "PutMeta", StringParam("k") + B64Param("") + IntParam(3)),
                 "<class 'TypeError'>:PutMeta value must be base64 (bytes), not int"));
  CHECK(Contains(Call(service, "GetMeta", StringParam("a b")),
                 "<class 'ValueError'>:metadata key 'a b' has a character outside"));
  CHECK(Contains(Call(service, "GetMeta", StringParam("")),
                 "<class 'ValueError'>:metadata key of 0 characters (expected 1..64)"));
  CHECK(Contains(Call(service, "PutMeta", "<param><value><string>k</string></value></param>"),
                 "<class 'TypeError'>:PutMeta() missing 2 required positional arguments: "
                 "'expected' and 'value'"));
  CHECK(Contains(Call(service, "GetMeta", ""),
                 "<class 'TypeError'>:GetMeta() missing 1 required positional argument: 'key'"));
  CHECK(Contains(Call(service, "Lock", IntParam(0)),
                 "<class 'TypeError'>:Lock() missing 2 required positional arguments: "
                 "'holder' and 'lease_ms'"));
  CHECK(Contains(Call(service, "Unlock", IntParam(0) + B64Param("") + B64Param("") + B64Param("")),
                 "<class 'TypeError'>:Unlock() takes 3 positional arguments but 4 were given"));
  CHECK(Contains(Call(service, "Unlock", IntParam(0) + B64Param("bWU=") + StringParam("x")),
                 "<class 'TypeError'>:Unlock note must be base64 (bytes), not str"));
  CHECK(Contains(Call(service, "Lock", StringParam("0") + B64Param("bWU=") + IntParam(10)),
                 "<class 'TypeError'>:list indices must be integers or slices, not str"));
  CHECK(Contains(Call(service, "Lock", IntParam(0) + StringParam("me") + IntParam(10)),
                 "<class 'TypeError'>:Lock holder must be base64 (bytes), not str"));
  CHECK(Contains(Call(service, "Lock", IntParam(0) + B64Param("bWU=") + StringParam("10")),
                 "<class 'TypeError'>:Lock lease_ms must be int, not str"));
  CHECK(Contains(Call(service, "Lock", IntParam(0) + B64Param("bWU=") + IntParam(0)),
                 "<class 'ValueError'>:lease_ms 0 out of range (expected 1..86400000)"));
  CHECK(Contains(Call(service, "Lock", IntParam(0) + B64Param("") + IntParam(10)),
                 "<class 'ValueError'>:holder is empty"));
  CHECK(Contains(Call(service, "Unlock", StringParam("0") + B64Param("bWU=") + B64Param("")),
                 "<class 'TypeError'>:list indices must be integers or slices, not str"));
  CHECK(Contains(Call(service, "Lock", IntParam(4) + B64Param("bWU=") + IntParam(10)),
                 "<class 'IndexError'>:list index out of range"));
  CHECK(Contains(Call(service, "Unlock", IntParam(4) + B64Param("bWU=") + B64Param("")),
                 "<class 'IndexError'>:list assignment index out of range"));
  CHECK(Contains(Call(service, "Get", IntParam(0)), "AAAAAA=="));  // nothing was locked
}

TEST_CASE("RpcService: Lock answers a struct, Unlock by another holder is LOCK_NOT_HELD") {
  BlockStore store({4, 4, std::nullopt});
  RpcService service(&store, {});
  std::string r = Call(service, "Lock", IntParam(0) + B64Param("bWU=") + IntParam(5000));
  CHECK(Contains(r, "<struct>"));
  for (const char* member : {"old", "holder", "age_ms", "lease_ms", "broken"}) {
    CHECK(Contains(r, std::string("<name>") + member + "</name>"));
  }
  CHECK(Contains(r, "AAAAAA=="));  // old: released
  CHECK(Contains(r, "<boolean>0</boolean>"));
  CHECK((Contains(r, "<i4>-1</i4>") || Contains(r, "<int>-1</int>")));  // no record before
  r = Call(service, "Lock", IntParam(0) + B64Param("eW91") + IntParam(5000));
  CHECK(Contains(r, "AQEBAQ=="));  // old: held
  CHECK(Contains(r, "bWU="));      // by "me"
  CHECK((Contains(r, "<i4>5000</i4>") || Contains(r, "<int>5000</int>")));
  r = Call(service, "Unlock", IntParam(0) + B64Param("eW91") + B64Param(""));
  CHECK(Contains(r, "<name>faultCode</name>"));
  CHECK(Contains(r, "<string>LOCK_NOT_HELD 0</string>"));
  r = Call(service, "Unlock", IntParam(0) + B64Param("bWU=") + B64Param("bm90ZQ=="));
  CHECK((Contains(r, "<i4>0</i4>") || Contains(r, "<int>0</int>")));
  CHECK(Contains(Call(service, "Get", IntParam(0)), "AAAAAA=="));
  // The note is what the next Lock finds as the previous record, never broken.
  r = Call(service, "Lock", IntParam(0) + B64Param("eW91") + IntParam(5000));
  CHECK(Contains(r, "bm90ZQ=="));
  CHECK(Contains(r, "AAAAAA=="));
}

TEST_CASE("RpcService: Lock's checksum error is RSM's, in both conventions") {
  BlockStore store({4, 4, 1});
  RpcService fault(&store, {});
  CHECK(Contains(Call(fault, "Lock", IntParam(1) + B64Param("bWU=") + IntParam(10)),
                 "<string>CHECKSUM_ERROR 1</string>"));
  RpcService legacy(&store, {ChecksumReply::kMinusOne, false});
  std::string r = Call(legacy, "Lock", IntParam(1) + B64Param("bWU=") + IntParam(10));
  CHECK_FALSE(Contains(r, "fault"));
  CHECK((Contains(r, "<i4>-1</i4>") || Contains(r, "<int>-1</int>")));
  CHECK(Contains(Call(fault, "GetMeta", StringParam("lock")), "<base64>"));
  CHECK(store.GetMeta("lock")->empty());
}

TEST_CASE("RpcService: Claim and Release, and a request fenced by its epoch") {
  BlockStore store({4, 4, std::nullopt});
  RpcService service(&store, {});
  const std::string claim = B64Param("bWU=") + IntParam(1000) + StringParam("member") +
                            "<param><value><boolean>0</boolean></value></param>\n";
  const std::string granted = Call(service, "Claim", claim);
  CHECK(Contains(granted, "<name>read</name>"));
  CHECK_FALSE(Contains(granted, "<name>old</name>"));
  const int64_t epoch = store.Claim(ToBytes("other"), 1000, "", /*take_over=*/true)->epoch;
  REQUIRE(epoch > 0);
  const std::string put =
      "<?xml version='1.0'?>\n<methodCall>\n<methodName>Put</methodName>\n"
      "<params>\n" +
      IntParam(1) + B64Param("AQIDBA==") + "</params>\n</methodCall>\n";
  CHECK(Contains(service.Handle(put, epoch), "<i4>0</i4>"));
  const std::string stale = service.Handle(put, epoch - 1);  // the grant taken over above
  CHECK(Contains(stale, "FENCED " + std::to_string(epoch - 1) + ": the lock was taken over"));
  CHECK(Contains(service.Handle(put, 0), "<i4>0</i4>"));  // no epoch: the course's clients
  // The lock calls ignore the epoch: a stale holder's Release is refused by its record only.
  CHECK(Contains(Call(service, "Release", B64Param("bWU=") + B64Param("")), "LOCK_NOT_HELD claim"));
  rpc::HttpMessage request;
  request.body = put;
  request.headers[rpc::kEpochHeader] = "x1";
  CHECK(Contains(service.HandleRequest(request), "FENCED x1: not an epoch"));
  request.headers[rpc::kEpochHeader] = std::to_string(epoch);
  CHECK(Contains(service.HandleRequest(request), "<i4>0</i4>"));
  CHECK(service.ReplyHeaders().rfind("X-Memoryfs-Incarnation: ", 0) == 0);
}

TEST_CASE("RpcService: without metadata the four methods are unknown, as on the Python server") {
  BlockStore store({4, 4, std::nullopt});
  RpcServiceOptions options;
  options.disable_metadata = true;
  RpcService service(&store, options);
  CHECK(Contains(Call(service, "GetMeta", StringParam("member")),
                 "<class 'Exception'>:method \"GetMeta\" is not supported"));
  CHECK(Contains(Call(service, "Lock", IntParam(0) + B64Param("bWU=") + IntParam(10)),
                 "<class 'Exception'>:method \"Lock\" is not supported"));
  CHECK(Contains(Call(service, "RSM", IntParam(0)), "AAAAAA=="));  // the blocks as ever
  CHECK(service.ReplyHeaders().empty());  // as the Python server: no incarnation
}

}  // namespace memoryfs::server

namespace memoryfs::server {

TEST_CASE("RpcService: GetBlocks answers each block, a corrupt one as CHECKSUM_ERROR <n>") {
  BlockStore store({8, 8, std::nullopt});
  RpcService service(&store, {});
  REQUIRE(store.Put(2, Bytes(8, 'b')).ok());
  REQUIRE(store.CorruptForTest(3).ok());
  const std::string r = Call(service, "GetBlocks", IntParam(1) + IntParam(3));
  CHECK(Contains(r, "<array>"));
  CHECK(Contains(r, "YmJiYmJiYmI="));  // block 2
  CHECK(Contains(r, "CHECKSUM_ERROR 3"));
  CHECK(Contains(Call(service, "Stats", ""), "<name>batch</name>"));
}

TEST_CASE("RpcService: batch calls check every argument before touching a block") {
  BlockStore store({8, 8, std::nullopt});
  RpcService service(&store, {});
  CHECK(Contains(Call(service, "GetBlocks", IntParam(6) + IntParam(3)),
                 "<class 'IndexError'>:list index out of range"));
  CHECK(Contains(Call(service, "GetBlocks", IntParam(0) + IntParam(0)),
                 "GetBlocks takes 1 to 256 blocks, not 0"));
  const std::string two =
      "<param><value><array><data><value><base64>YQ==</base64></value>"
      "<value><base64>Yg==</base64></value></data></array></value></param>";
  CHECK(Contains(Call(service, "PutBlocks", IntParam(7) + two),
                 "<class 'IndexError'>:list index out of range"));
  CHECK(store.Get(7)->at(0) == 0);  // nothing written
  const std::string bad =
      "<param><value><array><data><value><base64>YQ==</base64></value>"
      "<value><int>1</int></value></data></array></value></param>";
  CHECK(Contains(Call(service, "PutBlocks", IntParam(0) + bad),
                 "PutBlocks each block must be base64 (bytes), not int"));
  CHECK(store.Get(0)->at(0) == 0);
  CHECK(Contains(Call(service, "PutBlocks", IntParam(0) + IntParam(1)),
                 "PutBlocks blocks must be an array, not int"));
  const std::string ok = Call(service, "PutBlocks", IntParam(3) + two);
  CHECK((Contains(ok, "<i4>0</i4>") || Contains(ok, "<int>0</int>")));
  CHECK(*store.Get(3) == Bytes{'a', 0, 0, 0, 0, 0, 0, 0});
  CHECK(*store.Get(4) == Bytes{'b', 0, 0, 0, 0, 0, 0, 0});
}

}  // namespace memoryfs::server

namespace memoryfs::server {

namespace {

// Base64 as Python writes it (one line is enough for these tests).
std::string Base64(const Bytes& data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < data.size(); i += 3) {
    const size_t n = std::min<size_t>(3, data.size() - i);
    uint32_t v = data[i] << 16;
    if (n > 1) v |= data[i + 1] << 8;
    if (n > 2) v |= data[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// Two services on identical stores: one gets each call as written (the fast path takes it),
// the other the same call with a comment inside (a document only xmlrpc-c takes).
struct FastSlowPair {
  FastSlowPair(BlockStoreOptions store_options, RpcServiceOptions options)
      : fast_store(store_options),
        slow_store(store_options),
        fast(&fast_store, options),
        slow(&slow_store, options) {}
  BlockStore fast_store;
  BlockStore slow_store;
  RpcService fast;
  RpcService slow;
};

std::string RandomCall(std::mt19937& rng, int num_blocks, int block_size) {
  const int block = static_cast<int>(rng() % (num_blocks + 4)) - 2;  // some out of range
  static const char* const kMethods[] = {"Get", "Put", "RSM"};
  const std::string method = kMethods[rng() % 3];
  std::string params = IntParam(block);
  if (method == "Put") {
    Bytes data(rng() % (block_size + 3), static_cast<uint8_t>(rng()));  // some too long
    params += B64Param(Base64(data));
  }
  return "<?xml version='1.0'?>\n<methodCall>\n<methodName>" + method +
         "</methodName>\n<params>\n" + params + "</params>\n</methodCall>\n";
}

}  // namespace

TEST_CASE("RpcService: the Get/Put/RSM fast path answers exactly what xmlrpc-c's path does") {
  for (ChecksumReply reply : {ChecksumReply::kFault, ChecksumReply::kMinusOne}) {
    RpcServiceOptions options;
    options.checksum_reply = reply;
    FastSlowPair pair({6, 16, 3}, options);  // block 3 always fails its checksum (-cblk)
    std::mt19937 rng(11);
    for (int i = 0; i < 400; ++i) {
      const std::string call = RandomCall(rng, 6, 16);
      std::string slow_call = call;
      slow_call.insert(slow_call.find("<methodName>"), "<!-- slow -->");
      const std::string fast = pair.fast.Handle(call);
      const std::string slow = pair.slow.Handle(slow_call);
      CAPTURE(call);
      REQUIRE(rpc::blockxml::ParseCall(call));  // the two paths are the ones compared
      REQUIRE_FALSE(rpc::blockxml::ParseCall(slow_call));
      REQUIRE(slow.find("ExpatError") == std::string::npos);
      REQUIRE(fast == slow);
    }
    CHECK(pair.fast_store.stats().gets == pair.slow_store.stats().gets);
    CHECK(pair.fast_store.stats().checksum_errors == pair.slow_store.stats().checksum_errors);
  }
}

}  // namespace memoryfs::server
