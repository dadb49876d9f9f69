// block_xml against xmlrpc-c: its formatting must equal xmlrpc-c's byte for byte, and its
// parsers, on any input, must either decline or give exactly what xmlrpc-c's parser gives. The
// differential fuzz generates documents of the three shapes as xmlrpc-c and Python write them,
// other methods, types and faults, and mutates them (characters, tokens, whitespace, entities,
// out-of-range ints, bad base64). Seeded: MEMORYFS_FUZZ_SEED=N replays one seed; each run is
// bounded by a case count and a time budget.
#include "rpc/block_xml.h"

#include <doctest/doctest.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>
#include <xmlrpc-c/base.hpp>
#include <xmlrpc-c/xml.hpp>

namespace memoryfs::rpc::blockxml {
namespace {

using xmlrpc_c::value;

xmlrpc_c::value BytesValue(const Bytes& data) {
  return xmlrpc_c::value_bytestring(std::vector<unsigned char>(data.begin(), data.end()));
}

Bytes BytesOf(const xmlrpc_c::value& v) {
  std::vector<unsigned char> data = xmlrpc_c::value_bytestring(v).vectorUcharValue();
  return Bytes(data.begin(), data.end());
}

std::string GenerateCall(const std::string& method, const xmlrpc_c::paramList& params) {
  std::string xml;
  xmlrpc_c::xml::generateCall(method, params, &xml);
  return xml;
}

std::string GenerateResponse(const xmlrpc_c::value& v) {
  std::string xml;
  xmlrpc_c::xml::generateResponse(xmlrpc_c::rpcOutcome(v), &xml);
  return xml;
}

// Standard base64 in lines of `line` characters ended by "\n" (Python's encodebytes: 76).
std::string PythonBase64(const Bytes& data, size_t line = 76) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string flat;
  for (size_t i = 0; i < data.size(); i += 3) {
    const size_t n = std::min<size_t>(3, data.size() - i);
    uint32_t v = data[i] << 16;
    if (n > 1) v |= data[i + 1] << 8;
    if (n > 2) v |= data[i + 2];
    flat += kAlphabet[v >> 18];
    flat += kAlphabet[(v >> 12) & 63];
    flat += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    flat += n > 2 ? kAlphabet[v & 63] : '=';
  }
  std::string out;
  for (size_t i = 0; i < flat.size(); i += line) out += flat.substr(i, line) + "\n";
  return out;
}

// Printable: control characters and bytes over 0x7e as \xNN.
std::string Shown(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("block_xml: formatting equals xmlrpc-c's, every length and edge int") {
  std::mt19937 rng(7);
  const int ints[] = {0, 1, -1, 9, 10, 255, -2147483647, INT_MIN, INT_MAX, 123456789};
  for (size_t n = 0; n <= 700; ++n) {
    Bytes data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    const int block = ints[n % std::size(ints)];
    CAPTURE(n);
    CHECK(FormatBytesResponse(data) == GenerateResponse(BytesValue(data)));
    xmlrpc_c::paramList put;
    put.add(xmlrpc_c::value_int(block));
    put.add(BytesValue(data));
    CHECK(FormatCall("Put", block, &data) == GenerateCall("Put", put));
  }
  for (int block : ints) {
    xmlrpc_c::paramList get;
    get.add(xmlrpc_c::value_int(block));
    CHECK(FormatCall("Get", block) == GenerateCall("Get", get));
    CHECK(FormatCall("RSM", block) == GenerateCall("RSM", get));
    CHECK(FormatIntResponse(block) == GenerateResponse(xmlrpc_c::value_int(block)));
  }
}

TEST_CASE("block_xml: parses both peers' documents of the three shapes") {
  const Bytes data = {0, 1, 2, 250, 251, 252, 253};
  std::optional<BlockCall> call = ParseCall(FormatCall("Put", 5, &data));
  REQUIRE(call);
  CHECK(call->method == BlockMethod::kPut);
  CHECK(call->block == 5);
  CHECK(call->data == data);
  call = ParseCall(
      "<?xml version='1.0'?>\n<methodCall>\n<methodName>RSM</methodName>\n<params>\n<param>\n"
      "<value><int>-3</int></value>\n</param>\n</params>\n</methodCall>\n");
  REQUIRE(call);
  CHECK(call->method == BlockMethod::kRsm);
  CHECK(call->block == -3);
  const std::string python_reply =
      "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><base64>\n" +
      PythonBase64(data) + "</base64></value>\n</param>\n</params>\n</methodResponse>\n";
  CHECK(ParseBytesResponse(python_reply) == data);
  CHECK(ParseBytesResponse(FormatBytesResponse({})) == Bytes{});
  CHECK(ParseIntResponse(FormatIntResponse(0)) == 0);
  CHECK_FALSE(ParseCall(FormatCall("Stats", 1)));
  CHECK_FALSE(ParseIntResponse(FormatBytesResponse(data)));
  CHECK_FALSE(ParseBytesResponse(GenerateResponse(xmlrpc_c::value_string("x"))));
}

namespace {

// Random documents: the three shapes as xmlrpc-c and Python write them, near-misses, other
// methods, types and faults, then mutated.
class DocumentGenerator {
 public:
  explicit DocumentGenerator(uint32_t seed) : rng_(seed) {}

  std::string Call() {
    static const char* const kMethods[] = {"Get", "Put", "RSM",   "Get",  "Put",
                                           "RSM", "get", "Stats", "Get ", "GetBlocks",
                                           "PUT", "",    "RSM\n", "Lock"};
    const std::string method = kMethods[Pick(std::size(kMethods))];
    std::vector<xmlrpc_c::value> params;
    if (method == "Put" || Pick(5) == 0) {
      params = {IntLike(), Pick(6) ? BytesValue(RandomBytes()) : Any()};
    } else {
      params = {IntLike()};
    }
    if (Pick(10) == 0) params.push_back(Any());
    if (Pick(12) == 0) params.clear();
    std::string doc = Pick(2) ? XmlrpcCall(method, params) : PythonCall(method, params);
    return Mutate(doc);
  }

  std::string Response() {
    std::string doc;
    const int kind = Pick(10);
    if (kind < 6) {
      const xmlrpc_c::value v = kind < 3 ? BytesValue(RandomBytes()) : kind < 5 ? IntLike() : Any();
      doc = Pick(2) ? GenerateResponse(v) : PythonResponse(v);
    } else {
      std::string xml;
      xmlrpc_c::xml::generateResponse(
          xmlrpc_c::rpcOutcome(xmlrpc_c::fault("CHECKSUM_ERROR 3", xmlrpc_c::fault::code_t(1))),
          &xml);
      doc = xml;
    }
    return Mutate(doc);
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  Bytes RandomBytes() {
    const size_t n = Pick(4) == 0 ? Pick(600) : Pick(70);
    Bytes data(n);
    const int style = Pick(3);
    for (auto& b : data) b = style == 0 ? 0 : style == 1 ? 0x5a : static_cast<uint8_t>(rng_());
    return data;
  }

  xmlrpc_c::value IntLike() {
    static const int kInts[] = {0, 1, -1, 7, 255, 1000, INT_MAX, INT_MIN, -2147483647};
    if (Pick(8) == 0) return xmlrpc_c::value_i8(Pick(2) ? (1LL << 40) : 5);
    if (Pick(12) == 0) return xmlrpc_c::value_boolean(Pick(2));
    return xmlrpc_c::value_int(Pick(2) ? kInts[Pick(std::size(kInts))] : static_cast<int>(rng_()));
  }

  xmlrpc_c::value Any() {
    switch (Pick(6)) {
      case 0:
        return xmlrpc_c::value_string(Pick(2) ? "AAAA" : "a<b&c");
      case 1:
        return xmlrpc_c::value_double(1.5);
      case 2:
        return xmlrpc_c::value_array({xmlrpc_c::value_int(1), BytesValue({1, 2})});
      case 3:
        return xmlrpc_c::value_struct({{"old", BytesValue({1})}});
      case 4:
        return xmlrpc_c::value_boolean(true);
      default:
        return IntLike();
    }
  }

  std::string XmlrpcCall(const std::string& method, const std::vector<xmlrpc_c::value>& params) {
    xmlrpc_c::paramList list;
    for (const auto& p : params) list.add(p);
    return GenerateCall(method, list);
  }

  // A value as Python's xmlrpc.client writes it (Python's own element names), or as xmlrpc-c
  // writes it for the types this generator does not spell out.
  std::string PythonValue(const xmlrpc_c::value& v) {
    if (v.type() == value::TYPE_INT) {
      return "<value><int>" + std::to_string(xmlrpc_c::value_int(v)) + "</int></value>";
    }
    if (v.type() == value::TYPE_BYTESTRING) {
      const size_t line = Pick(4) == 0 ? Pick(90) + 1 : 76;
      return "<value><base64>\n" + PythonBase64(BytesOf(v), line) + "</base64></value>";
    }
    std::string xml = GenerateResponse(v);  // the <value> of an xmlrpc-c response
    const size_t from = xml.find("<value>");
    const size_t to = xml.rfind("</value>");
    return xml.substr(from, to + 8 - from);
  }

  std::string PythonCall(const std::string& method, const std::vector<xmlrpc_c::value>& params) {
    std::string doc =
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>" + method + "</methodName>\n<params>\n";
    for (const auto& p : params) doc += "<param>\n" + PythonValue(p) + "\n</param>\n";
    return doc + "</params>\n</methodCall>\n";
  }

  std::string PythonResponse(const xmlrpc_c::value& v) {
    return "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n" + PythonValue(v) +
           "\n</param>\n</params>\n</methodResponse>\n";
  }

  // 0..4 random edits: characters, tokens, whitespace, entities, ints, base64 damage.
  std::string Mutate(std::string doc) {
    static const char* const kTokens[] = {" ",
                                          "\t",
                                          "\r\n",
                                          "\n",
                                          "=",
                                          "==",
                                          "====",
                                          "A",
                                          "+",
                                          "/",
                                          "-",
                                          "0",
                                          "&amp;",
                                          "&#65;",
                                          "&lt;",
                                          "<!-- c -->",
                                          "<![CDATA[x]]>",
                                          "<value>",
                                          "</value>",
                                          "<param>",
                                          "</param>",
                                          "<params/>",
                                          "<i4>",
                                          "</i4>",
                                          "<int>",
                                          "<i8>",
                                          "<base64>",
                                          "</base64>",
                                          "2147483648",
                                          "-2147483649",
                                          "99999999999",
                                          "0000000000000000000001",
                                          " a=\"1\"",
                                          "\xc3\xa9",
                                          "<?xml version=\"1.0\"?>",
                                          "<methodName>Get</methodName>",
                                          "\xef\xbb\xbf"};
    const size_t edits = Pick(3) == 0 ? 0 : Pick(4) + 1;
    for (size_t e = 0; e < edits && !doc.empty(); ++e) {
      const size_t at = Pick(doc.size() + 1);
      switch (Pick(5)) {
        case 0:
          doc.erase(std::min(at, doc.size() - 1), Pick(4) + 1);
          break;
        case 1:
          doc.insert(
              at, std::string(1, static_cast<char>(Pick(2) ? rng_() : "<>/= \n\"'&;#"[Pick(11)])));
          break;
        case 2:
          if (at < doc.size()) doc[at] = static_cast<char>(rng_());
          break;
        case 3:
          doc.insert(at, kTokens[Pick(std::size(kTokens))]);
          break;
        default:
          doc.insert(at, doc.substr(Pick(doc.size()), Pick(12)));
          break;
      }
    }
    if (Pick(40) == 0)
      doc.insert(doc.find('<', 1) == std::string::npos ? 0 : doc.find('<', 1), "\x00", 1);
    return doc;
  }

  std::mt19937 rng_;
};

// xmlrpc-c's reading of a call document agrees with `fast` (which ParseCall accepted).
bool AgreesOnCall(const std::string& doc, const BlockCall& fast, std::string* why) {
  std::string method;
  xmlrpc_c::paramList params;
  try {
    xmlrpc_c::xml::parseCall(doc, &method, &params);
  } catch (const std::exception& e) {
    *why = std::string("xmlrpc-c refuses it: ") + e.what();
    return false;
  }
  const char* want = fast.method == BlockMethod::kGet   ? "Get"
                     : fast.method == BlockMethod::kRsm ? "RSM"
                                                        : "Put";
  const size_t arity = fast.method == BlockMethod::kPut ? 2 : 1;
  if (method != want || params.size() != arity) {
    *why = "xmlrpc-c reads method '" + method + "' with " + std::to_string(params.size());
    return false;
  }
  if (params[0].type() != value::TYPE_INT || xmlrpc_c::value_int(params[0]) != fast.block) {
    *why = "xmlrpc-c reads another block parameter";
    return false;
  }
  if (arity == 2 &&
      (params[1].type() != value::TYPE_BYTESTRING || BytesOf(params[1]) != fast.data)) {
    *why = "xmlrpc-c reads other data";
    return false;
  }
  return true;
}

// xmlrpc-c's reading of a response agrees with the fast parsers' (bytes or int, accepted).
bool AgreesOnResponse(const std::string& doc, const std::optional<Bytes>& bytes,
                      const std::optional<int>& n, std::string* why) {
  xmlrpc_c::rpcOutcome outcome;
  try {
    xmlrpc_c::xml::parseResponse(doc, &outcome);
  } catch (const std::exception& e) {
    *why = std::string("xmlrpc-c refuses it: ") + e.what();
    return false;
  }
  if (!outcome.succeeded()) {
    *why = "xmlrpc-c reads a fault";
    return false;
  }
  const xmlrpc_c::value v = outcome.getResult();
  if (bytes && (v.type() != value::TYPE_BYTESTRING || BytesOf(v) != *bytes)) {
    *why = "xmlrpc-c reads another value than these bytes";
    return false;
  }
  if (n && (v.type() != value::TYPE_INT || xmlrpc_c::value_int(v) != *n)) {
    *why = "xmlrpc-c reads another value than this int";
    return false;
  }
  return true;
}

struct FuzzCounts {
  int cases = 0;
  int accepted = 0;
};

// Runs up to `cases` documents of each kind, or until `budget` has passed; fails on the first
// disagreement with the seed and the document.
FuzzCounts Fuzz(uint32_t seed, int cases, std::chrono::milliseconds budget) {
  DocumentGenerator gen(seed);
  FuzzCounts counts;
  const auto end = std::chrono::steady_clock::now() + budget;
  for (int i = 0; i < cases && std::chrono::steady_clock::now() < end; ++i) {
    std::string why;
    const std::string call = gen.Call();
    if (std::optional<BlockCall> fast = ParseCall(call)) {
      ++counts.accepted;
      if (!AgreesOnCall(call, *fast, &why)) {
        FAIL("seed " << seed << " case " << i << ": ParseCall accepted a call where " << why
                     << "\n  document: " << Shown(call) << "\n  replay: MEMORYFS_FUZZ_SEED=" << seed
                     << " build/tests/rpc_xml_test");
      }
    }
    const std::string response = gen.Response();
    const std::optional<Bytes> bytes = ParseBytesResponse(response);
    const std::optional<int> n = ParseIntResponse(response);
    if (bytes || n) {
      ++counts.accepted;
      if (!AgreesOnResponse(response, bytes, n, &why)) {
        FAIL("seed " << seed << " case " << i << ": a response parser accepted where " << why
                     << "\n  document: " << Shown(response)
                     << "\n  replay: MEMORYFS_FUZZ_SEED=" << seed << " build/tests/rpc_xml_test");
      }
    }
    counts.cases += 2;
  }
  return counts;
}

}  // namespace

TEST_CASE("block_xml: differential fuzz, accepts only what xmlrpc-c reads the same") {
  // A fixed seed (the same cases every run) and a fresh one (new cases every run), each
  // printed; MEMORYFS_FUZZ_SEED replaces both.
  const char* env = std::getenv("MEMORYFS_FUZZ_SEED");
  std::vector<uint32_t> seeds = {20261201u, static_cast<uint32_t>(std::random_device{}())};
  if (env != nullptr) seeds = {static_cast<uint32_t>(std::strtoul(env, nullptr, 10))};
  for (uint32_t seed : seeds) {
    MESSAGE("block_xml fuzz seed " << seed << " (replay: MEMORYFS_FUZZ_SEED=" << seed << ")");
    const FuzzCounts counts = Fuzz(seed, 200000, std::chrono::milliseconds(3000));
    MESSAGE("block_xml fuzz: " << counts.cases << " documents, " << counts.accepted
                               << " taken by the fast path");
    CHECK(counts.cases >= 2000);
    CHECK(counts.accepted * 10 >= counts.cases);  // exercised, not merely declining
  }
}

}  // namespace memoryfs::rpc::blockxml
