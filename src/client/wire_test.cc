#include "client/wire.h"

#include <doctest/doctest.h>
#include <xmlrpc-c/base.h>

#include <string>
#include <vector>
#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/xml.hpp>

namespace memoryfs::client::wire {

namespace {

// Standard base64 with padding, as the peers send it.
std::string Base64(const Bytes& data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (i + 1 == data.size()) {
    const uint32_t v = data[i] << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == data.size()) {
    const uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// A methodResponse document carrying one value (the inside of <value>...</value>).
std::string Response(const std::string& value) {
  return "<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n<value>" + value +
         "</value>\n</param>\n</params>\n</methodResponse>\n";
}

// Text with XML's special characters escaped, as every peer writes it.
std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A fault document, as Python's xmlrpc.server writes it (the text is escaped here).
std::string FaultResponse(int code, const std::string& text) {
  return "<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n<value><struct>\n"
         "<member>\n<name>faultCode</name>\n<value><int>" +
         std::to_string(code) +
         "</int></value>\n</member>\n"
         "<member>\n<name>faultString</name>\n<value><string>" +
         Escape(text) +
         "</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
}

std::string B64Value(const Bytes& data) { return "<base64>" + Base64(data) + "</base64>"; }

std::string Pair(const std::string& first, const std::string& second) {
  return "<array><data><value>" + first + "</value><value>" + second + "</value></data></array>";
}

Bytes Sequence(int n, int salt = 0) {
  Bytes b(n);
  for (int i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 37 + salt);
  return b;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The method name and parameters of a call document, parsed back by xmlrpc-c.
struct ParsedCall {
  std::string method;
  xmlrpc_c::paramList params;
};
ParsedCall ParseBack(const std::string& xml) {
  ParsedCall call;
  xmlrpc_c::xml::parseCall(xml, &call.method, &call.params);
  return call;
}

}  // namespace

TEST_CASE("Wire: MethodName gives the names on the wire") {
  CHECK(std::string(MethodName(Method::kGet)) == "Get");
  CHECK(std::string(MethodName(Method::kPut)) == "Put");
  CHECK(std::string(MethodName(Method::kRsm)) == "RSM");
  CHECK(std::string(MethodName(Method::kStats)) == "Stats");
  CHECK(std::string(MethodName(Method::kGetMeta)) == "GetMeta");
  CHECK(std::string(MethodName(Method::kPutMeta)) == "PutMeta");
  CHECK(std::string(MethodName(Method::kLock)) == "Lock");
  CHECK(std::string(MethodName(Method::kUnlock)) == "Unlock");
}

TEST_CASE("Wire: EncodeCall writes a methodCall with the method name and its params") {
  Result<std::string> get = EncodeCall(Method::kGet, {.block = 7});
  REQUIRE(get.ok());
  CHECK(Contains(*get, "<?xml"));
  CHECK(Contains(*get, "<methodCall>"));
  CHECK(Contains(*get, "<methodName>Get</methodName>"));
  CHECK(Contains(*get, ">7</"));
  CHECK(Contains(*get, "</methodCall>"));
  ParsedCall g = ParseBack(*get);
  CHECK(g.method == "Get");
  REQUIRE(g.params.size() == 1);
  CHECK(g.params.getInt(0) == 7);

  Result<std::string> rsm = EncodeCall(Method::kRsm, {.block = 0});
  REQUIRE(rsm.ok());
  CHECK(Contains(*rsm, "<methodName>RSM</methodName>"));
  ParsedCall r = ParseBack(*rsm);
  REQUIRE(r.params.size() == 1);
  CHECK(r.params.getInt(0) == 0);

  const Bytes data = ToBytes("hello");
  Result<std::string> put = EncodeCall(Method::kPut, {.block = 12, .data = &data});
  REQUIRE(put.ok());
  CHECK(Contains(*put, "<methodName>Put</methodName>"));
  CHECK(Contains(*put, ">12</"));
  CHECK(Contains(*put, "<base64>"));
  CHECK(Contains(*put, "aGVsbG8="));
  CHECK(Contains(*put, "</base64>"));
  CHECK(put->find(">12</") < put->find("<base64>"));  // block first, then data
  ParsedCall p = ParseBack(*put);
  CHECK(p.method == "Put");
  REQUIRE(p.params.size() == 2);
  CHECK(p.params.getInt(0) == 12);
  const std::vector<unsigned char> sent = p.params.getBytestring(1);
  CHECK(Bytes(sent.begin(), sent.end()) == data);

  // Every byte value survives, and a large block too.
  const Bytes big = Sequence(4096, 5);
  Result<std::string> put_big = EncodeCall(Method::kPut, {.block = 1, .data = &big});
  REQUIRE(put_big.ok());
  const std::vector<unsigned char> big_sent = ParseBack(*put_big).params.getBytestring(1);
  CHECK(Bytes(big_sent.begin(), big_sent.end()) == big);

  Result<std::string> stats = EncodeCall(Method::kStats, {});
  REQUIRE(stats.ok());
  CHECK(Contains(*stats, "<methodName>Stats</methodName>"));
  CHECK_FALSE(Contains(*stats, "<param>"));
  CHECK(ParseBack(*stats).params.size() == 0);
}

TEST_CASE("Wire: a base64 block is returned padded to block_size") {
  Result<Reply> r = DecodeReply(Method::kGet, Response(B64Value(ToBytes("hello"))), 3, 8);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->block == Bytes{'h', 'e', 'l', 'l', 'o', 0, 0, 0});
  // Exactly block_size: as is.
  const Bytes full = Sequence(64);
  r = DecodeReply(Method::kGet, Response(B64Value(full)), 3, 64);
  REQUIRE(r.ok());
  CHECK(r->block == full);
  // Empty: all zeros.
  r = DecodeReply(Method::kRsm, Response("<base64></base64>"), 0, 16);
  REQUIRE(r.ok());
  CHECK(r->block == Bytes(16, 0));
  // Python's xmlrpc.client wraps the text in line breaks.
  r = DecodeReply(Method::kGet, Response("<base64>\n" + Base64(full) + "\n</base64>"), 3, 64);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->block == full);
}

TEST_CASE("Wire: a block longer than block_size is kProtocolError") {
  Result<Reply> r = DecodeReply(Method::kGet, Response(B64Value(ToBytes("hello"))), 3, 4);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kProtocolError);
  CHECK(r.status().message() == "block of 5 bytes, expected 4");
  r = DecodeReply(Method::kRsm, Response(Pair(B64Value(Sequence(65)), "<boolean>0</boolean>")), 0,
                  64);
  CHECK(r.status().code() == Code::kProtocolError);
}

TEST_CASE("Wire: legacy replies <int>, <string>, <boolean> for a block are kChecksumError") {
  for (const std::string& value :
       {std::string("<int>-1</int>"), std::string("<i4>-1</i4>"),
        std::string("<string>CHECKSUM_ERROR</string>"), std::string("bare text"),
        std::string("<boolean>0</boolean>"), std::string("<boolean>1</boolean>")}) {
    CAPTURE(value);
    for (Method m : {Method::kGet, Method::kRsm}) {
      Result<Reply> r = DecodeReply(m, Response(value), 9, 16);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Code::kChecksumError);
      CHECK(Contains(r.status().message(), "CHECKSUM_ERROR 9"));
    }
  }
}

