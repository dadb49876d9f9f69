// block_xml: the three fixed XML-RPC message shapes of the block protocol (Get, Put, RSM and
// their replies) parsed and formatted by hand, without a general XML parser: a fast path in
// front of xmlrpc-c, which stays the XML library for everything else (client/wire.cc and
// server/rpc_service.cc decide when to use which; this module knows nothing of xmlrpc-c).
//
// Formatting is byte-identical to xmlrpc-c 1.33's generateCall/generateResponse (CRLF line
// ends, <i4> ints, base64 in lines of 76 characters each ended by CRLF).
//
// Parsing recognises only a strict subset of XML-RPC where the result is certain to be what
// xmlrpc-c's parser would give; anything else returns std::nullopt ("declined") and the caller
// must hand the document to xmlrpc-c, which gives its result or its error. The subset:
//   - optionally, at the very start, one of <?xml version="1.0"?>, <?xml version='1.0'?>,
//     <?xml version="1.0" encoding="UTF-8"?> (what xmlrpc-c and Python write);
//   - the elements of the shape, without attributes, with only spaces, tabs, CR and LF between
//     them outside <value> and nothing at all inside <value> but the one typed child;
//   - ints as <i4> or <int>, an optional sign and 1..18 digits, within int32;
//   - base64 of the alphabet A-Z a-z 0-9 + / with '=' padding, in lines separated by CR/LF,
//     whose total length is a multiple of 4 and whose unused trailing bits are zero.
// No comments, entities, CDATA, DOCTYPE, attributes or other types. The caller also declines
// documents larger than xmlrpc-c's size limit (this module does not know the limit).
// Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace memoryfs::rpc::blockxml {

enum class BlockMethod { kGet, kPut, kRsm };

// A parsed call: Get(block), RSM(block) or Put(block, data).
struct BlockCall {
  BlockMethod method = BlockMethod::kGet;
  int block = 0;
  Bytes data;  // Put only
};

// The call document of Get(block) or RSM(block) (method "Get" or "RSM"), or, with data,
// Put(block, data) (method "Put"), as xmlrpc-c's generateCall writes it.
std::string FormatCall(std::string_view method, int block, const Bytes* data = nullptr);

// The response document carrying one base64 value, or one int, as xmlrpc-c's generateResponse
// writes it.
std::string FormatBytesResponse(const Bytes& data);
std::string FormatIntResponse(int value);

// A Get/RSM call with one int parameter, or a Put call with an int and a base64 parameter.
// std::nullopt: declined (any other method, arity, type or shape).
std::optional<BlockCall> ParseCall(std::string_view xml);

// A non-fault response whose one value is base64 (its bytes) or an int (its value).
// std::nullopt: declined (faults, other types, any other shape).
std::optional<Bytes> ParseBytesResponse(std::string_view xml);
std::optional<int> ParseIntResponse(std::string_view xml);

}  // namespace memoryfs::rpc::blockxml