TEST_CASE("Wire: a (data, flag) array is the block, or kChecksumError when flagged") {
  const Bytes data = Sequence(10, 1);
  const Bytes padded = PadTo(data, 16);
  struct Case {
    std::string flag;
    bool corrupt;
  };
  const Case cases[] = {
      {"<boolean>0</boolean>", false}, {"<boolean>1</boolean>", true},
      {"<int>0</int>", false},         {"<int>1</int>", true},
      {"<int>-1</int>", true},         {"<string>CORRUPT</string>", true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.flag);
    Result<Reply> r = DecodeReply(Method::kGet, Response(Pair(B64Value(data), c.flag)), 4, 16);
    if (c.corrupt) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Code::kChecksumError);
      CHECK(Contains(r.status().message(), "CHECKSUM_ERROR 4"));
    } else {
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      CHECK(r->block == padded);
    }
  }
  // The flag may come first.
  Result<Reply> r =
      DecodeReply(Method::kGet, Response(Pair("<boolean>0</boolean>", B64Value(data))), 4, 16);
  REQUIRE(r.ok());
  CHECK(r->block == padded);
  // No data at all: a checksum error, not an empty block.
  r = DecodeReply(Method::kGet,
                  Response("<array><data><value><boolean>0</boolean></value></data></array>"), 4,
                  16);
  CHECK(r.status().code() == Code::kChecksumError);
}

TEST_CASE("Wire: faults are classified by the first matching rule") {
  struct Case {
    std::string text;
    Code code;
  };
  const Case cases[] = {
      {"CHECKSUM_ERROR 5", Code::kChecksumError},
      {"<class 'Exception'>:block 5 is CORRUPT", Code::kChecksumError},
      {"<class 'IndexError'>:list index out of range", Code::kOutOfRange},
      {"CORRUPT and IndexError", Code::kChecksumError},  // first rule wins
  };
  for (Method m : {Method::kGet, Method::kPut, Method::kRsm, Method::kStats}) {
    for (const Case& c : cases) {
      CAPTURE(c.text);
      Result<Reply> r = DecodeReply(m, FaultResponse(1, c.text), 5, 16);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == c.code);
      CHECK(r.status().message() == c.text);
    }
    Result<Reply> r = DecodeReply(m, FaultResponse(42, "something <else> & broke"), 5, 16);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kFault);
    CHECK(r.status().message() == "fault 42: something <else> & broke");
  }
  Result<Reply> r = DecodeReply(Method::kGet, FaultResponse(-7, "corrupt (lower case)"), 5, 16);
  CHECK(r.status().code() == Code::kFault);  // markers are case-sensitive
  CHECK(r.status().message() == "fault -7: corrupt (lower case)");
}

TEST_CASE("Wire: malformed XML and unexpected shapes are kProtocolError") {
  const std::string malformed[] = {
      "",
      "not xml at all",
      "<?xml version=\"1.0\"?><methodResponse><params><param><value><base64>aGVsbG8=",
      "<?xml version=\"1.0\"?><methodCall><methodName>Get</methodName></methodCall>",
      "<?xml version=\"1.0\"?><methodResponse><params></params></methodResponse>",
  };
  for (const std::string& xml : malformed) {
    CAPTURE(xml);
    for (Method m : {Method::kGet, Method::kPut, Method::kStats}) {
      Result<Reply> r = DecodeReply(m, xml, 1, 16);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Code::kProtocolError);
      CHECK(Contains(r.status().message(), "malformed XML-RPC reply"));
    }
  }
  // Well-formed, but a struct is no block.
  Result<Reply> r = DecodeReply(Method::kGet, Response("<struct></struct>"), 1, 16);
  CHECK(r.status().code() == Code::kProtocolError);
  // Stats must answer a struct.
  r = DecodeReply(Method::kStats, Response("<int>0</int>"), 0, 0);
  CHECK(r.status().code() == Code::kProtocolError);
  CHECK(r.status().message() == "Stats did not answer a struct");
}

TEST_CASE("Wire: a Stats struct fills ServerInfo, missing or non-int members are 0") {
  const auto member = [](const std::string& name, const std::string& value) {
    return "<member><name>" + name + "</name><value>" + value + "</value></member>";
  };
  const std::string full = "<struct>" + member("Get", "<int>3</int>") +
                           member("Put", "<int>1</int>") + member("RSM", "<int>2</int>") +
                           member("checksum_errors", "<int>4</int>") +
                           member("nb", "<int>256</int>") + member("bs", "<int>128</int>") +
                           member("extra", "<string>ignored</string>") + "</struct>";
  Result<Reply> r = DecodeReply(Method::kStats, Response(full), 0, 0);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->info.counts.gets == 3);
  CHECK(r->info.counts.puts == 1);
  CHECK(r->info.counts.rsms == 2);
  CHECK(r->info.counts.checksum_errors == 4);
  CHECK(r->info.num_blocks == 256);
  CHECK(r->info.block_size == 128);

  const std::string partial = "<struct>" + member("Get", "<int>9</int>") +
                              member("Put", "<string>7</string>") + "</struct>";
  r = DecodeReply(Method::kStats, Response(partial), 0, 0);
  REQUIRE(r.ok());
  CHECK(r->info.counts.gets == 9);
  CHECK(r->info.counts.puts == 0);
  CHECK(r->info.counts.rsms == 0);
  CHECK(r->info.counts.checksum_errors == 0);
  CHECK(r->info.num_blocks == 0);
  CHECK(r->info.block_size == 0);
}

TEST_CASE("Wire: a Put reply of <int>0</int> is ok") {
  Result<Reply> r = DecodeReply(Method::kPut, Response("<int>0</int>"), 3, 16);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->block.empty());  // an acknowledgement carries no block
  r = DecodeReply(Method::kPut, Response("<boolean>1</boolean>"), 3, 16);
  CHECK(r.ok());  // Python's True, also an acknowledgement
}

TEST_CASE("Wire: AllowDocumentsOf lets large block replies through") {
  AllowDocumentsOf(4 << 20);
  const Bytes big = Sequence(1 << 20, 3);
  Result<Reply> r = DecodeReply(Method::kGet, Response(B64Value(big)), 1, 1 << 20);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->block == big);
  AllowDocumentsOf(1024);  // only ever raised: still fine
  r = DecodeReply(Method::kGet, Response(B64Value(big)), 1, 1 << 20);
  REQUIRE(r.ok());
  CHECK(r->block == big);
}

namespace {

// The same result, field for field, as far as the Get/Put/RSM reply shapes go.
void CheckSameResult(const Result<Reply>& a, const Result<Reply>& b) {
  REQUIRE(a.ok() == b.ok());
  if (!a.ok()) {
    CHECK(a.status().code() == b.status().code());
    CHECK(a.status().message() == b.status().message());
    return;
  }
  CHECK(a->block == b->block);
}

}  // namespace

TEST_CASE("Wire: Get/Put/RSM replies decode the same by the fast path and by xmlrpc-c") {
  // The fast path takes each document as written; with a comment inside, only xmlrpc-c does.
  for (int length : {0, 1, 2, 3, 56, 57, 58, 128, 129, 200}) {
    for (Method method : {Method::kGet, Method::kRsm, Method::kPut}) {
      const Bytes data = Sequence(length, 7);
      const std::string reply = method == Method::kPut
                                    ? Response("<int>0</int>")
                                    : Response("<base64>" + Base64(data) + "</base64>");
      std::string slow = reply;
      slow.insert(slow.find("<params>"), "<!-- slow -->");
      CAPTURE(length);
      CheckSameResult(DecodeReply(method, reply, 4, 128), DecodeReply(method, slow, 4, 128));
    }
  }
}

TEST_CASE("Wire: a reply over xmlrpc-c's size limit gets xmlrpc-c's error, not the fast path") {
  const size_t limit = xmlrpc_limit_get(XMLRPC_XML_SIZE_LIMIT_ID);
  const Bytes big = Sequence(limit, 3);
  Result<Reply> r = DecodeReply(Method::kGet, Response(B64Value(big)), 1, static_cast<int>(limit));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kProtocolError);
}

TEST_CASE("Wire: Get/Put/RSM calls are the bytes xmlrpc-c writes") {
  const Bytes data = Sequence(130, 1);
  for (Method method : {Method::kGet, Method::kRsm, Method::kPut}) {
    xmlrpc_c::paramList params;
    params.add(xmlrpc_c::value_int(-7));
    if (method == Method::kPut) {
      params.add(xmlrpc_c::value_bytestring(std::vector<unsigned char>(data.begin(), data.end())));
    }
    std::string want;
    xmlrpc_c::xml::generateCall(MethodName(method), params, &want);
    Args args;
    args.block = -7;
    args.data = &data;
    Result<std::string> got = EncodeCall(method, args);
    REQUIRE(got.ok());
    CHECK(*got == want);
  }
}

// ----- metadata and the recorded lock --------------------------------------------------------

namespace {
Bytes BytesParam(const xmlrpc_c::paramList& params, unsigned i) {
  const std::vector<unsigned char> v = params.getBytestring(i);
  return Bytes(v.begin(), v.end());
}
}  // namespace

TEST_CASE("Wire: the metadata calls carry their parameters in order, with their types") {
  const std::string key = "epoch";
  const Bytes expected = ToBytes("old"), value = Sequence(300, 2), holder = ToBytes("h-1");
  ParsedCall g = ParseBack(*EncodeCall(Method::kGetMeta, {.key = &key}));
  CHECK(g.method == "GetMeta");
  REQUIRE(g.params.size() == 1);
  CHECK(g.params.getString(0) == "epoch");

  ParsedCall p = ParseBack(
      *EncodeCall(Method::kPutMeta, {.key = &key, .expected = &expected, .value = &value}));
  CHECK(p.method == "PutMeta");
  REQUIRE(p.params.size() == 3);
  CHECK(p.params.getString(0) == "epoch");
  CHECK(BytesParam(p.params, 1) == expected);
  CHECK(BytesParam(p.params, 2) == value);
  const Bytes none;
  ParsedCall empty =
      ParseBack(*EncodeCall(Method::kPutMeta, {.key = &key, .expected = &none, .value = &none}));
  CHECK(BytesParam(empty.params, 1).empty());

  ParsedCall l =
      ParseBack(*EncodeCall(Method::kLock, {.block = 0, .holder = &holder, .lease_ms = 30000}));
  CHECK(l.method == "Lock");
  REQUIRE(l.params.size() == 3);
  CHECK(l.params.getInt(0) == 0);
  CHECK(BytesParam(l.params, 1) == holder);
  CHECK(l.params.getInt(2) == 30000);

  const Bytes note = ToBytes("released at 7");
  ParsedCall u =
      ParseBack(*EncodeCall(Method::kUnlock, {.block = 5, .value = &note, .holder = &holder}));
  CHECK(u.method == "Unlock");
  REQUIRE(u.params.size() == 3);
  CHECK(u.params.getInt(0) == 5);
  CHECK(BytesParam(u.params, 1) == holder);
  CHECK(BytesParam(u.params, 2) == note);

  // A parameter the row needs but Args lacks is refused, not dereferenced.
  CHECK(EncodeCall(Method::kGetMeta, {}).status().code() == Code::kInvalidArgument);
  CHECK(EncodeCall(Method::kLock, {.block = 0}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("Wire: GetMeta/PutMeta answer bytes of any length, unpadded") {
  Result<Reply> r = DecodeReply(Method::kGetMeta, Response(B64Value(ToBytes("v1"))), 0, 16);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->value == ToBytes("v1"));
  r = DecodeReply(Method::kPutMeta, Response(B64Value(Sequence(4096))), 0, 16);
  REQUIRE(r.ok());
  CHECK(r->value == Sequence(4096));
  r = DecodeReply(Method::kGetMeta, Response("<base64></base64>"), 0, 16);
  REQUIRE(r.ok());
  CHECK(r->value.empty());
  r = DecodeReply(Method::kGetMeta, Response("<int>0</int>"), 0, 16);
  CHECK(r.status().code() == Code::kProtocolError);
  CHECK(DecodeReply(Method::kUnlock, Response("<int>0</int>"), 0, 16).ok());
}

TEST_CASE("Wire: a Lock struct fills LockReply, old is a padded block") {
  const auto member = [](const std::string& name, const std::string& value) {
    return "<member><name>" + name + "</name><value>" + value + "</value></member>";
  };
  const std::string full =
      "<struct>" + member("old", B64Value(Bytes(8, 1))) +
      member("holder", B64Value(ToBytes("h-0"))) + member("age_ms", "<int>1234</int>") +
      member("lease_ms", "<i4>30000</i4>") + member("broken", "<boolean>1</boolean>") + "</struct>";
  Result<Reply> r = DecodeReply(Method::kLock, Response(full), 0, 16);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->lock.old == PadTo(Bytes(8, 1), 16));
  CHECK(r->lock.holder == ToBytes("h-0"));
  CHECK(r->lock.age_ms == 1234);
  CHECK(r->lock.lease_ms == 30000);
  CHECK(r->lock.broken);
  // Only old: no record.
  r = DecodeReply(Method::kLock, Response("<struct>" + member("old", B64Value({})) + "</struct>"),
                  0, 16);
  REQUIRE(r.ok());
  CHECK(r->lock.old == Bytes(16, 0));
  CHECK(r->lock.holder.empty());
  CHECK(r->lock.age_ms == -1);
  CHECK(r->lock.lease_ms == 0);
  CHECK_FALSE(r->lock.broken);
  // No old, or an old longer than the block: kProtocolError.
  r = DecodeReply(Method::kLock,
                  Response("<struct>" + member("holder", B64Value({1})) + "</struct>"), 0, 16);
  CHECK(r.status().code() == Code::kProtocolError);
  r = DecodeReply(Method::kLock,
                  Response("<struct>" + member("old", B64Value(Bytes(17, 0))) + "</struct>"), 0,
                  16);
  CHECK(r.status().code() == Code::kProtocolError);
  // Not a struct: RSM's legacy checksum conventions, else kProtocolError.
  r = DecodeReply(Method::kLock, Response("<int>-1</int>"), 3, 16);
  CHECK(r.status().code() == Code::kChecksumError);
  CHECK(Contains(r.status().message(), "CHECKSUM_ERROR 3"));
  r = DecodeReply(Method::kLock, Response(B64Value(Bytes(16, 0))), 3, 16);
  CHECK(r.status().code() == Code::kProtocolError);
  CHECK(r.status().message() == "the lock's reply is not a struct");
}

TEST_CASE(
    "Wire: LOCK_NOT_HELD is kAborted, an unknown method kUnimplemented, ValueError bad args") {
  // The texts of compat_tests/reference/memoryfs_server.py (Python's SimpleXMLRPCServer) and ours.
  struct Case {
    std::string text;
    Code code;
  };
  const Case cases[] = {
      {"LOCK_NOT_HELD 0", Code::kAborted},
      {"<class 'Exception'>:method \"GetMeta\" is not supported", Code::kUnimplemented},
      {"<class 'Exception'>:method \"PutMeta\" is not supported", Code::kUnimplemented},
      {"<class 'Exception'>:method \"Lock\" is not supported", Code::kUnimplemented},
      {"<class 'Exception'>:method \"Unlock\" is not supported", Code::kUnimplemented},
      {"<class 'Exception'>:method \"Stats\" is not supported", Code::kUnimplemented},
      {"<class 'ValueError'>:lease_ms 0 out of range (expected 1..86400000)",
       Code::kInvalidArgument},
  };
  for (Method m : {Method::kGetMeta, Method::kPutMeta, Method::kLock, Method::kUnlock}) {
    for (const Case& c : cases) {
      CAPTURE(c.text);
      Result<Reply> r = DecodeReply(m, FaultResponse(1, c.text), 0, 16);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == c.code);
      CHECK(r.status().message() == c.text);
    }
  }
  // A TypeError stays an unclassified fault.
  Result<Reply> r = DecodeReply(Method::kLock,
                                FaultResponse(1,
                                              "<class 'TypeError'>:Lock() takes 3 positional "
                                              "arguments but 2 were given"),
                                0, 16);
  CHECK(r.status().code() == Code::kFault);
}

}  // namespace memoryfs::client::wire
